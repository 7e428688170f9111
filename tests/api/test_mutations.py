"""Mutations change what they say, emit their events, and refuse conflicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import Commitment, Evidence, Milestone, OutboxEvent

CREATE_PLAN = """
mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id title status period { start end } } } }
"""
UPDATE_PLAN = "mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { id status adoptedOn } } }"
DELETE_PLAN = "mutation($input: DeleteInput!) { deletePlan(input: $input) { deletedId } }"
CREATE_COMMITMENT = """
mutation($input: CreateCommitmentInput!) {
  createCommitment(input: $input) { commitment { id reference ogpValues partners status progress } }
}
"""
UPDATE_COLLECTIVITY = """
mutation($input: UpdateCollectivityInput!) {
  updateCollectivity(input: $input) { collectivity { slug name(lang: "fr") } }
}
"""
ADD_EVIDENCE = "mutation($input: AddEvidenceInput!) { addEvidence(input: $input) { evidence { id url kind } } }"
DELETE_EVIDENCE = "mutation($input: DeleteInput!) { deleteEvidence(input: $input) { deletedId } }"


async def _event_types(db: Database) -> list[str]:
    async with db.reader() as session:
        return list((await session.exec(select(OutboxEvent.type).order_by(col(OutboxEvent.seq)))).all())


async def _count(db: Database, model: type[Any]) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_create_plan_returns_it_as_a_draft(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {
        "input": {
            "collectivityId": encode_id("Collectivity", plan.collectivity_id),
            "title": {"ar": "خطة 2026-2027", "fr": "Plan 2026-2027"},
            "period": {"start": "2026-01-01", "end": "2027-12-31"},
        }
    }
    created = (await client.data(CREATE_PLAN, variables, admin=True))["createPlan"]["plan"]
    assert created["status"] == "DRAFT"
    assert created["period"] == {"start": "2026-01-01", "end": "2027-12-31"}
    assert (await _event_types(db))[-1] == "plan.created"


async def test_changing_plan_status_emits_status_changed_with_before_and_after(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {
        "input": {"id": encode_id("ActionPlan", plan.id), "status": "IN_IMPLEMENTATION", "adoptedOn": "2023-10-05"}
    }
    changed = (await client.data(UPDATE_PLAN, variables, admin=True))["updatePlan"]["plan"]
    assert changed == {"id": variables["input"]["id"], "status": "IN_IMPLEMENTATION", "adoptedOn": "2023-10-05"}
    async with db.reader() as session:
        event = (await session.exec(select(OutboxEvent).where(OutboxEvent.type == "plan.status_changed"))).one()
    assert event.data["status"] == {"before": "ADOPTED", "after": "IN_IMPLEMENTATION"}


async def test_an_update_that_changes_nothing_emits_nothing(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    before = await _event_types(db)
    await client.data(UPDATE_PLAN, {"input": {"id": encode_id("ActionPlan", plan.id), "status": "ADOPTED"}}, admin=True)
    assert await _event_types(db) == before


async def test_shrinking_a_period_under_existing_milestones_is_refused(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {
        "input": {"id": encode_id("ActionPlan", plan.id), "period": {"start": "2024-07-01", "end": "2025-12-31"}}
    }
    body = await client.execute(UPDATE_PLAN, variables, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "period")]


async def test_deleting_a_plan_deletes_its_commitments_and_milestones(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db, commitments_count=3)
    await client.data(DELETE_PLAN, {"input": {"id": encode_id("ActionPlan", plan.id)}}, admin=True)
    assert await _count(db, Commitment) == 0
    assert await _count(db, Milestone) == 0
    assert (await _event_types(db))[-1] == "plan.deleted"


async def test_create_commitment_keeps_ogp_values_and_partners(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {
        "input": {
            "planId": encode_id("ActionPlan", plan.id),
            "reference": "T-9",
            "title": {"fr": "Données ouvertes"},
            "ogpValues": ["ACCESS_TO_INFORMATION", "TECHNOLOGY_AND_INNOVATION"],
            "partners": ["Transparency Maroc"],
        }
    }
    created = (await client.data(CREATE_COMMITMENT, variables, admin=True))["createCommitment"]["commitment"]
    assert created["ogpValues"] == ["ACCESS_TO_INFORMATION", "TECHNOLOGY_AND_INNOVATION"]
    assert created["partners"] == ["Transparency Maroc"]
    assert created["progress"] == 0.0


async def test_duplicate_commitment_reference_is_a_conflict(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {"input": {"planId": encode_id("ActionPlan", plan.id), "reference": "T-1", "title": {"fr": "Doublon"}}}
    body = await client.execute(CREATE_COMMITMENT, variables, admin=True)
    assert error_codes(body) == [("CONFLICT", "reference")]


async def test_update_collectivity_renames_it(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {"input": {"id": encode_id("Collectivity", plan.collectivity_id), "name": {"fr": "Tiznit (commune)"}}}
    changed = (await client.data(UPDATE_COLLECTIVITY, variables, admin=True))["updateCollectivity"]["collectivity"]
    assert changed == {"slug": "tiznit", "name": "Tiznit (commune)"}


async def test_update_collectivity_refuses_a_taken_slug(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db, slug="tiznit")
    await small_plan(db, slug="agadir")
    variables = {"input": {"id": encode_id("Collectivity", plan.collectivity_id), "slug": "agadir"}}
    body = await client.execute(UPDATE_COLLECTIVITY, variables, admin=True)
    assert error_codes(body) == [("CONFLICT", "slug")]


async def test_a_collectivity_cannot_be_its_own_parent(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    own = encode_id("Collectivity", plan.collectivity_id)
    body = await client.execute(UPDATE_COLLECTIVITY, {"input": {"id": own, "parentId": own}}, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "parentId")]


async def test_the_same_evidence_twice_is_a_conflict_and_removal_frees_it(client: Client, db: Database) -> None:
    _plan, commitments = await small_plan(db)
    variables = {
        "input": {
            "commitmentId": encode_id("Commitment", commitments[0].id),
            "url": "https://data.gov.ma/",
            "title": {"fr": "Portail national"},
            "kind": "DATASET",
        }
    }
    added = (await client.data(ADD_EVIDENCE, variables, admin=True))["addEvidence"]["evidence"]
    again = await client.execute(
        ADD_EVIDENCE, {"input": {**variables["input"], "url": "HTTPS://DATA.GOV.MA/#top"}}, admin=True
    )
    assert error_codes(again) == [("CONFLICT", "url")]
    await client.data(DELETE_EVIDENCE, {"input": {"id": added["id"]}}, admin=True)
    assert await _count(db, Evidence) == 0
    assert (await _event_types(db))[-1] == "evidence.removed"
    await client.data(ADD_EVIDENCE, variables, admin=True)
