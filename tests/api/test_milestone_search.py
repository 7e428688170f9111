"""`milestones` across the network, filtered and paged in SQL."""

from __future__ import annotations

from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client, operation
from tests.support.sql import count_statements
from tracker.db import Database
from tracker.models import PlanStatus


async def test_overdue_milestones_agree_with_the_network_count(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.data(operation("OverdueMilestones")))["milestones"]
    network = (await client.data(operation("NetworkSummary")))["network"]
    assert page["totalCount"] == network["overdueMilestoneCount"] > 0
    assert all(edge["node"]["isOverdue"] for edge in page["edges"])


async def test_pages_of_milestones_follow_each_other_without_overlap(client: Client, db: Database) -> None:
    await ait_melloul(db)
    query = """
    query($after: String) {
      milestones(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id dueOn } } }
    }
    """
    seen: list[str] = []
    dates: list[str] = []
    after = None
    while True:
        page = (await client.data(query, {"after": after}))["milestones"]
        seen.extend(edge["node"]["id"] for edge in page["edges"])
        dates.extend(edge["node"]["dueOn"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == 31
    assert dates == sorted(dates)


async def test_milestones_of_draft_plans_stay_hidden_from_anonymous_readers(client: Client, db: Database) -> None:
    await small_plan(db, slug="drafty", status=PlanStatus.DRAFT)
    data = await client.data('{ milestones(collectivitySlug: "drafty") { totalCount } }')
    assert data["milestones"]["totalCount"] == 0
    admin = await client.data('{ milestones(collectivitySlug: "drafty") { totalCount } }', admin=True)
    assert admin["milestones"]["totalCount"] == 1


async def test_overdue_milestones_statements_do_not_grow_with_rows(client: Client, db: Database) -> None:
    await small_plan(db, slug="one", commitments_count=1)
    with count_statements(db) as counter:
        await client.data(operation("OverdueMilestones"))
    before = counter.count
    for number in range(4):
        await small_plan(db, slug=f"more-{number}", commitments_count=5)
    with count_statements(db) as counter:
        data = await client.data(operation("OverdueMilestones"))
    assert data["milestones"]["totalCount"] == 21
    assert counter.count == before
