"""Rate limits per token and per client address, shared by replicas, off when not configured."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import httpx
import pytest
from limits.errors import ConfigurationError
from sqlmodel import select

from tests.support.graphql import Client, error_codes
from tests.support.tokens import token_for
from tracker.db import Database
from tracker.models import RateLimitCounter, Role
from tracker.settings import Settings
from tracker.web.rate_limit_storage import DatabaseStorage

QUERY = "query { collectivities(first: 1) { totalCount } }"
REDIS = "redis://127.0.0.1:6379"
# What one test's client may send: low, so a test hits its limit in a few requests.
ANONYMOUS, AUTHENTICATED = 3, 6


def _address() -> str:
    """A client address of its own: Redis is shared by every test run on this machine."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def _limited(settings: Settings, storage: str | None) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_storage": storage,
            "rate_limit_anonymous": f"{ANONYMOUS}/minute",
            "rate_limit_authenticated": f"{AUTHENTICATED}/minute",
        }
    )


class Replica:
    """One application (as one process of a deployment would run it) and an HTTP client of it."""

    def __init__(self, settings: Settings, db: Database, address: str) -> None:
        self.graphql = Client(settings, db)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.graphql.app, client=(address, 40000)), base_url="http://tracker.test"
        )

    async def post(self, token: str | None = None) -> httpx.Response:
        headers = Client.bearer(token) if token else {}
        return await self.http.post("/graphql", json={"query": QUERY}, headers=headers)

    async def close(self) -> None:
        await self.http.aclose()
        await self.graphql.close()


@pytest.fixture
async def replicas(settings: Settings, db: Database, request: pytest.FixtureRequest) -> AsyncIterator[list[Replica]]:
    """Two applications on one database and one rate limit storage, seen from one client address."""
    storage = request.param
    address = _address()
    made = [Replica(_limited(settings, storage), db, address) for _ in range(2)]
    for replica in made:
        await replica.graphql.start()
    try:
        yield made
    finally:
        for replica in made:
            await replica.close()


async def _statuses(replica: Replica, count: int, token: str | None = None) -> list[int]:
    return [(await replica.post(token)).status_code for _ in range(count)]


@pytest.mark.parametrize("replicas", ["memory://", REDIS, "postgresql"], indirect=True)
async def test_an_anonymous_client_over_its_limit_gets_429_with_retry_after(replicas: list[Replica]) -> None:
    replica = replicas[0]
    assert await _statuses(replica, ANONYMOUS) == [200] * ANONYMOUS
    refused = await replica.post()
    assert refused.status_code == 429
    assert error_codes(refused.json()) == [("RATE_LIMITED", None)]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["errors"][0]["extensions"]["retryAfter"] == int(refused.headers["retry-after"])


@pytest.mark.parametrize("replicas", [REDIS, "postgresql"], indirect=True)
async def test_replicas_share_their_counts(replicas: list[Replica]) -> None:
    first, second = replicas
    assert await _statuses(first, ANONYMOUS - 1) == [200] * (ANONYMOUS - 1)
    assert await _statuses(second, 2) == [200, 429]
    assert (await first.post()).status_code == 429


@pytest.mark.parametrize("replicas", ["postgresql"], indirect=True)
async def test_a_token_may_send_more_than_an_anonymous_client(replicas: list[Replica], db: Database) -> None:
    replica = replicas[0]
    token = await token_for(db, Role.ADMIN)
    assert await _statuses(replica, AUTHENTICATED, token) == [200] * AUTHENTICATED
    assert (await replica.post(token)).status_code == 429
    # The token's count is its own: the same address without a token still has its allowance.
    assert (await replica.post()).status_code == 200


@pytest.mark.parametrize("replicas", ["postgresql"], indirect=True)
async def test_each_token_has_its_own_count(replicas: list[Replica], db: Database) -> None:
    replica = replicas[0]
    first, second = await token_for(db, Role.ADMIN), await token_for(db, Role.ADMIN)
    assert await _statuses(replica, AUTHENTICATED + 1, first) == [200] * AUTHENTICATED + [429]
    assert (await replica.post(second)).status_code == 200


@pytest.mark.parametrize("replicas", ["postgresql"], indirect=True)
async def test_refused_tokens_count_against_the_address_at_the_anonymous_rate(replicas: list[Replica]) -> None:
    replica = replicas[0]
    guesses = [f"trk_{number:012d}_{'x' * 43}" for number in range(ANONYMOUS + 1)]
    statuses = [(await replica.post(guess)).status_code for guess in guesses]
    assert statuses == [401] * ANONYMOUS + [429]


@pytest.mark.parametrize("replicas", ["postgresql"], indirect=True)
async def test_probes_are_never_limited(replicas: list[Replica]) -> None:
    replica = replicas[0]
    await _statuses(replica, ANONYMOUS + 1)
    assert (await replica.http.get("/healthz")).status_code == 200


@pytest.mark.parametrize("replicas", [None], indirect=True)
async def test_no_limits_when_no_storage_is_set(replicas: list[Replica]) -> None:
    assert await _statuses(replicas[0], ANONYMOUS * 3) == [200] * (ANONYMOUS * 3)


@pytest.mark.parametrize("replicas", ["redis://127.0.0.1:1"], indirect=True)
async def test_an_unreachable_storage_lets_requests_through(
    replicas: list[Replica], caplog: pytest.LogCaptureFixture
) -> None:
    assert await _statuses(replicas[0], ANONYMOUS + 2) == [200] * (ANONYMOUS + 2)
    assert any("rate limit storage failed" in record.getMessage() for record in caplog.records)


def test_a_malformed_rate_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="couldn't parse rate limit string"):
        Settings(rate_limit_anonymous="sixty a minute")


async def test_an_unknown_storage_stops_the_start(settings: Settings, db: Database) -> None:
    application = Client(_limited(settings, "nosuch://somewhere"), db)
    with pytest.raises(ConfigurationError):
        await application.start()
    await application.http.aclose()


async def test_the_database_storage_restarts_a_window_once_it_has_passed(db: Database) -> None:
    now = 1_000_000.0
    storage = DatabaseStorage(db, clock=lambda: now)
    assert [await storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert await storage.get("k") == 3
    assert await storage.get_expiry("k") == now + 60
    now += 61
    assert await storage.get("k") == 0
    assert await storage.incr("k", 60) == 1
    assert await storage.get_expiry("k") == now + 60


async def test_concurrent_hits_on_the_database_storage_all_count(db: Database) -> None:
    storage = DatabaseStorage(db)
    await asyncio.gather(*(storage.incr("busy", 60) for _ in range(20)))
    assert await storage.get("busy") == 20


async def test_the_database_storage_deletes_windows_long_past(db: Database) -> None:
    now = 1_000_000.0
    storage = DatabaseStorage(db, clock=lambda: now)
    await storage.incr("old", 60)
    now += 120
    await storage.incr("new", 60)
    async with db.reader() as session:
        keys = (await session.exec(select(RateLimitCounter.key))).all()
    assert keys == ["new"]
