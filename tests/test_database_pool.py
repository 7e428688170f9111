"""The PostgreSQL pool: concurrent requests reuse the connections they opened."""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import select

from tracker.db import Database
from tracker.settings import get_settings


async def _backends(db: Database, concurrent: int) -> set[int]:
    """The PostgreSQL backends that serve `concurrent` reads held open at once."""
    gate = asyncio.Barrier(concurrent)

    async def read() -> int:
        async with db.reader() as session:
            backend = (await session.exec(select(func.pg_backend_pid()))).one()
            await gate.wait()  # every read holds its connection until all have one
            return int(backend)

    return set(await asyncio.gather(*(read() for _ in range(concurrent))))


async def test_concurrent_reads_up_to_the_pool_size_reuse_their_connections(postgres_url: str) -> None:
    concurrent = get_settings().database_pool_size
    assert concurrent > 5  # SQLAlchemy's own default, which closed the connections beyond five
    db = Database(postgres_url)
    try:
        first = await _backends(db, concurrent)
        second = await _backends(db, concurrent)
    finally:
        await db.dispose()
    assert len(first) == concurrent
    assert second == first
