"""The embedded default under concurrent writes: every write is answered, and kept.

`tracker serve` on SQLite with its scheduler dispatching and delivering, and sixteen clients
recording measurements, moving milestones and reading the dashboard through the HTTP API (the
load of `make bench`'s embedded figures, `bench/embedded.py`). A transaction waiting for SQLite's
write lock used to give up after five seconds of unfair polling ("database is locked"), which the
client saw as INTERNAL: about one request in 500 under this load.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bench.embedded import Load, mixed_load
from tests.support.processes import tracker_command, tracker_server
from tests.support.receiver import receiver

pytestmark = pytest.mark.slow

CLIENTS = 16
SECONDS = 10.0

MEASUREMENTS = """
query($id: ID!, $after: String) { node(id: $id) { ... on Indicator {
  measurements(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } } }
"""
MILESTONE = "query($id: ID!) { node(id: $id) { ... on Milestone { status } } }"
SUBSCRIBE = """
mutation($url: String!) {
  createWebhookSubscription(input: {url: $url, format: STANDARD, sendTest: false}) { secret }
}
"""


async def _stored_measurements(load: Load, http: httpx.AsyncClient, indicator: str) -> set[str]:
    stored: set[str] = set()
    after = None
    while True:
        data = await load.send(http, MEASUREMENTS, {"id": indicator, "after": after})
        assert data is not None, load.first_failures
        page = data["node"]["measurements"]
        stored |= {edge["node"]["id"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return stored
        after = page["pageInfo"]["endCursor"]


async def _load_then_check(url: str, load: Load) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=httpx.Limits(max_connections=CLIENTS)) as http:
        await mixed_load(http, load, clients=CLIENTS, seconds=SECONDS)
        assert not load.failures, f"{load.failures} of {load.requests} requests: {load.first_failures}"
        for indicator, acknowledged in load.measurements.items():
            stored = await _stored_measurements(load, http, indicator)
            assert acknowledged <= stored, f"acknowledged measurements lost on {indicator}"
        for milestone, status in load.milestones.items():
            data = await load.send(http, MILESTONE, {"id": milestone})
            assert data is not None and data["node"]["status"] == status, (milestone, status, data)


def test_concurrent_writers_and_readers_on_sqlite_all_succeed_and_nothing_is_lost(tmp_path: Path) -> None:
    env = {
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "TRACKER_ALLOW_PRIVATE_TARGETS": "true",
        # The scheduler writes all along: every change is dispatched and delivered at once.
        "TRACKER_DISPATCH_INTERVAL_SECONDS": "0.05",
        "TRACKER_DELIVERY_INTERVAL_SECONDS": "0.05",
    }
    tracker_command("seed-demo", env=env)
    token = tracker_command(
        "token", "create", "--role", "EDITOR", "--collectivity", "ait-melloul", "--name", "staff", env=env
    ).strip()
    admin = tracker_command("token", "create", "--role", "ADMIN", "--name", "ops", env=env).strip()
    load = Load(token)
    with receiver() as hook, tracker_server(env=env) as server:
        subscribed = httpx.post(
            f"{server.url}/graphql",
            json={"query": SUBSCRIBE, "variables": {"url": hook.url}},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert "errors" not in subscribed.json(), subscribed.text
        asyncio.run(_load_then_check(server.url, load))
        assert hook.received, "the scheduler delivered nothing while the clients wrote"
    assert sum(map(len, load.measurements.values())) > CLIENTS, "too few writes to tell anything"
