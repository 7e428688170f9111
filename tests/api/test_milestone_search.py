"""`milestones` across the network, filtered and paged in SQL."""

from __future__ import annotations

import uuid

import pytest

from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client, operation
from tests.support.planner import Paths, principals
from tests.support.read_world import read_world
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


# The search's totalCount is spelled apart from its rows by the read planner (hidden commitments
# subtracted, an index on status and due date read): each filter, place and reader, as the resolver.
SEARCHES = {
    "the bench's search": '{ status: [DELAYED, NOT_STARTED], dueAfter: "2024-01-01", dueBefore: "2026-06-30" }',
    "statuses only": "{ status: [NOT_STARTED] }",
    "a window only": '{ dueAfter: "2026-01-01" }',
    "due before only": '{ dueBefore: "2025-06-30" }',
    "nothing": "{}",
    "empty statuses": "{ status: [] }",
    "not overdue": "{ overdue: false }",
    "overdue and a status": "{ overdue: true, status: [DELAYED, IN_PROGRESS] }",
}


@pytest.mark.parametrize("search", list(SEARCHES))
async def test_the_planners_search_counts_what_each_reader_may_read_as_the_resolver(pg: Database, search: str) -> None:
    world = await read_world(pg)
    paths = Paths(pg)
    query = f"""query ($slug: String) {{
      milestones(filter: {SEARCHES[search]}, collectivitySlug: $slug, orderBy: DUE_ON_DESC, first: 5) {{
        totalCount pageInfo {{ hasNextPage }} nodes {{ id dueOn status }} }} }}"""
    for principal in principals(world.drafted, uuid.uuid4()).values():
        for slug in (None, "ait-melloul", "synthetic-demo-commune-1", "nowhere"):
            planned, resolved = await paths.both(query, {"slug": slug}, principal=principal)
            assert "errors" not in resolved, resolved
            assert planned == resolved, (search, principal.role, slug)
    assert paths.plans.answers["planned"] > 0
    assert paths.plans.answers["fallback"] == 0


async def test_milestones_of_a_draft_count_for_its_collectivitys_people_only(pg: Database) -> None:
    world = await read_world(pg)
    paths = Paths(pg)
    query = '{ milestones(filter: { dueAfter: "2026-03-01", dueBefore: "2026-03-01" }) { totalCount } }'
    readers = principals(world.drafted, uuid.uuid4())
    counts = {}
    for reader, principal in readers.items():
        planned, resolved = await paths.both(query, principal=principal)
        assert planned == resolved
        counts[reader] = planned["data"]["milestones"]["totalCount"]
    # read_world's draft holds one milestone due that day.
    assert counts["editor"] == counts["monitor"] == counts["admin"] == counts["anonymous"] + 1
    assert counts["other-editor"] == counts["anonymous"]


async def test_the_planners_search_is_one_statement_however_many_milestones(pg: Database) -> None:
    await read_world(pg)
    paths = Paths(pg)
    query = """{ milestones(filter: { status: [DELAYED, NOT_STARTED] }, orderBy: DUE_ON_DESC, first: 50) {
        totalCount nodes { id commitment { reference plan { collectivity { slug } } } } } }"""
    with count_statements(pg) as counter:
        planned = await paths.run(paths.planned, query)
    assert planned["data"]["milestones"]["totalCount"] > 5
    assert counter.count == 1
