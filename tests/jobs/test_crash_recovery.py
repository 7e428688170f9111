"""A process killed between a commit and its delivery loses nothing: the next one delivers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.processes import tracker_command, tracker_server
from tests.support.receiver import Receiver, receiver

pytestmark = pytest.mark.slow

MILESTONES = """
{ collectivity(slug: "ait-melloul") { currentPlan { commitments { edges { node { milestones {
  edges { node { id status } } } } } } } } }
"""
SUBSCRIBE = """
mutation($url: String!) {
  createWebhookSubscription(
    input: {url: $url, format: STANDARD, eventTypes: ["milestone.completed"], sendTest: false}
  ) { secret }
}
"""
COMPLETE = """
mutation($id: ID!) {
  updateMilestone(input: {id: $id, status: COMPLETED, completedOn: "2025-12-01"}) { milestone { id } }
}
"""


def _graphql(url: str, token: str, query: str, variables: dict[str, str] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _open_milestone(url: str, token: str) -> str:
    data = _graphql(url, token, MILESTONES)
    commitments = data["collectivity"]["currentPlan"]["commitments"]["edges"]
    return next(
        milestone["node"]["id"]
        for commitment in commitments
        for milestone in commitment["node"]["milestones"]["edges"]
        if milestone["node"]["status"] in ("IN_PROGRESS", "DELAYED")
    )


def _wait_for(hook: Receiver, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(hook.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_an_event_committed_just_before_a_kill_is_delivered_after_restart(tmp_path: Path) -> None:
    env = {
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "TRACKER_ALLOW_PRIVATE_TARGETS": "true",
        # The first process never gets to dispatch: it is killed first.
        "TRACKER_DISPATCH_INTERVAL_SECONDS": "3600",
        "TRACKER_DELIVERY_INTERVAL_SECONDS": "3600",
    }
    tracker_command("seed-demo", env=env)
    token = tracker_command("token", "create", "--role", "ADMIN", "--name", "ops", env=env).strip()
    with receiver() as hook:
        with tracker_server(env=env) as first:
            secret = str(
                _graphql(first.url, token, SUBSCRIBE, {"url": hook.url})["createWebhookSubscription"]["secret"]
            )  # type: ignore[index]
            _graphql(first.url, token, COMPLETE, {"id": _open_milestone(first.url, token)})
            first.process.kill()
            first.process.wait()
        assert hook.received == []
        fast = {**env, "TRACKER_DISPATCH_INTERVAL_SECONDS": "0.2", "TRACKER_DELIVERY_INTERVAL_SECONDS": "0.2"}
        with tracker_server(env=fast):
            _wait_for(hook, 1)
            time.sleep(1.0)  # room for a wrongful second delivery to show up
    assert len(hook.received) == 1
    payload = Webhook(secret).verify(hook.received[0].body, hook.received[0].headers)
    assert payload["type"] == "milestone.completed"
