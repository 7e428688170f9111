"""Pages taken from the start of a list (first, after) answer as the resolvers' slices (PostgreSQL).

The planner takes such a page with ORDER BY, OFFSET and LIMIT and counts the rows apart, only
when totalCount or hasPreviousPage asks: cursors, pageInfo and the order of ties must still be
the resolvers', whatever part of the connection is selected and wherever the page starts.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.planner import Paths, principals
from tests.support.read_world import World, read_world
from tests.support.sql import count_statements
from tracker.api.core.relay import cursor_of
from tracker.db import Database

INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
SELECTIONS = {
    "nodes": "nodes { id dueOn }",
    "count": "totalCount",
    "count and nodes": "totalCount nodes { id }",
    "edges": "edges { cursor node { id } }",
    "page info": INFO,
    "next only": "pageInfo { hasNextPage endCursor } nodes { id }",
    "previous only": "pageInfo { hasPreviousPage startCursor }",
    "everything": f"__typename totalCount {INFO} edges {{ __typename cursor node {{ id }} }} nodes {{ dueOn }}",
}
MILESTONES = "query ($first: Int, $after: String) {{ milestones(first: $first, after: $after) {{ {} }} }}"


@pytest.fixture
async def world(pg: Database) -> World:
    return await read_world(pg)


@pytest.fixture
def paths(pg: Database) -> Paths:
    return Paths(pg)


async def _total(paths: Paths) -> int:
    answer = await paths.run(paths.resolved, "{ milestones { totalCount } }")
    total: int = answer["data"]["milestones"]["totalCount"]
    assert total > 100  # more than the longest page: every page below is cut by the list or by first
    return total


async def _same(paths: Paths, query: str, variables: dict[str, Any], **options: Any) -> dict[str, Any]:
    planned, resolved = await paths.both(query, variables, **options)
    assert "errors" not in resolved, resolved
    assert planned == resolved, (query, variables)
    page: dict[str, Any] = planned["data"]["milestones"]
    return page


@pytest.mark.parametrize("selection", list(SELECTIONS))
async def test_each_page_from_the_start_answers_as_the_resolver(paths: Paths, world: World, selection: str) -> None:
    total = await _total(paths)
    query = MILESTONES.format(SELECTIONS[selection])
    pages: list[dict[str, Any]] = [
        {},  # no first: 100 at most
        {"first": 5},
        {"first": 100},
        {"first": 5, "after": cursor_of(3)},
        {"first": 0},
        {"first": 0, "after": cursor_of(2)},
        {"after": cursor_of(total - 2)},  # the last item alone
        {"first": 3, "after": cursor_of(total - 4)},  # the page ends with the list
        {"first": 3, "after": cursor_of(total - 1)},  # just past the last item
        {"first": 3, "after": cursor_of(total + 50)},  # far beyond the end
        {"first": 3, "after": cursor_of(2**63 - 1)},
    ]
    for variables in pages:
        await _same(paths, query, variables)
    assert paths.plans.answers["fallback"] == 0
    assert len(paths.plans.plans) == 1  # one plan whatever the page


async def test_every_reader_gets_the_pages_of_what_it_may_read(paths: Paths, world: World) -> None:
    query = MILESTONES.format(SELECTIONS["everything"])
    for principal in principals(world.drafted, uuid.uuid4()).values():
        for variables in ({"first": 7}, {"first": 7, "after": cursor_of(40)}):
            await _same(paths, query, variables, principal=principal)


async def test_walking_pages_by_their_end_cursor_lists_each_item_once_in_order(paths: Paths, world: World) -> None:
    # Many milestones share a due date: the pages must cut the same total order.
    total = await _total(paths)
    query = MILESTONES.format("pageInfo { hasNextPage endCursor } nodes { id }")
    walked: list[str] = []
    after = None
    while True:
        page = await _same(paths, query, {"first": 7, "after": after})
        walked += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    everything = await paths.run(paths.resolved, "{ milestones(first: 100) { nodes { id } } }")
    assert walked[:100] == [node["id"] for node in everything["data"]["milestones"]["nodes"]]
    assert len(walked) == len(set(walked)) == total


async def test_a_page_past_the_end_is_empty_and_has_a_previous_page(paths: Paths, world: World) -> None:
    total = await _total(paths)
    page = await _same(paths, MILESTONES.format(f"totalCount {INFO} nodes {{ id }}"), {"after": cursor_of(total + 5)})
    assert page == {
        "totalCount": total,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None},
        "nodes": [],
    }


async def test_an_empty_first_page_tells_whether_items_follow(paths: Paths, world: World) -> None:
    query = "query ($first: Int, $after: String, $slug: String) { milestones(first: $first, after: $after,"
    query += f" collectivitySlug: $slug) {{ totalCount {INFO} nodes {{ id }} }} }}"
    for slug, follow in (("ait-melloul", True), ("no-commitments", False)):
        planned, resolved = await paths.both(query, {"first": 0, "slug": slug})
        assert planned == resolved
        assert planned["data"]["milestones"]["pageInfo"]["hasNextPage"] is follow
        assert planned["data"]["milestones"]["nodes"] == []


async def test_nested_lists_page_from_the_start_as_their_resolvers(paths: Paths, world: World) -> None:
    # Measurements tie on their observation time, plans' commitments on their position.
    query = """{{ collectivities({page}) {{
        totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} nodes {{ slug
        plans(first: 1) {{ nodes {{ commitments({page}) {{ totalCount edges {{ cursor node {{
            reference indicators({page}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ name
                measurements({page}) {{ totalCount nodes {{ value observedAt }} }}
        }} }} }} }} }} }} }} }} }} }}"""
    measured = 0
    for page in ("first: 2", f'first: 3, after: "{cursor_of(0)}"', "first: 0", f'first: 4, after: "{cursor_of(1)}"'):
        planned, resolved = await paths.both(query.format(page=page))
        assert "errors" not in resolved, resolved
        assert planned == resolved, page
        measured += str(planned).count("observedAt")
    assert measured > 0  # the deepest lists were read, not only empty ones


async def test_a_document_writing_last_or_before_pages_from_either_side(paths: Paths, world: World) -> None:
    query = """query ($first: Int, $after: String, $last: Int, $before: String) {
        milestones(first: $first, after: $after, last: $last, before: $before) { totalCount {INFO} nodes { id } } }"""
    query = query.replace("{INFO}", INFO)
    for variables in (
        {"first": 4},
        {"first": 4, "after": cursor_of(6)},
        {"last": 4},
        {"last": 4, "before": cursor_of(9)},
        {"first": 4, "before": cursor_of(2)},
    ):
        await _same(paths, query, variables)
    assert len(paths.plans.plans) == 1


async def test_a_page_from_the_start_is_one_statement(paths: Paths, world: World, pg: Database) -> None:
    query = MILESTONES.format(SELECTIONS["everything"])
    with count_statements(pg) as counter:
        page = await paths.run(paths.planned, query, {"first": 10, "after": cursor_of(4)})
    assert len(page["data"]["milestones"]["nodes"]) == 10
    assert counter.count == 1


ORDERS = ["", "orderBy: DUE_ON_ASC", "orderBy: DUE_ON_DESC", "orderBy: POSITION", "orderBy: $o"]


@pytest.mark.parametrize("order", ORDERS)
async def test_milestones_across_the_network_page_in_the_order_written_or_given(
    paths: Paths, world: World, order: str
) -> None:
    declared = "$f: MilestoneFilter" + (", $o: MilestoneOrder!" if "$o" in order else "")
    selection = f"totalCount {INFO} nodes {{ id dueOn }}"
    query = (
        f'query ({declared}) {{ milestones({order} filter: $f, first: 9, after: "{cursor_of(4)}") {{ {selection} }} }}'
    )
    filters: list[dict[str, Any] | None] = [
        None,
        {"overdue": True},
        {"overdue": False, "status": ["COMPLETED", "NOT_STARTED"]},
        {"dueAfter": "2024-06-01", "dueBefore": "2026-06-30"},
        {"dueBefore": "2020-01-01"},
    ]
    for given in ("DUE_ON_ASC", "DUE_ON_DESC", "POSITION") if "$o" in order else ("",):
        for found in filters:
            await _same(paths, query, {"f": found, **({"o": given} if given else {})})
