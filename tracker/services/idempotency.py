"""Idempotency keys: a request's answer kept under its client's key, in the request's own transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.models import IdempotencyKey


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    fingerprint: str
    status_code: int
    media_type: str
    body: bytes


async def lock(session: AsyncSession, *, scope: str, key: str) -> bool:
    """Hold the key for this transaction; False when another transaction holds it (a request with the
    same key still running, on any replica). SQLite has one writer at a time: nothing to take."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    # A 64-bit hash of the key: a collision refuses a request as concurrent, never replays another's answer.
    lock_id = int.from_bytes(hashlib.sha256(f"{scope}\n{key}".encode()).digest()[:8], "big", signed=True)
    acquired = (await session.exec(select(func.pg_try_advisory_xact_lock(lock_id)))).one()  # type: ignore[call-overload]
    return bool(acquired[0])


async def find(session: AsyncSession, *, scope: str, key: str, now: datetime) -> StoredAnswer | None:
    """The answer kept under the key; an expired one is forgotten (deleted) and None returned."""
    row = await session.get(IdempotencyKey, (scope, key))
    if row is None:
        return None
    if row.expires_at <= now or row.status_code is None:
        await session.delete(row)
        await session.flush()
        return None
    return StoredAnswer(row.fingerprint, row.status_code, row.media_type or "application/json", row.body or b"")


async def reserve(
    session: AsyncSession, *, scope: str, key: str, fingerprint: str, now: datetime, expires_at: datetime
) -> IdempotencyKey:
    """The key's row, written first: on SQLite the write begins the transaction that the request's
    mutations then nest their savepoints in."""
    row = IdempotencyKey(scope=scope, key=key, fingerprint=fingerprint, created_at=now, expires_at=expires_at)
    session.add(row)
    await session.flush()
    return row


async def record(session: AsyncSession, row: IdempotencyKey, *, status_code: int, media_type: str, body: bytes) -> None:
    row.status_code = status_code
    row.media_type = media_type
    row.body = body
    session.add(row)
    await session.flush()


async def prune(session: AsyncSession, *, now: datetime) -> int:
    """Forget the answers past their expiry."""
    result = await session.exec(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now))
    return int(result.rowcount)
