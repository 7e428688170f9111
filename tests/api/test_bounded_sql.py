"""Every operation in graphql/operations/ runs as many SQL statements on 5 rows as on 500.

Each is counted on both read paths (the planner's and strawberry's), with the read cache off so that
every request reaches the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.builders import small_plan
from tests.support.bulk import grow_commitment, plan_of_commitments
from tests.support.graphql import Client, admin_client, operation
from tests.support.sql import count_statements
from tracker.db import Database
from tracker.demo import network
from tracker.ids import encode_id
from tracker.settings import Settings


@pytest.fixture(params=["planned", "normal"])
async def reads(request: pytest.FixtureRequest, settings: Settings, db: Database) -> AsyncIterator[Client]:
    """A client whose reads all reach the database, by the planner (on PostgreSQL) or strawberry."""
    # No token cache either: whether a token's check is still cached depends on the clock (growing
    # 500 rows can take longer than its lifetime), and each request must count the same.
    update = {"read_cache_seconds": 0, "token_cache_seconds": 0, "planned_reads": request.param == "planned"}
    async with admin_client(settings, db, **update) as client:
        yield client


async def _count(client: Client, name: str, variables: dict[str, Any], *, admin: bool = False) -> int:
    with count_statements(client.app.state.db) as counter:
        await client.data(operation(name), variables, admin=admin)
    return counter.count


async def test_plan_dashboard_runs_as_many_statements_for_5_and_500_commitments(reads: Client, db: Database) -> None:
    counts = []
    for slug, rows in (("few", 5), ("many", 500)):
        await plan_of_commitments(db, slug=slug, count=rows)
        counts.append(await _count(reads, "PlanDashboard", {"slug": slug}))
    assert counts[0] == counts[1]


async def test_commitment_work_runs_as_many_statements_for_5_and_500_rows(reads: Client, db: Database) -> None:
    """CommitmentDetail and the three mutations, on commitments with 5 and 500 rows of each kind."""
    counts: dict[str, list[int]] = {}
    for slug, rows in (("few", 5), ("many", 500)):
        _plan, (commitment,) = await small_plan(db, slug=slug, commitments_count=1)
        indicator_id = await grow_commitment(db, commitment.id, rows)
        commitment_key = encode_id("Commitment", commitment.id)
        detail = await reads.data(operation("CommitmentDetail"), {"id": commitment_key}, admin=True)
        assert detail["node"]["milestones"]["totalCount"] == rows + 1
        milestone_key = detail["node"]["milestones"]["edges"][0]["node"]["id"]
        work = [
            ("CommitmentDetail", {"id": commitment_key}),
            ("UpdateMilestone", {"input": {"id": milestone_key, "status": "COMPLETED"}}),
            (
                "CreateMilestone",
                {"input": {"commitmentId": commitment_key, "title": {"fr": "Nouvelle"}, "dueOn": "2025-06-30"}},
            ),
            (
                "RecordMeasurement",
                {
                    "input": {
                        "indicatorId": encode_id("Indicator", indicator_id),
                        "value": 42.0,
                        "observedAt": "2025-01-31T00:00:00Z",
                    }
                },
            ),
        ]
        for name, variables in work:
            counts.setdefault(name, []).append(await _count(reads, name, variables, admin=True))
    for name, (few, many) in counts.items():
        # Never more for 500 rows. One fewer is allowed: a new milestone among 500 can move the
        # commitment's progress by less than the published precision, and then no event is written.
        assert many in (few, few - 1), (name, few, many)
    assert counts["CommitmentDetail"][0] == counts["CommitmentDetail"][1]


async def test_network_reads_run_as_many_statements_for_5_and_500_collectivities(reads: Client, db: Database) -> None:
    operations: list[tuple[str, dict[str, Any]]] = [
        ("NetworkSummary", {}),
        ("CollectivitiesPage", {}),
        ("OverdueMilestones", {}),
        ("OverdueMilestones", {"slug": "a-demo-commune-1"}),
    ]
    counts: list[list[int]] = []
    for prefix, rows in (("a-", 5), ("b-", 495)):
        async with db.transaction() as session:
            await network.generate(session, n=rows, seed=len(prefix) + rows, measurements=2, slug_prefix=prefix)
        counts.append([await _count(reads, name, variables) for name, variables in operations])
    summary = await reads.data(operation("NetworkSummary"))
    assert summary["network"]["collectivityCount"] == 500
    assert counts[0] == counts[1]
