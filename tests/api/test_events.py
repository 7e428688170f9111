"""The events connection: newest first, filterable, private events kept to their collectivity."""

from __future__ import annotations

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul
from tests.support.graphql import Client
from tracker.db import Database
from tracker.models import PlanStatus

EVENTS = """
query($filter: EventFilter) {
  events(filter: $filter, first: 50) { totalCount edges { node { type sequence subjectId actorRole data } } }
}
"""


async def test_events_come_newest_first(client: Client, db: Database) -> None:
    await ait_melloul(db)
    edges = (await client.data(EVENTS))["events"]["edges"]
    sequences = [edge["node"]["sequence"] for edge in edges]
    assert sequences == sorted(sequences, reverse=True)


async def test_events_filter_by_type_pattern_and_collectivity(client: Client, db: Database) -> None:
    await ait_melloul(db)
    filtered = {"types": ["milestone.*", "plan.created"], "collectivitySlug": "ait-melloul"}
    events = (await client.data(EVENTS, {"filter": filtered}))["events"]
    types = {edge["node"]["type"] for edge in events["edges"]}
    # 31 milestones, 24 of them loaded as completed (docs/events.md), and the plan.
    assert types <= {"milestone.created", "milestone.completed", "plan.created"}
    assert events["totalCount"] == 31 + 24 + 1


async def test_draft_plan_events_stay_with_their_collectivity(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    scope = {"filter": {"collectivitySlug": place.slug}}
    anonymous = (await client.data(EVENTS, scope))["events"]["edges"]
    monitor = (await client.data(EVENTS, scope, headers=client.bearer(place.monitor)))["events"]["edges"]
    # The collectivity and its bodies are public; the draft plan and its content are not.
    assert {edge["node"]["type"] for edge in anonymous} == {"collectivity.created", "body.created"}
    assert {"plan.created", "commitment.created", "milestone.created"} <= {edge["node"]["type"] for edge in monitor}


async def test_a_loaded_completion_says_when_it_happened_and_that_it_was_not_announced(
    client: Client, db: Database
) -> None:
    await ait_melloul(db)
    query = """
    query($filter: EventFilter) {
      events(filter: $filter, first: 100) { nodes { type occurredAt happenedAt announced data } }
    }
    """
    nodes = (await client.data(query, {"filter": {"types": ["milestone.*"]}}))["events"]["nodes"]
    created = [node for node in nodes if node["type"] == "milestone.created"]
    completed = [node for node in nodes if node["type"] == "milestone.completed"]
    assert created and not any(node["announced"] for node in created)
    assert all(node["happenedAt"] == node["occurredAt"] for node in created)
    # A completion loaded with the plan happened on its completion date, long before the load.
    assert completed and all(node["announced"] for node in completed)
    assert all(node["happenedAt"] < node["occurredAt"] for node in completed)
    assert all(node["happenedAt"].startswith(node["data"]["completedOn"]) for node in completed)
