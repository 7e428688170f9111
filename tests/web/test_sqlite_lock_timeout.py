"""A write that cannot get SQLite's write lock in time is UNAVAILABLE (503, Retry-After), and
writes nothing: another process holding the lock, or a writer of this process keeping its turn."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlmodel import func, select

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tracker.db import Database
from tracker.ids import encode_id
from tracker.models import Milestone, OutboxEvent, WorkStatus

LOCK_TIMEOUT = 0.3


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The suite's `client` runs on this database, whose writers give up waiting quickly."""
    database = Database(database_url, lock_timeout=LOCK_TIMEOUT)
    try:
        yield database
    finally:
        await database.dispose()


@contextmanager
def another_process_writing(sqlite_url: str) -> Iterator[None]:
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


async def _complete(client: Client, milestone: Milestone) -> httpx.Response:
    change = {"id": encode_id("Milestone", milestone.id), "status": "COMPLETED", "completedOn": "2024-06-01"}
    return await client.post(operation("UpdateMilestone"), {"input": change}, headers=client.bearer(client.admin_token))


async def _state(db: Database, milestone: Milestone) -> tuple[WorkStatus, int]:
    async with db.reader() as session:
        status = (await session.exec(select(Milestone.status).where(Milestone.id == milestone.id))).one()
        events = (await session.exec(select(func.count()).select_from(OutboxEvent))).one()
    return status, events


def _unavailable(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["retry-after"].isdigit()
        and error_codes(response.json()) == [("UNAVAILABLE", None)]
    )


async def _a_milestone(db: Database) -> Milestone:
    _plan, commitments = await small_plan(db)
    async with db.reader() as session:
        return (await session.exec(select(Milestone).where(Milestone.commitment_id == commitments[0].id))).one()


async def test_a_write_while_another_process_holds_the_lock_is_unavailable_and_writes_nothing(
    client: Client, db: Database, sqlite_url: str
) -> None:
    milestone = await _a_milestone(db)
    before = await _state(db, milestone)
    with another_process_writing(sqlite_url):
        response = await _complete(client, milestone)
    assert _unavailable(response), response.text
    assert await _state(db, milestone) == before


async def test_a_write_waiting_behind_a_long_writer_of_this_process_is_unavailable_and_writes_nothing(
    client: Client, db: Database
) -> None:
    milestone = await _a_milestone(db)
    before = await _state(db, milestone)
    release = asyncio.Event()

    async def long_writer() -> None:
        async with db.transaction():
            await release.wait()

    holder = asyncio.create_task(long_writer())
    await asyncio.sleep(0.05)
    try:
        response = await _complete(client, milestone)
    finally:
        release.set()
        await holder
    assert _unavailable(response), response.text
    assert await _state(db, milestone) == before


async def test_the_same_write_once_the_lock_is_free_succeeds(client: Client, db: Database, sqlite_url: str) -> None:
    milestone = await _a_milestone(db)
    with another_process_writing(sqlite_url):
        refused = await _complete(client, milestone)
    assert _unavailable(refused), refused.text
    response = await _complete(client, milestone)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert (await _state(db, milestone))[0] == WorkStatus.COMPLETED


async def test_a_write_transaction_inside_another_is_refused_rather_than_waiting_forever(db: Database) -> None:
    async with db.transaction():
        with pytest.raises(RuntimeError, match="inside another"):
            async with db.transaction():
                pass
