"""The events connection: newest first, filterable, private events kept to their collectivity."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import select

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul
from tests.support.graphql import Client
from tests.support.pages import current_plan_id
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.ids import encode_id
from tracker.models import Collectivity, PlanStatus
from tracker.services import commitments, plans

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


async def _second_plan(db: Database, slug: str) -> None:
    """Another published plan of the collectivity, with a commitment: events of its own."""
    async with db.transaction() as session:
        place = (await session.exec(select(Collectivity).where(Collectivity.slug == slug))).one()
        plan = await plans.create_plan(
            session,
            actor=SYSTEM,
            collectivity_id=place.id,
            title={"fr": "Plan suivant"},
            period_start=date(2026, 1, 1),
            period_end=date(2027, 12, 31),
            status=PlanStatus.ADOPTED,
        )
        await commitments.create_commitment(
            session, actor=SYSTEM, plan_id=plan.id, reference="S-1", title={"fr": "Suite"}
        )


async def test_events_filter_by_plan_keeps_out_the_collectivity_s_other_plans(client: Client, db: Database) -> None:
    await ait_melloul(db)
    plan_id = await current_plan_id(client, "ait-melloul")
    await _second_plan(db, "ait-melloul")
    everything = (await client.data(EVENTS, {"filter": {"collectivitySlug": "ait-melloul"}}))["events"]
    of_plan = (await client.data(EVENTS, {"filter": {"planId": plan_id}}))["events"]
    created = (await client.data(EVENTS, {"filter": {"planId": plan_id, "types": ["plan.created"]}}))["events"]
    assert [edge["node"]["subjectId"] for edge in created["edges"]] == [plan_id]
    own = {"collectivitySlug": "ait-melloul", "types": ["collectivity.*", "body.*"]}
    of_place = (await client.data(EVENTS, {"filter": own}))["events"]["totalCount"]
    # All but the collectivity's and its bodies' own, and the second plan's plan.created and commitment.created.
    assert of_plan["totalCount"] == everything["totalCount"] - of_place - 2


async def test_an_event_filter_by_plan_refuses_the_id_of_something_else(client: Client, db: Database) -> None:
    await ait_melloul(db)
    answer = await client.execute(EVENTS, {"filter": {"planId": encode_id("Commitment", uuid.uuid4())}})
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["field"] == "planId"
