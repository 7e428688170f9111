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
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal
from tracker.errors import BadInput, NotFound, Unauthenticated
from tracker.models import ApiToken, Collectivity, ConsultativeBody, Role
from tracker.models.base import utcnow

_TOKEN = re.compile(r"^trk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{20,100})$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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
    return token


async def authenticate(session: AsyncSession, presented: str) -> Principal:
    """The principal a bearer token stands for; any problem is the same UNAUTHENTICATED."""
    match = _TOKEN.match(presented.strip())
    token = None
    if match:
        token = (await session.exec(select(ApiToken).where(ApiToken.key_id == match.group(1)))).first()
    # Compare even when nothing was found, so timing does not tell whether a key id exists.
    expected = token.secret_hash if token else _hash("")
    secret_ok = hmac.compare_digest(expected, _hash(match.group(2) if match else ""))
    now = utcnow()
    if token is None or not secret_ok or token.revoked_at is not None or is_expired(token, now):
        raise Unauthenticated("the bearer token is invalid, expired or revoked")
    return Principal(
        role=token.role,
        name=token.name,
        collectivity_id=token.collectivity_id,
        body_id=token.body_id,
    )
