"""The operations frontends send run the same number of SQL statements however many rows they read."""

from __future__ import annotations

from tests.support.builders import small_plan
from tests.support.graphql import Client, operation
from tests.support.sql import count_statements
from tracker.db import Database


async def _dashboard_statements(client: Client, db: Database, commitments: int, slug: str) -> int:
    await small_plan(db, slug=slug, commitments_count=commitments)
    with count_statements(db) as counter:
        data = await client.data(operation("PlanDashboard"), {"slug": slug})
    assert data["collectivity"]["currentPlan"]["commitments"]["totalCount"] == commitments
    return counter.count


async def test_plan_dashboard_runs_as_many_statements_for_5_and_500_commitments(client: Client, db: Database) -> None:
    few = await _dashboard_statements(client, db, 5, "few")
    many = await _dashboard_statements(client, db, 500, "many")
    assert few == many


async def test_network_summary_statements_do_not_grow_with_plans(client: Client, db: Database) -> None:
    await small_plan(db, slug="first", commitments_count=2)
    with count_statements(db) as counter:
        await client.data(operation("NetworkSummary"))
    before = counter.count
    for number in range(5):
        await small_plan(db, slug=f"other-{number}", commitments_count=3)
    with count_statements(db) as counter:
        data = await client.data(operation("NetworkSummary"))
    assert data["network"]["planCount"] == 6
    assert counter.count == before


async def test_collectivities_page_statements_do_not_grow_with_rows(client: Client, db: Database) -> None:
    await small_plan(db, slug="alpha", commitments_count=1)
    with count_statements(db) as counter:
        await client.data(operation("CollectivitiesPage"))
    before = counter.count
    for number in range(6):
        await small_plan(db, slug=f"beta-{number}", commitments_count=2)
    with count_statements(db) as counter:
        data = await client.data(operation("CollectivitiesPage"))
    assert data["collectivities"]["totalCount"] == 7
    assert counter.count == before
