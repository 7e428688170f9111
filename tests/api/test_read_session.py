"""The request's shared read session outlives a reader that is cancelled or fails mid-read.

graphql-core cancels the siblings of a field whose error nulls their parent, strawberry cancels a
DataLoader batch nobody awaits any more, and a client going away cancels everything: none of that
may leave the other fields of the request a session they cannot read with.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

import pytest
import strawberry
from sqlalchemy import event, literal, text
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.elements import TextClause
from sqlmodel import select

from tracker.access import ANONYMOUS
from tracker.api.core.context import Context
from tracker.db import Database
from tracker.settings import Settings

STALL_SECONDS = 1.0


class Stall:
    """A statement that runs for a second, and a way to know it has started running."""

    def __init__(self, db: Database) -> None:
        self.db = db
        marker = uuid.uuid4().hex
        self._marker = marker
        self._started = threading.Event()
        if db.dialect == "postgresql":
            self.statement: TextClause = text(f"SELECT pg_sleep({STALL_SECONDS}) /* {marker} */")
        else:
            # A function of our own, run inside the statement by SQLite (on aiosqlite's thread).
            def stall() -> int:
                self._started.set()
                time.sleep(STALL_SECONDS)
                return 1

            def connected(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.create_function("tracker_stall", 0, stall)

            event.listen(db.engine.sync_engine, "connect", connected)
            self.statement = text("SELECT tracker_stall()")

    async def running(self) -> None:
        if self.db.dialect != "postgresql":
            assert await asyncio.to_thread(self._started.wait, 10)
            return
        watch = text(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
            "AND query LIKE :pattern"
        )
        async with self.db.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")  # each poll sees the latest
            for _ in range(1000):
                if (await connection.execute(watch, {"pattern": f"%{self._marker}%"})).scalar_one():
                    return
                await asyncio.sleep(0.01)
        raise AssertionError("the stalling statement never ran")


@pytest.fixture
async def stall(db: Database) -> Stall:
    # Before the first connection: SQLite's function is added to each connection as it opens.
    return Stall(db)


@pytest.fixture
async def context(db: Database, stall: Stall) -> AsyncIterator[Context]:
    reading = Context(db=db, settings=Settings(database_url=db.url), principal=ANONYMOUS)
    try:
        yield reading
    finally:
        await reading.close()


async def _one(context: Context) -> int:
    async with context.reading() as session:
        return (await session.exec(select(literal(1)))).one()


async def _stalled_read(context: Context, stall: Stall) -> None:
    async with context.reading() as session:
        await (await session.connection()).execute(stall.statement)


async def test_a_reader_cancelled_mid_statement_leaves_the_next_reader_a_working_session(
    context: Context, stall: Stall
) -> None:
    reader = asyncio.create_task(_stalled_read(context, stall))
    await stall.running()
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert await _one(context) == 1


async def test_a_reader_waiting_behind_a_cancelled_one_reads_when_its_turn_comes(
    context: Context, stall: Stall
) -> None:
    cancelled = asyncio.create_task(_stalled_read(context, stall))
    await stall.running()
    waiting = asyncio.create_task(_one(context))
    await asyncio.sleep(0.05)  # queued on the session's lock behind the stalled read
    cancelled.cancel()
    assert await waiting == 1


async def test_a_failed_statement_leaves_the_next_reader_a_working_session(postgres_url: str) -> None:
    """PostgreSQL refuses every statement of a transaction after one failed."""
    db = Database(postgres_url)
    context = Context(db=db, settings=Settings(database_url=postgres_url), principal=ANONYMOUS)
    try:
        with pytest.raises(Exception, match="division by zero"):
            async with context.reading() as session:
                await (await session.connection()).execute(text("SELECT 1 / 0"))
        assert await _one(context) == 1
    finally:
        await context.close()
        await db.dispose()


async def test_closing_waits_for_the_read_in_progress(context: Context, stall: Stall) -> None:
    reader = asyncio.create_task(_stalled_read(context, stall))
    await stall.running()
    await context.close()
    assert reader.done()
    await reader


async def test_a_read_after_the_operation_ended_leaves_no_connection_open(context: Context, db: Database) -> None:
    """graphql-core settles an abandoned field's siblings in the background: they may read after
    the operation's session has ended, and nobody would end one they opened."""
    assert await _one(context) == 1
    await context.close()
    assert await _one(context) == 1
    pool = db.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 0


# The same through GraphQL: a field fails, graphql-core cancels its sibling in the middle of its
# read, and a field elsewhere in the query reads after that.


# The stalling statement and the event its cancellation sets, for the resolvers below.
_SIBLINGS: ContextVar[tuple[Stall, asyncio.Event]] = ContextVar("siblings")


@strawberry.type
class Pair:
    @strawberry.field
    async def slow(self, info: strawberry.Info[Context, None]) -> int | None:
        stall, cancelled = _SIBLINGS.get()
        try:
            await _stalled_read(info.context, stall)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 1

    @strawberry.field
    async def fails(self) -> int:
        await _SIBLINGS.get()[0].running()
        raise ValueError("refused")


@strawberry.type
class Query:
    @strawberry.field
    def pair(self) -> Pair | None:
        return Pair()

    @strawberry.field
    async def after(self, info: strawberry.Info[Context, None]) -> int:
        await _SIBLINGS.get()[1].wait()
        return await _one(info.context)


async def test_a_field_reads_after_a_sibling_was_cancelled_mid_read(context: Context, stall: Stall) -> None:
    _SIBLINGS.set((stall, asyncio.Event()))
    result = await strawberry.Schema(Query).execute("{ pair { slow fails } after }", context_value=context)
    assert result.data == {"pair": None, "after": 1}
    assert [error.message for error in result.errors or ()] == ["refused"]


async def test_a_resolver_cancelled_awaiting_a_row_leaves_it_to_another_awaiting_the_same_row(
    context: Context,
) -> None:
    """Strawberry's DataLoader gives both the same future, which the cancelled one cancelled."""
    missing = uuid.uuid4()

    async def load() -> object:
        return await context.loaders.plan.load(missing)

    cancelled, other = asyncio.create_task(load()), asyncio.create_task(load())
    await asyncio.sleep(0)  # both are awaiting the row
    cancelled.cancel()
    assert await other is None
    assert cancelled.cancelled()
