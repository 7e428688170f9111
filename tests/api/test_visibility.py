"""Anonymous readers see published plans only; drafts stay with their collectivity."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.accountability import place_with_body
from tests.support.builders import small_plan
from tests.support.event_world import INTERNAL_SOURCE_PATH, failing_source
from tests.support.graphql import Client
from tests.support.publisher import publisher
from tracker.api.core.relay import encode_id
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


SOURCE = """
query($id: ID!) {
  node(id: $id) {
    ... on Commitment {
      evidenceSources { url options lastError runs { edges { node { error warnings httpStatus } } } }
    }
  }
}
"""


async def _failing_source_as_read_by(client: Client, db: Database, role: str) -> dict[str, Any]:
    place = await place_with_body(db)
    other = await place_with_body(db, slug="agadir")
    with publisher() as site:
        await failing_source(client, site, place.commitment_id)
    tokens = {
        "ADMIN": client.admin_token,
        "EDITOR_OWN": place.editor,
        "EDITOR_OTHER": other.editor,
        "MONITOR_OWN": place.monitor,
        "MONITOR_OTHER": other.monitor,
    }
    headers = client.bearer(tokens[role]) if role in tokens else {}
    data = await client.data(SOURCE, {"id": place.commitment_id}, headers=headers)
    source: dict[str, Any] = data["node"]["evidenceSources"][0]
    return source


@pytest.mark.parametrize("role", ["ADMIN", "EDITOR_OWN"])
async def test_who_manages_a_source_reads_its_url_options_and_errors(client: Client, db: Database, role: str) -> None:
    source = await _failing_source_as_read_by(client, db, role)
    assert source["url"].endswith(INTERNAL_SOURCE_PATH)
    assert source["options"] == {"language": "fr"}
    assert source["lastError"]
    assert all(run["node"]["error"] for run in source["runs"]["edges"])


@pytest.mark.parametrize("role", ["EDITOR_OTHER", "MONITOR_OWN", "MONITOR_OTHER", "ANONYMOUS"])
async def test_others_read_a_sources_host_only_and_no_options_or_errors(
    client: Client, db: Database, role: str
) -> None:
    source = await _failing_source_as_read_by(client, db, role)
    assert source["url"].startswith("http://127.0.0.1:")
    assert source["url"].endswith("/…")
    assert source["options"] is None
    assert source["lastError"] is None
    assert INTERNAL_SOURCE_PATH not in json.dumps(source)
    assert [run["node"]["error"] for run in source["runs"]["edges"]] == [None, None, None]
    assert [run["node"]["httpStatus"] for run in source["runs"]["edges"]] == [500, 500, 500]
