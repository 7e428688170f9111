"""Anonymous readers see published plans only; drafts stay with their collectivity."""

from __future__ import annotations

from tests.support.accountability import place_with_body
from tests.support.builders import small_plan
from tests.support.graphql import Client
from tracker.api.relay import encode_id
from tracker.db import Database
from tracker.models import PlanStatus

NODE = "query($id: ID!) { node(id: $id) { id ... on ActionPlan { status } } }"


async def test_anonymous_client_cannot_read_a_draft_plan_by_its_id(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db, status=PlanStatus.DRAFT)
    data = await client.data(NODE, {"id": encode_id("ActionPlan", plan.id)})
    assert data["node"] is None


async def test_anonymous_client_cannot_read_a_draft_commitment_by_its_id(client: Client, db: Database) -> None:
    _plan, commitments = await small_plan(db, status=PlanStatus.DRAFT)
    data = await client.data(NODE, {"id": encode_id("Commitment", commitments[0].id)})
    assert data["node"] is None


async def test_admin_reads_a_draft_plan(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db, status=PlanStatus.DRAFT)
    data = await client.data(NODE, {"id": encode_id("ActionPlan", plan.id)}, admin=True)
    assert data["node"]["status"] == "DRAFT"


async def test_draft_plans_are_left_out_of_collectivity_plans_and_the_network(client: Client, db: Database) -> None:
    await small_plan(db, slug="drafty", status=PlanStatus.DRAFT)
    data = await client.data('{ collectivity(slug: "drafty") { plans { totalCount } } network { planCount } }')
    assert data["collectivity"]["plans"]["totalCount"] == 0
    assert data["network"]["planCount"] == 0


async def test_a_monitor_reads_the_drafts_of_its_own_collectivity(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    query = "query($id: ID!) { node(id: $id) { ... on Commitment { reference } } }"
    data = await client.data(query, {"id": place.commitment_id}, headers=client.bearer(place.monitor))
    assert data["node"] == {"reference": "T-1"}


async def test_a_monitor_of_another_collectivity_does_not(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    other = await place_with_body(db, slug="agadir")
    data = await client.data(NODE, {"id": place.commitment_id}, headers=client.bearer(other.monitor))
    assert data["node"] is None
