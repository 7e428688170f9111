"""The operations frontends send run the same number of SQL statements however many rows they read."""

from __future__ import annotations

from typing import Any

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


async def _statements(client: Client, db: Database, name: str) -> tuple[int, dict[str, Any]]:
    """How many SQL statements the operation sends, and its data."""
    with count_statements(db) as counter:
        data = await client.data(operation(name))
    return counter.count, data


async def test_network_summary_statements_do_not_grow_with_plans(client: Client, db: Database) -> None:
    await small_plan(db, slug="first", commitments_count=2)
    before, _ = await _statements(client, db, "NetworkSummary")
    for number in range(5):
        await small_plan(db, slug=f"other-{number}", commitments_count=3)
    after, data = await _statements(client, db, "NetworkSummary")
    assert data["network"]["planCount"] == 6
    assert after == before


async def test_collectivities_page_statements_do_not_grow_with_rows(client: Client, db: Database) -> None:
    await small_plan(db, slug="alpha", commitments_count=1)
    before, _ = await _statements(client, db, "CollectivitiesPage")
    for number in range(6):
        await small_plan(db, slug=f"beta-{number}", commitments_count=2)
    after, data = await _statements(client, db, "CollectivitiesPage")
    assert data["collectivities"]["totalCount"] == 7
    assert after == before
