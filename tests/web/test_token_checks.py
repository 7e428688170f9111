"""A bearer token costs a read one statement outside any transaction, or nothing when it was
checked a moment ago; kept checks never outlive a revocation or an expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.support.builders import small_plan
from tests.support.graphql import Client
from tests.support.sql import count_statements
from tests.support.tokens import token_for
from tracker.db import Database
from tracker.models import Role
from tracker.models.base import utcnow
from tracker.services import tokens
from tracker.services.tokens import create_token, revoke_token
from tracker.settings import Settings

READ = '{ collectivity(slug: "tiznit") { slug name } }'


async def _client(settings: Settings, db: Database, **update: object) -> Client:
    # The read cache off: every read reaches the database, with a token or without.
    client = Client(settings.model_copy(update={"read_cache_seconds": 0, **update}), db)
    await client.start()
    return client


@pytest.fixture
async def keeping(settings: Settings, db: Database) -> AsyncIterator[Client]:
    """A client of a process that keeps checked tokens for an hour: only an announced
    revocation, or expiry, can end one early."""
    await small_plan(db, slug="tiznit")
    client = await _client(settings, db, token_cache_seconds=3600)
    try:
        yield client
    finally:
        await client.close()


async def _exchanges(client: Client, headers: dict[str, str] | None = None) -> int:
    with count_statements(client.app.state.db) as counter:
        await client.data(READ, headers=headers)
    return counter.exchanges


async def _status(client: Client, token: str) -> int:
    return (await client.post(READ, headers=client.bearer(token))).status_code


async def test_a_token_costs_a_read_one_exchange_more_than_an_anonymous_read(settings: Settings, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    token = await token_for(db, Role.EDITOR, collectivity="tiznit")
    client = await _client(settings, db, token_cache_seconds=0)
    try:
        anonymous = await _exchanges(client)
        for _ in range(2):  # never kept: each request reads the token
            assert await _exchanges(client, client.bearer(token)) == anonymous + 1
    finally:
        await client.close()


async def test_a_token_checked_a_moment_ago_costs_a_read_nothing(keeping: Client, db: Database) -> None:
    token = await token_for(db, Role.EDITOR, collectivity="tiznit")
    anonymous = await _exchanges(keeping)
    assert await _exchanges(keeping, keeping.bearer(token)) == anonymous + 1
    assert await _exchanges(keeping, keeping.bearer(token)) == anonymous


async def test_a_wrong_secret_for_a_kept_key_id_is_checked_against_the_database(keeping: Client, db: Database) -> None:
    """A refusal as quick as an acceptance would tell that the key id exists."""
    token = await token_for(db, Role.ADMIN)
    assert await _status(keeping, token) == 200
    wrong = f"{token.rsplit('_', 1)[0]}_{'x' * 43}"
    with count_statements(db) as counter:
        assert await _status(keeping, wrong) == 401
    assert counter.count == 1


async def test_a_revocation_in_this_process_refuses_a_kept_token_at_once(keeping: Client, db: Database) -> None:
    token = await token_for(db, Role.ADMIN)
    assert await _status(keeping, token) == 200
    async with db.transaction() as session:
        await revoke_token(session, key_id=token.split("_")[1])
    assert await _status(keeping, token) == 401


async def test_a_kept_token_is_refused_once_it_expires(
    keeping: Client, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as session:
        _row, token = await create_token(
            session, name="soon gone", role=Role.ADMIN, expires_at=utcnow() + timedelta(hours=1)
        )
    assert await _status(keeping, token) == 200
    later = utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(tokens, "utcnow", lambda: later)
    assert await _status(keeping, token) == 401


async def test_a_revocation_by_another_process_reaches_a_kept_token_through_notify(
    keeping: Client, postgres_url: str, db: Database
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    token = await token_for(db, Role.ADMIN)
    assert await _status(keeping, token) == 200
    elsewhere = Database(postgres_url)  # another origin: as `tracker token revoke` would be
    try:
        async with elsewhere.transaction() as session:
            await revoke_token(session, key_id=token.split("_")[1])
    finally:
        await elsewhere.dispose()
    for _ in range(500):
        if await _status(keeping, token) == 401:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the revocation was not heard within 5 seconds")


async def test_a_revocation_another_process_cannot_announce_is_honoured_within_the_bound(
    settings: Settings, db: Database, database_url: str
) -> None:
    token = await token_for(db, Role.ADMIN)
    client = await _client(settings, db, token_cache_seconds=0.5)
    try:
        assert await _status(client, token) == 200
        # A Database of its own, on SQLite unheard by this process: as `tracker token revoke` is.
        elsewhere = Database(database_url)
        try:
            async with elsewhere.transaction() as session:
                await revoke_token(session, key_id=token.split("_")[1])
        finally:
            await elsewhere.dispose()
        await asyncio.sleep(0.6)
        assert await _status(client, token) == 401
    finally:
        await client.close()
