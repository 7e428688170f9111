"""A PostgreSQL connection is pinged before a request gets it only when it may be dead: it sat
unused in the pool past a threshold, or the server closed it. One that breaks unnoticed fails its
own request only, as UNAVAILABLE.

On PostgreSQL only (SQLite is never pinged). Backends are really terminated, from another
connection, with pg_terminate_backend: what a restart of PostgreSQL does to each of them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, exc, func, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.cleanup import truncate_all
from tests.support.graphql import Client, error_codes
from tests.support.sql import count_statements
from tracker.db import Database
from tracker.errors import Unavailable
from tracker.models import Collectivity
from tracker.settings import Settings

READ = '{ collectivity(slug: "tiznit") { slug name } }'
# Short, so a test can wait past it.
IDLE = 0.3


def _named(url: str, name: str) -> str:
    """The URL with an application_name, to find this test's backends among everyone's."""
    return make_url(url).update_query_dict({"application_name": name}).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)


class Backends:
    """The backends of one Database, seen and terminated from a connection of their own."""

    def __init__(self, url: str, name: str) -> None:
        self.admin = psycopg.connect(_libpq(url), autocommit=True)
        self.name = name

    def pids(self) -> set[int]:
        rows = self.admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.name,))
        return {int(row[0]) for row in rows}

    def terminate(self, pids: set[int]) -> None:
        """Terminate them, and return once they are gone."""
        for pid in pids:
            self.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while self.pids() & pids:
            assert time.monotonic() < deadline, "the terminated backends are still there"
            time.sleep(0.01)


def _database(postgres_url: str, *, ping_after_idle: float) -> tuple[Database, Backends]:
    name = f"liveness-{uuid.uuid4().hex[:12]}"
    url = _named(postgres_url, name)
    return Database(url, ping_after_idle=ping_after_idle), Backends(url, name)


@pytest.fixture
async def recent(postgres_url: str) -> AsyncIterator[tuple[Client, Backends]]:
    """A client of a process that pings only connections unused for an hour: none, in a test."""
    async with _client(postgres_url, ping_after_idle=3600) as pair:
        yield pair


@pytest.fixture
async def idle(postgres_url: str) -> AsyncIterator[tuple[Client, Backends]]:
    """A client of a process that pings connections unused for `IDLE` seconds. Without the read
    planner: a planned read that failed on a dead connection would be answered again by strawberry
    on another one, and hide that the dead one was handed out."""
    async with _client(postgres_url, ping_after_idle=IDLE, planned_reads=False) as pair:
        yield pair


class _client:
    def __init__(self, postgres_url: str, *, ping_after_idle: float, planned_reads: bool = True) -> None:
        self.db, self.backends = _database(postgres_url, ping_after_idle=ping_after_idle)
        settings = Settings(
            database_url=self.db.url,
            read_cache_seconds=0,
            token_cache_seconds=0,
            scheduler_enabled=False,
            planned_reads=planned_reads,
        )
        # The lifespan is not run: its LISTEN connection would be one more backend of the name.
        self.client = Client(settings, self.db)

    async def __aenter__(self) -> tuple[Client, Backends]:
        await small_plan(self.db, slug="tiznit")
        return self.client, self.backends

    async def __aexit__(self, *_exc: object) -> None:
        await self.client.http.aclose()
        await truncate_all(self.db)
        await self.db.dispose()
        self.backends.admin.close()


async def _read(client: Client) -> dict[str, Any]:
    return await client.data(READ)


async def _pings(client: Client) -> int:
    """How many pings one read cost."""
    with count_statements(client.app.state.db) as counter:
        assert (await _read(client))["collectivity"]["slug"] == "tiznit"
    return counter.pings


async def test_a_read_on_a_connection_used_a_moment_ago_sends_no_ping(recent: tuple[Client, Backends]) -> None:
    client, _ = recent
    await _read(client)
    assert [await _pings(client), await _pings(client)] == [0, 0]


async def test_a_read_on_a_connection_unused_past_the_threshold_pings_it_first(idle: tuple[Client, Backends]) -> None:
    client, _ = idle
    await _read(client)
    await asyncio.sleep(IDLE * 2)
    assert await _pings(client) == 1


@pytest.mark.parametrize("wait", [0, IDLE * 2], ids=["used-a-moment-ago", "unused-past-the-threshold"])
async def test_a_read_after_its_connections_backends_were_terminated_is_answered_on_a_new_one(
    idle: tuple[Client, Backends], wait: float
) -> None:
    client, backends = idle
    await _read(client)
    pooled = backends.pids()
    assert pooled
    await asyncio.sleep(wait)
    backends.terminate(pooled)
    assert (await _read(client))["collectivity"]["slug"] == "tiznit"
    assert backends.pids().isdisjoint(pooled)


@pytest.fixture
async def strawberry_only(postgres_url: str) -> AsyncIterator[tuple[Client, Backends]]:
    """A client of a process without the read planner (see `idle`) that pings no connection."""
    async with _client(postgres_url, ping_after_idle=3600, planned_reads=False) as pair:
        yield pair


def _break_next_statement(db: Database, backends: Backends) -> None:
    """The next statement's connection breaks as it is sent, unseen at checkout: its backend is
    terminated between the checkout and the statement."""

    def terminate_own_backend(connection: Any, *_args: Any) -> None:
        backends.terminate({connection.connection.driver_connection.info.backend_pid})

    event.listen(db.engine.sync_engine, "before_cursor_execute", terminate_own_backend, once=True)


async def test_a_read_whose_connection_breaks_unseen_is_unavailable(
    strawberry_only: tuple[Client, Backends],
) -> None:
    client, backends = strawberry_only
    await _read(client)
    _break_next_statement(client.app.state.db, backends)
    response = await client.post(READ)
    assert (response.status_code, response.headers.get("retry-after")) == (503, "5"), response.text
    assert error_codes(response.json()) == [("UNAVAILABLE", None)]


async def test_the_read_after_one_whose_connection_broke_unseen_is_answered(
    strawberry_only: tuple[Client, Backends],
) -> None:
    client, backends = strawberry_only
    await _read(client)
    _break_next_statement(client.app.state.db, backends)
    await client.post(READ)
    assert (await _read(client))["collectivity"]["slug"] == "tiznit"


async def test_a_broken_connection_found_in_use_has_the_pool_replace_the_others_without_a_ping(
    postgres_url: str,
) -> None:
    db, backends = _database(postgres_url, ping_after_idle=3600)
    try:
        # Two pooled connections, then both backends gone, as in a restart of PostgreSQL.
        async with db.autocommit() as first, db.autocommit() as second:
            for connection in (first, second):
                await connection.execute(text("SELECT 1"))
        pooled = backends.pids()
        assert len(pooled) == 2
        async with db.autocommit() as connection:
            backends.terminate(pooled)
            with pytest.raises(Unavailable):
                await connection.execute(text("SELECT 1"))
        # The disconnect invalidated the whole pool: the other connection is replaced, not pinged.
        with count_statements(db) as counter:
            async with db.autocommit() as connection:
                await connection.execute(text("SELECT 1"))
        assert counter.pings == 0
        assert backends.pids().isdisjoint(pooled)
    finally:
        await db.dispose()
        backends.admin.close()


async def test_a_commit_whose_connection_breaks_is_not_reported_unavailable(postgres_url: str) -> None:
    """Whether the COMMIT took effect is unknown: UNAVAILABLE would tell the client to try again."""
    db, backends = _database(postgres_url, ping_after_idle=3600)

    def terminate_own_backend(connection: Any) -> None:
        backends.terminate({connection.connection.driver_connection.info.backend_pid})

    event.listen(db.engine.sync_engine, "commit", terminate_own_backend, once=True)
    try:
        with pytest.raises(exc.DBAPIError) as failure:
            async with db.transaction() as session:
                await session.exec(select(func.count()).select_from(Collectivity))
        assert failure.value.connection_invalidated
    finally:
        await db.dispose()
        backends.admin.close()


async def test_an_sqlite_connection_is_never_pinged(sqlite_url: str) -> None:
    db = Database(sqlite_url, ping_after_idle=0)
    try:
        async with db.autocommit() as connection:
            await connection.execute(text("SELECT 1"))
        with count_statements(db) as counter:
            async with db.autocommit() as connection:
                await connection.execute(text("SELECT 1"))
        assert counter.pings == 0
    finally:
        await db.dispose()


async def test_a_read_row_whose_connection_breaks_unseen_is_unavailable_and_the_next_is_answered(
    postgres_url: str,
) -> None:
    """The read planner's statements (`Database.read_row`) take the same care as SQLAlchemy's."""
    db, backends = _database(postgres_url, ping_after_idle=3600)

    def terminate_own_backend(_connection: None, cursor: Any, *_args: Any) -> None:
        backends.terminate({cursor.connection.info.backend_pid})

    try:
        before = (await db.read_row(b"SELECT pg_backend_pid()", [], "SELECT pg_backend_pid()"))[0]
        event.listen(db.engine.sync_engine, "before_cursor_execute", terminate_own_backend, once=True)
        with pytest.raises(Unavailable):
            await db.read_row(b"SELECT 1", [], "SELECT 1")
        after = (await db.read_row(b"SELECT pg_backend_pid()", [], "SELECT pg_backend_pid()"))[0]
        assert after != before
    finally:
        await db.dispose()
        backends.admin.close()
