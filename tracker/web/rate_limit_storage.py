"""A `limits` storage in the tracker's own database: replicas on one PostgreSQL share their counters.

Fixed windows only (what `FixedWindowRateLimiter` needs): one row per key, counted up by a single
`INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING`, so concurrent hits from any replica add up
without a lost update. An expired window is restarted by the same statement. Expired rows are
deleted now and then, in the background of a hit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from limits.aio.storage import Storage
from sqlalchemy import case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import Database
from tracker.models import RateLimitCounter

PRUNE_EVERY_SECONDS = 60.0

_TABLE = RateLimitCounter.__table__  # type: ignore[attr-defined]


class DatabaseStorage(Storage):
    """Counters in the `rate_limit_counter` table (any dialect with `ON CONFLICT`: PostgreSQL, SQLite)."""

    STORAGE_SCHEME = None  # built from the tracker's Database, never from a URL

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.db = db
        self.clock = clock
        self._pruned_at = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (SQLAlchemyError, OSError)

    def _insert(self) -> Any:
        return (postgresql if self.db.dialect == "postgresql" else sqlite).insert(_TABLE)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self.clock()
        insert = self._insert().values(key=key, count=amount, expires_at=now + expiry)
        expired = _TABLE.c.expires_at <= now
        statement = insert.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={
                "count": case((expired, insert.excluded.count), else_=_TABLE.c.count + insert.excluded.count),
                "expires_at": case((expired, insert.excluded.expires_at), else_=_TABLE.c.expires_at),
            },
        ).returning(_TABLE.c.count)
        async with self.db.engine.begin() as connection:
            if self.db.dialect == "postgresql":
                # A counter lost in a crash costs a client a few requests more, not worth a WAL flush per request.
                await connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
            count = (await connection.execute(statement)).scalar_one()
            if now - self._pruned_at >= PRUNE_EVERY_SECONDS:
                self._pruned_at = now
                await connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
        return int(count)

    async def get(self, key: str) -> int:
        statement = select(_TABLE.c.count).where(_TABLE.c.key == key, _TABLE.c.expires_at > self.clock())
        async with self.db.engine.connect() as connection:
            count = (await connection.execute(statement)).scalar()
        return int(count or 0)

    async def get_expiry(self, key: str) -> float:
        now = self.clock()
        statement = select(_TABLE.c.expires_at).where(_TABLE.c.key == key, _TABLE.c.expires_at > now)
        async with self.db.engine.connect() as connection:
            expires_at = (await connection.execute(statement)).scalar()
        return float(expires_at) if expires_at is not None else now

    async def check(self) -> bool:
        try:
            async with self.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def reset(self) -> int | None:
        async with self.db.engine.begin() as connection:
            result = await connection.execute(delete(_TABLE))
        return int(result.rowcount)

    async def clear(self, key: str) -> None:
        async with self.db.engine.begin() as connection:
            await connection.execute(delete(_TABLE).where(_TABLE.c.key == key))
