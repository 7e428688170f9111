"""GraphQL subscriptions over graphql-transport-ws, against a real server with its scheduler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import websockets

from tests.support.builders import ait_melloul
from tests.support.event_world import CREATE_SOURCE, INTERNAL_SOURCE_PATH, RUN_SOURCE
from tests.support.graphql import operation
from tests.support.loopback import serve
from tests.support.publisher import Publisher, publisher
from tests.support.tokens import token_for
from tracker.app import create_app
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.models import Role
from tracker.settings import Settings

pytestmark = pytest.mark.slow

EVENTS = 'subscription { events(filter: {types: ["milestone.completed"]}) { type subjectId } }'


@contextmanager
def live_server(settings: Settings, **overrides: Any) -> Iterator[str]:
    fast = settings.model_copy(
        update={"scheduler_enabled": True, "dispatch_interval_seconds": 0.1, "live_poll_seconds": 0.2, **overrides}
    )
    # The server builds its own engine: an engine belongs to one event loop.
    with serve(create_app(fast), lifespan="on") as base_url:
        yield base_url


@asynccontextmanager
async def subscription(base_url: str, query: str, token: str | None = None) -> AsyncIterator[Any]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as socket:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        yield socket


async def next_payload(socket: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=15))
        if message["type"] == "next":
            payload: dict[str, Any] = message["payload"]
            return payload
        assert message["type"] in ("ping", "pong"), message


async def _open_milestone(base_url: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base_url}/graphql", json={"query": operation("PlanDashboard"), "variables": {"slug": "ait-melloul"}}
        )
    commitments = response.json()["data"]["collectivity"]["currentPlan"]["commitments"]["edges"]
    return next(
        milestone["node"]["id"]
        for commitment in commitments
        for milestone in commitment["node"]["milestones"]["edges"]
        if milestone["node"]["status"] in ("IN_PROGRESS", "DELAYED")
    )


async def _complete(base_url: str, token: str, milestone_id: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base_url}/graphql",
            json={
                "query": operation("UpdateMilestone"),
                "variables": {"input": {"id": milestone_id, "status": "COMPLETED", "completedOn": "2025-12-01"}},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    assert "errors" not in response.json()


async def _demo_already_announced(db: Database) -> None:
    """The demo's own events are old news by the time the server starts."""
    await ait_melloul(db)
    await Dispatcher(db).drain()


async def test_a_subscriber_receives_a_milestone_completed_by_another_client(settings: Settings, db: Database) -> None:
    await _demo_already_announced(db)
    token = await token_for(db, Role.ADMIN)
    with live_server(settings) as base_url:
        milestone_id = await _open_milestone(base_url)
        async with subscription(base_url, EVENTS) as socket:
            await asyncio.sleep(0.3)  # the subscription is registered before the change
            await _complete(base_url, token, milestone_id)
            payload = await next_payload(socket)
    assert payload["data"]["events"] == {"type": "milestone.completed", "subjectId": milestone_id}


async def test_plan_progress_is_pushed_when_a_milestone_moves_it(settings: Settings, db: Database) -> None:
    await _demo_already_announced(db)
    token = await token_for(db, Role.ADMIN)
    with live_server(settings) as base_url:
        async with httpx.AsyncClient() as http:
            data = (
                await http.post(
                    f"{base_url}/graphql",
                    json={"query": '{ collectivity(slug: "ait-melloul") { currentPlan { id } } }'},
                )
            ).json()["data"]
        plan_id = data["collectivity"]["currentPlan"]["id"]
        milestone_id = await _open_milestone(base_url)
        query = f'subscription {{ planProgress(planId: "{plan_id}") {{ progress cause }} }}'
        async with subscription(base_url, query) as socket:
            first = (await next_payload(socket))["data"]["planProgress"]
            await _complete(base_url, token, milestone_id)
            second = (await next_payload(socket))["data"]["planProgress"]
    assert first["cause"] is None
    assert second["progress"] > first["progress"]
    assert second["cause"].startswith("milestone.")


async def test_a_bad_token_in_connection_init_is_refused(settings: Settings, db: Database) -> None:
    with live_server(settings) as base_url:
        url = base_url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as socket:
            await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer trk_nope"}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_commit_wakes_the_dispatcher_without_waiting_for_its_tick(settings: Settings, db: Database) -> None:
    await _demo_already_announced(db)
    token = await token_for(db, Role.ADMIN)
    # Ticks an hour apart: only the wake-up after commit can deliver within the test's patience.
    with live_server(settings, dispatch_interval_seconds=3600, delivery_interval_seconds=3600) as base_url:
        milestone_id = await _open_milestone(base_url)
        async with subscription(base_url, EVENTS) as socket:
            await asyncio.sleep(0.3)
            await _complete(base_url, token, milestone_id)
            payload = await next_payload(socket)
    assert payload["data"]["events"]["type"] == "milestone.completed"


async def first_message(socket: Any) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout=15))
        if message["type"] not in ("ping", "pong"):
            return message


def _codes(message: dict[str, Any]) -> list[tuple[str, str | None]]:
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    return [(error["extensions"]["code"], error["extensions"].get("field")) for error in errors]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('subscription { events(filter: {subjectId: "nope"}) { type } }', ("BAD_USER_INPUT", "subjectId")),
        ('subscription { events(filter: {collectivitySlug: "nowhere"}) { type } }', ("NOT_FOUND", "collectivitySlug")),
        ('subscription { planProgress(planId: "nope") { progress } }', ("BAD_USER_INPUT", "planId")),
        ("subscription { events { nope } }", ("BAD_USER_INPUT", "nope")),
    ],
)
async def test_subscription_errors_carry_their_code(
    settings: Settings, db: Database, query: str, code: tuple[str, str | None]
) -> None:
    with live_server(settings) as base_url:
        async with subscription(base_url, query) as socket:
            message = await first_message(socket)
    assert message["type"] in ("error", "next"), message
    assert _codes(message) == [code]


async def test_an_anonymous_subscriber_never_receives_source_failures(settings: Settings, db: Database) -> None:
    await _demo_already_announced(db)
    token = await token_for(db, Role.ADMIN)
    query = 'subscription { events(filter: {types: ["source.*", "milestone.completed"]}) { type data } }'
    with live_server(settings) as base_url, publisher() as site:
        milestone_id = await _open_milestone(base_url)
        async with subscription(base_url, query) as socket:
            await asyncio.sleep(0.3)  # the subscription is registered before the changes
            await _fail_a_source(base_url, token, site, milestone_id)
            await _complete(base_url, token, milestone_id)
            payload = await next_payload(socket)
    assert payload["data"]["events"]["type"] == "milestone.completed"


async def _fail_a_source(base_url: str, token: str, site: Publisher, milestone_id: str) -> None:
    site.pages[INTERNAL_SOURCE_PATH] = (500, "text/plain", "upstream 10.0.0.7 refused")
    headers = {"Authorization": f"Bearer {token}"}
    source = {"kind": "DOCUMENT", "url": f"{site.url}{INTERNAL_SOURCE_PATH}", "schedule": "PT6H"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        created = await http.post(
            "/graphql", json={"query": CREATE_SOURCE, "variables": {"input": {**source, "targetId": milestone_id}}}
        )
        source_id = created.json()["data"]["createEvidenceSource"]["source"]["id"]
        for _ in range(3):
            ran = await http.post("/graphql", json={"query": RUN_SOURCE, "variables": {"id": source_id}})
        assert ran.json()["data"]["runSourceNow"]["source"]["state"] == "FAILING"
