"""API tokens: shown once at creation, stored as a hash, refused once revoked or expired.

A token reads `trk_<key id>_<secret>`. The key id finds the row; the secret is compared with
its stored SHA-256 in constant time. Secrets are 256 random bits, so a plain hash suffices.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal
from tracker.db import Database, note_change
from tracker.errors import BadInput, NotFound, Unauthenticated
from tracker.models import ApiToken, Collectivity, ConsultativeBody, Role
from tracker.models.base import utcnow

_TOKEN = re.compile(r"^trk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{20,100})$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def scope_of(
    session: AsyncSession, role: Role, *, collectivity_slug: str | None, body_slug: str | None
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The collectivity and body a role acts in, as tokens and people hold it: an EDITOR in a
    collectivity, a MONITOR in a consultative body (and its collectivity), an ADMIN everywhere."""
    collectivity_id: uuid.UUID | None = None
    body_id: uuid.UUID | None = None
    if role is Role.MONITOR:
        if not body_slug:
            raise BadInput("a MONITOR token needs the consultative body (--body)", field="body")
        body = (await session.exec(select(ConsultativeBody).where(ConsultativeBody.slug == body_slug))).first()
        if body is None:
            raise NotFound(f"no consultative body {body_slug!r}", field="body")
        body_id, collectivity_id = body.id, body.collectivity_id
    elif role is Role.EDITOR:
        if not collectivity_slug:
            raise BadInput("an EDITOR token needs its collectivity (--collectivity)", field="collectivity")
        place = (await session.exec(select(Collectivity).where(Collectivity.slug == collectivity_slug))).first()
        if place is None:
            raise NotFound(f"no collectivity {collectivity_slug!r}", field="collectivity")
        collectivity_id = place.id
    elif collectivity_slug or body_slug:
        raise BadInput("an ADMIN token covers the whole network: no collectivity or body", field="role")
    return collectivity_id, body_id


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    collectivity_slug: str | None = None,
    body_slug: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which is never stored and cannot be shown again."""
    label = name.strip()
    if not label or len(label) > 120:
        raise BadInput("name must have 1 to 120 characters", field="name")
    if role is Role.ANONYMOUS:
        raise BadInput("a token cannot be anonymous", field="role")
    collectivity_id, body_id = await scope_of(session, role, collectivity_slug=collectivity_slug, body_slug=body_slug)
    if expires_at is not None and expires_at <= utcnow():
        raise BadInput("expires must be in the future", field="expires")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        key_id=key_id,
        secret_hash=_hash(secret),
        name=label,
        role=role,
        collectivity_id=collectivity_id,
        body_id=body_id,
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, f"trk_{key_id}_{secret}"


def is_expired(token: ApiToken, now: datetime) -> bool:
    return token.expires_at is not None and token.expires_at <= now


def token_state(token: ApiToken, *, now: datetime) -> str:
    """How `tracker token list` shows a token: revoked, expired, expires <date>, or active."""
    if token.revoked_at is not None:
        return "revoked"
    if is_expired(token, now):
        return "expired"
    return f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "active"


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list((await session.exec(select(ApiToken).order_by(col(ApiToken.created_at)))).all())


async def revoke_token(session: AsyncSession, *, key_id: str) -> ApiToken:
    token = (await session.exec(select(ApiToken).where(ApiToken.key_id == key_id))).first()
    if token is None:
        raise NotFound(f"no token with key id {key_id!r}", field="key_id")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        # Announced as a change of everything: every process forgets the tokens it keeps (`Tokens`).
        note_change(session, None)
    return token


@dataclass(frozen=True, slots=True)
class _Stored:
    """What a token's row says about it: all its check needs."""

    secret_hash: str
    role: Role
    name: str
    collectivity_id: uuid.UUID | None
    body_id: uuid.UUID | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


_STORED = sa_select(
    col(ApiToken.secret_hash),
    col(ApiToken.role),
    col(ApiToken.name),
    col(ApiToken.collectivity_id),
    col(ApiToken.body_id),
    col(ApiToken.expires_at),
    col(ApiToken.revoked_at),
)


def _parse(presented: str) -> tuple[str, str] | None:
    match = _TOKEN.match(presented.strip())
    return (match.group(1), match.group(2)) if match else None


def _principal(stored: _Stored | None, presented_hash: str) -> Principal:
    """The check itself, the same whether the row was read now or a moment ago."""
    # Compare even when nothing was found, so timing does not tell whether a key id exists.
    expected = stored.secret_hash if stored else _hash("")
    secret_ok = hmac.compare_digest(expected, presented_hash)
    if stored is None or not secret_ok or not stored.usable:
        raise Unauthenticated("the bearer token is invalid, expired or revoked")
    return Principal(role=stored.role, name=stored.name, collectivity_id=stored.collectivity_id, body_id=stored.body_id)


async def _read(connection: AsyncConnection, key_id: str) -> _Stored | None:
    row = (await connection.execute(_STORED.where(col(ApiToken.key_id) == key_id))).first()
    return _Stored(*row) if row is not None else None


class Tokens:
    """Bearer tokens checked for every request: one statement outside any transaction, or none
    when the token was read a moment ago.

    What a usable token's row says is kept for `seconds` at most (0: never kept), by key id and
    the hash of the secret that proved it: any other secret is checked against the database,
    so a quick refusal never tells that a key id exists. Each use is checked as the database's
    row is (the secret in constant time, expiry against the clock). A revocation is announced
    as a change (`revoke_token`): this process forgets every kept row when it commits, and other
    processes when its notification reaches them (PostgreSQL's LISTEN, in
    tracker/events/pubsub.py); a process that cannot hear it (SQLite, or while LISTEN is down)
    honours it within `seconds`.
    """

    def __init__(self, db: Database, *, seconds: float, size: int = 10_000) -> None:
        self.db = db
        self._kept: TTLCache[tuple[str, str], _Stored] | None = (
            TTLCache(maxsize=size, ttl=seconds) if seconds > 0 else None
        )
        # Moves on every announced change: a row read before a revocation was announced, but
        # arriving after it, is not kept.
        self._generation = 0
        db.change_listeners.append(self.changed)

    def changed(self, changed: frozenset[uuid.UUID | None]) -> None:
        # A revocation is announced as a change of everything (None); so is a lost LISTEN.
        if None in changed:
            self._generation += 1
            if self._kept is not None:
                self._kept.clear()

    async def principal(self, presented: str) -> Principal:
        """The principal a bearer token stands for; any problem is the same UNAUTHENTICATED."""
        parsed = _parse(presented)
        key_id, secret = parsed if parsed else ("", "")
        key = (key_id, _hash(secret))
        stored = self._kept.get(key) if self._kept is not None else None
        if stored is not None:
            return _principal(stored, key[1])
        generation = self._generation
        if parsed:
            async with self.db.autocommit() as connection:
                stored = await _read(connection, key_id)
        principal = _principal(stored, key[1])
        if self._kept is not None and stored is not None and generation == self._generation:
            self._kept[key] = stored
        return principal
