"""The operations frontends send (graphql/operations/), run against the demo plan."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from tests.support.builders import ait_melloul
from tests.support.graphql import Client, operation
from tracker.db import Database
from tracker.models import OutboxEvent


async def test_plan_dashboard_shows_the_ait_melloul_plan_in_arabic(client: Client, db: Database) -> None:
    await ait_melloul(db)
    data = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul", "lang": "ar"})
    place = data["collectivity"]
    assert place["name"] == "أيت ملول"
    assert place["parent"]["slug"] == "inezgane-ait-melloul"
    plan = place["currentPlan"]
    assert plan["period"] == {"start": "2024-01-01", "end": "2025-12-31"}
    assert plan["commitments"]["totalCount"] == 7
    assert 0 < plan["progress"] < 100
    first = plan["commitments"]["edges"][0]["node"]
    assert first["reference"] == "AM-1"
    assert "ACCESS_TO_INFORMATION" in first["ogpValues"]


async def test_plan_dashboard_language_follows_accept_language(client: Client, db: Database) -> None:
    await ait_melloul(db)
    body = await client.data(
        operation("PlanDashboard"), {"slug": "ait-melloul"}, headers={"Accept-Language": "fr-MA, ar;q=0.5"}
    )
    assert body["collectivity"]["name"] == "Aït Melloul"


async def test_commitment_detail_lists_milestones_indicators_and_evidence(client: Client, db: Database) -> None:
    await ait_melloul(db)
    dashboard = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul"})
    commitment_id = dashboard["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"]["id"]
    data = await client.data(operation("CommitmentDetail"), {"id": commitment_id, "lang": "fr"})
    node = data["node"]
    assert node["reference"] == "AM-1"
    assert node["plan"]["collectivity"]["slug"] == "ait-melloul"
    assert node["milestones"]["totalCount"] >= 3
    assert node["indicators"]["edges"][0]["node"]["measurements"]["totalCount"] >= 2
    assert node["evidence"]["totalCount"] >= 1


async def test_network_summary_counts_the_demo_plan(client: Client, db: Database) -> None:
    await ait_melloul(db)
    network = (await client.data(operation("NetworkSummary")))["network"]
    assert network["collectivityCount"] == 2
    assert network["planCount"] == 1
    assert network["commitmentCount"] == 7
    assert network["milestoneCount"] == sum(item["count"] for item in network["milestonesByStatus"])
    commune = next(item for item in network["byKind"] if item["kind"] == "COMMUNE")
    assert commune["planCount"] == 1
    assert commune["meanProgress"] == pytest.approx(network["meanProgress"])


async def test_collectivities_page_filters_by_kind(client: Client, db: Database) -> None:
    await ait_melloul(db)
    data = await client.data(operation("CollectivitiesPage"), {"filter": {"kind": ["COMMUNE"]}})
    page = data["collectivities"]
    assert page["totalCount"] == 1
    assert page["edges"][0]["node"]["currentPlan"]["status"] == "IN_IMPLEMENTATION"


async def test_completing_a_milestone_moves_progress_and_emits_events(client: Client, db: Database) -> None:
    await ait_melloul(db)
    dashboard = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul"})
    commitments = dashboard["collectivity"]["currentPlan"]["commitments"]["edges"]
    open_milestone, commitment = next(
        (milestone["node"], edge["node"])
        for edge in commitments
        for milestone in edge["node"]["milestones"]["edges"]
        if milestone["node"]["status"] in ("IN_PROGRESS", "DELAYED")
    )
    data = await client.data(
        operation("UpdateMilestone"),
        {"input": {"id": open_milestone["id"], "status": "COMPLETED", "completedOn": "2025-11-30"}},
        admin=True,
    )
    changed = data["updateMilestone"]["milestone"]
    assert changed["status"] == "COMPLETED"
    assert changed["completedOn"] == "2025-11-30"
    assert changed["isOverdue"] is False
    assert changed["commitment"]["progress"] > commitment["progress"]
    async with db.reader() as session:
        types = (await session.exec(select(OutboxEvent.type).order_by(col(OutboxEvent.seq).desc()).limit(4))).all()
    assert set(types) == {
        "milestone.updated",
        "milestone.status_changed",
        "milestone.completed",
        "commitment.progress_changed",
    }


async def test_creating_a_milestone_returns_it_with_its_commitment(client: Client, db: Database) -> None:
    await ait_melloul(db)
    dashboard = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul"})
    commitment = dashboard["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"]
    data = await client.data(
        operation("CreateMilestone"),
        {
            "input": {
                "commitmentId": commitment["id"],
                "title": {"fr": "Nouvelle étape", "ar": "مرحلة جديدة"},
                "dueOn": "2025-12-15",
                "weight": 2,
            }
        },
        admin=True,
    )
    milestone = data["createMilestone"]["milestone"]
    assert milestone["title"] == "مرحلة جديدة"
    assert milestone["weight"] == 2
    assert milestone["commitment"]["progress"] < commitment["progress"]


async def test_recording_a_measurement_updates_the_indicator(client: Client, db: Database) -> None:
    await ait_melloul(db)
    dashboard = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul"})
    indicator = dashboard["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"]["indicators"]["edges"][0][
        "node"
    ]
    observed = f"{date.today().isoformat()}T00:00:00Z"
    data = await client.data(
        operation("RecordMeasurement"),
        {"input": {"indicatorId": indicator["id"], "value": indicator["target"], "observedAt": observed}},
        admin=True,
    )
    assert data["recordMeasurement"]["indicator"]["progress"] == 100.0
    assert data["recordMeasurement"]["indicator"]["latest"]["value"] == indicator["target"]
