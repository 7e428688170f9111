"""The PostgreSQL pool: concurrent requests reuse the connections they opened."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import exc, func
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


async def _backend_and_autocommit(db: Database) -> tuple[int, bool]:
    """The backend of the connection the pool hands out next, and whether it autocommits (`pg`
    is a Database of its own: once used, its pool holds that one connection)."""
    async with db.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        return driver.info.backend_pid, driver.autocommit


async def test_a_read_row_gives_its_connection_back_as_it_found_it(pg: Database) -> None:
    """It ran autocommitting: the next transaction on that connection must not."""
    backend, _ = await _backend_and_autocommit(pg)
    row = await pg.read_row(b"SELECT $1::int + 1, pg_backend_pid()", [41], "SELECT %(p)s + 1")
    assert row == (42, backend)
    assert await _backend_and_autocommit(pg) == (backend, False)


async def test_a_read_row_that_fails_raises_sqlalchemys_error_and_keeps_its_connection(pg: Database) -> None:
    backend, _ = await _backend_and_autocommit(pg)
    with pytest.raises(exc.DataError, match="division by zero"):
        await pg.read_row(b"SELECT 1 / $1::int", [0], "SELECT 1 / %(zero)s")
    assert await _backend_and_autocommit(pg) == (backend, False)


async def test_a_read_row_cancelled_midway_leaves_no_autocommitting_connection_in_the_pool(pg: Database) -> None:
    await _backend_and_autocommit(pg)
    reading = asyncio.create_task(pg.read_row(b"SELECT pg_sleep(5)", [], "SELECT pg_sleep(5)"))
    await asyncio.sleep(0.5)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    _, autocommit = await _backend_and_autocommit(pg)
    assert not autocommit
