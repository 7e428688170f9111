"""The read planner answers what strawberry's resolvers answer, in one statement (PostgreSQL).

Examples for each covered field, for each kind of reader; what it leaves to the resolvers and how
the two answers merge; the plan cache; the statement count. The generated corpus is in
test_planner_differential.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import select

from tests.support.planner import Paths, principals
from tests.support.read_world import World, read_world
from tests.support.sql import count_statements
from tracker import models
from tracker.api.core.planner.execution import to_positional
from tracker.db import Database
from tracker.demo.network import generate
from tracker.ids import encode_id


@pytest.fixture
async def world(pg: Database) -> World:
    return await read_world(pg)


@pytest.fixture
def paths(pg: Database) -> Paths:
    return Paths(pg)


async def _other(db: Database, world: World) -> Any:
    async with db.reader() as session:
        rows = (await session.exec(select(models.Collectivity.id).where(models.Collectivity.slug == "orphan"))).one()
    return rows


EVERY_FIELD = {
    "collectivity": """query ($slug: String!) { collectivity(slug: $slug) {
        __typename id slug kind name name_fr: name(lang: "fr") name_ma: name(lang: "ar-MA")
        parent { slug name(lang: "en") parent { slug } }
        children(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
            edges { cursor node { slug } } }
        plans { totalCount nodes { title status } }
        drafts: plans(status: [DRAFT]) { totalCount nodes { title } }
        currentPlan { id title status } } }""",
    "plan": """query ($slug: String!) { collectivity(slug: $slug) { currentPlan {
        __typename id status adoptedOn title title_zgh: title(lang: "zgh") description(lang: "fr") period { start end }
        collectivity { slug } progress
        commitments(first: 3, after: "b2Zmc2V0OjA") { totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { reference } } }
        by_reference: commitments(orderBy: REFERENCE, last: 4) { nodes { reference } }
        completed: commitments(filter: { status: [COMPLETED, DELAYED] }) { totalCount nodes { reference status } }
        open: commitments(filter: { ogpValue: ACCESS_TO_INFORMATION }) { totalCount } } } }""",
    "commitment": """query ($slug: String!) { collectivity(slug: $slug) { currentPlan {
        commitments(first: 100) { nodes {
        __typename id reference ogpValues partners status title description leadUnit(lang: "en") progress plan { id }
        milestones(orderBy: DUE_ON_DESC, first: 3) { totalCount edges { cursor node { title dueOn } } }
        by_position: milestones(orderBy: POSITION) { nodes { id } }
        late: milestones(filter: { overdue: true }) { totalCount }
        window: milestones(filter: { dueAfter: "2024-06-01", dueBefore: "2025-06-30", status: [COMPLETED] }) {
            totalCount }
        indicators(first: 20) { totalCount nodes { name } }
        evidence { totalCount nodes { title url } } } } } } }""",
    "milestone": """query ($slug: String!) { collectivity(slug: $slug) { currentPlan { commitments(first: 10) { nodes {
        milestones(first: 20) { nodes { __typename id dueOn status completedOn weight title isOverdue progress
            commitment { reference } evidence(first: 5) { totalCount nodes { id kind publishedAt addedAt origin } } } }
    } } } } }""",
    "indicator": """query ($slug: String!) { collectivity(slug: $slug) { currentPlan { commitments(first: 10) { nodes {
        indicators(first: 30) { nodes { __typename id unit baseline target direction name progress
            latest { __typename id value observedAt note origin recordedAt }
            measurements(last: 2, before: "b2Zmc2V0OjQ") {
                totalCount pageInfo { hasPreviousPage hasNextPage startCursor }
                nodes { value observedAt } } } }
    } } } } }""",
    "collectivities": """{ all: collectivities { totalCount nodes { slug } }
        page: collectivities(first: 2, after: "b2Zmc2V0OjE") {
            pageInfo { hasNextPage endCursor } edges { cursor node { slug } } }
        communes: collectivities(filter: { kind: [COMMUNE], search: "SYNTH" }) { totalCount nodes { slug } }
        under: collectivities(filter: { parentSlug: "orphan" }) { nodes { slug } }
        none: collectivities(first: 0) { totalCount pageInfo { startCursor endCursor hasNextPage } } }""",
    "collectivities ordered and filtered": """{
        by_name: collectivities(orderBy: NAME, lang: "fr") { nodes { slug name overdueMilestoneCount } }
        by_name_ar: collectivities(orderBy: NAME, lang: "ar", last: 7) { nodes { slug } }
        by_place: collectivities(orderBy: PLACE) { nodes { slug } }
        by_progress: collectivities(orderBy: PROGRESS_DESC, first: 6, after: "b2Zmc2V0OjE") { nodes { slug } }
        by_overdue: collectivities(orderBy: OVERDUE_DESC) { totalCount nodes { slug overdueMilestoneCount } }
        planned: collectivities(filter: { hasPlan: true, hasOverdueMilestones: false }) { totalCount nodes { slug } }
        unplanned: collectivities(filter: { hasPlan: false }) { totalCount nodes { slug } }
        late: collectivities(filter: { hasOverdueMilestones: true }, orderBy: PLACE) { nodes { slug } }
        within: collectivities(filter: { withinSlug: "synthetic-demo-region-1" }, orderBy: PLACE) { nodes { slug } }
        nowhere: collectivities(filter: { withinSlug: "nowhere", kind: [COMMUNE] }) { totalCount } }""",
    "network": """{ network { __typename collectivityCount planCount commitmentCount milestoneCount
        overdueMilestoneCount meanProgress byKind { kind collectivityCount planCount meanProgress }
        plansByStatus { status count } commitmentsByStatus { status count } milestonesByStatus { status count } } }""",
    "milestones": """{ milestones(filter: { overdue: true }, first: 5) { totalCount
            edges { cursor node { id title commitment { plan { collectivity { slug } } } } } }
        later: milestones(orderBy: DUE_ON_DESC, collectivitySlug: "ait-melloul", last: 3) { totalCount nodes { dueOn } }
        __typename }""",
}


@pytest.mark.parametrize("name", list(EVERY_FIELD))
async def test_each_covered_field_answers_as_its_resolver_for_every_reader(
    paths: Paths, world: World, pg: Database, name: str
) -> None:
    for principal in principals(world.drafted, await _other(pg, world)).values():
        for slug in ("ait-melloul", "odd-texts", "no-commitments"):
            planned, resolved = await paths.both(
                EVERY_FIELD[name], {"slug": slug}, principal=principal, languages=("fr",)
            )
            assert "errors" not in resolved, resolved
            assert planned == resolved
    assert paths.plans.answers["planned"] > 0
    assert paths.plans.answers["fallback"] == 0


async def test_node_answers_every_covered_type_and_hides_what_the_reader_may_not_see(
    paths: Paths, world: World, pg: Database
) -> None:
    query = """query ($id: ID!) { node(id: $id) { __typename id
        ... on Collectivity { slug } ... on ActionPlan { title status } ... on Commitment { reference progress }
        ... on Milestone { title isOverdue } ... on Indicator { name progress } ... on Measurement { value }
        ... on Evidence { url title } } }"""
    readers = principals(world.drafted, await _other(pg, world))
    hidden: dict[str, set[str]] = {"anonymous": set(), "editor": set()}
    for node_id in world.ids:
        for reader, found in hidden.items():
            planned, resolved = await paths.both(query, {"id": node_id}, principal=readers[reader])
            assert planned == resolved
            if resolved["data"]["node"] is None:
                found.add(node_id)
    drafts = set(world.ids[-2:])  # the draft plan of ait-melloul and its commitment
    assert drafts <= hidden["anonymous"]
    assert not drafts & hidden["editor"]
    assert paths.plans.answers["fallback"] == 0


async def test_nodes_answers_in_order_with_null_for_what_is_hidden_or_absent(
    paths: Paths, world: World, pg: Database
) -> None:
    query = """query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Collectivity { slug } ... on ActionPlan { title } ... on Milestone { dueOn } } }"""
    absent = encode_id("Collectivity", uuid.UUID(int=0))
    ids = [*reversed(world.ids), absent, world.ids[0]]
    for reader in principals(world.drafted, await _other(pg, world)).values():
        planned, resolved = await paths.both(query, {"ids": ids}, principal=reader)
        assert planned == resolved
        assert len(planned["data"]["nodes"]) == len(ids)
    planned, resolved = await paths.both(query, {"ids": []})
    assert planned == resolved == {"data": {"nodes": []}}
    assert paths.plans.answers["fallback"] == 0


async def test_the_persisted_operations_answer_as_their_resolvers(paths: Paths, world: World) -> None:
    from tests.support.graphql import operation

    commitment = next(node_id for node_id in world.ids if node_id.startswith("Q29tbWl0bWVudD"))
    for name, variables in (
        ("PlanDashboard", {"slug": "ait-melloul", "lang": "fr"}),
        ("PlanDashboard", {"slug": "odd-texts"}),
        ("CommitmentDetail", {"id": commitment, "lang": "ar"}),
        ("CollectivitiesPage", {"first": 3, "after": "b2Zmc2V0OjI"}),
        ("NetworkSummary", {}),
        ("OverdueMilestones", {"slug": "ait-melloul"}),
    ):
        planned, resolved = await paths.both(operation(name), variables)
        assert planned == resolved, name
    assert paths.plans.answers["fallback"] == 0


async def test_a_nested_query_is_one_statement_however_many_rows(paths: Paths, pg: Database) -> None:
    query = """{ collectivities(first: 50) { totalCount nodes { slug name parent { name }
        currentPlan { title progress commitments(first: 20) { nodes { title progress
            milestones(first: 10) { nodes { title isOverdue } }
            indicators(first: 5) { nodes { name progress latest { value } } } } } } } }
        network { meanProgress } }"""
    counts = []
    for size in (3, 30):
        async with pg.transaction() as session:
            await generate(session, n=size, seed=size, measurements=2, slug_prefix=f"n{size}-")
        with count_statements(pg) as counter:
            planned = await paths.run(paths.planned, query)
        counts.append(counter.count)
        assert "errors" not in planned, planned
        assert planned == await paths.run(paths.resolved, query)
    assert counts == [1, 1]


async def test_a_cursor_the_resolver_refuses_is_refused_word_for_word(paths: Paths, world: World) -> None:
    query = '{ collectivities(after: "bm9wZQ") { totalCount } network { planCount } }'
    planned, resolved = await paths.both(query)
    assert planned == resolved
    assert planned["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert planned["data"] is None  # collectivities is non-null: its error nulls the whole answer
    assert paths.plans.answers["fallback"] == 1


async def test_an_invalid_language_tag_is_refused_by_the_resolver(paths: Paths, world: World) -> None:
    query = '{ collectivity(slug: "ait-melloul") { name(lang: "not a tag") } }'
    planned, resolved = await paths.both(query)
    assert planned == resolved
    assert planned["errors"][0]["extensions"]["field"] == "lang"


async def test_uncovered_root_fields_run_in_strawberry_and_merge_in_document_order(paths: Paths, world: World) -> None:
    query = """{ viewer { role } network { planCount } first: collectivity(slug: "ait-melloul") { slug }
        audited: collectivity(slug: "ait-melloul") { slug history { totalCount } } __typename }"""
    planned, resolved = await paths.both(query)
    assert planned == resolved
    assert list(planned["data"]) == ["viewer", "network", "first", "audited", "__typename"]
    assert paths.plans.answers == {"planned": 2, "fallback": 2}


async def test_a_plan_is_compiled_once_per_document_and_kind_of_reader(
    paths: Paths, world: World, pg: Database
) -> None:
    query = "query ($slug: String!) { collectivity(slug: $slug) { currentPlan { title } } }"
    readers = principals(world.drafted, await _other(pg, world))
    for slug in ("ait-melloul", "odd-texts"):
        await paths.run(paths.planned, query, {"slug": slug})
        await paths.run(paths.planned, query, {"slug": slug}, principal=readers["editor"])
        await paths.run(paths.planned, query, {"slug": slug}, principal=readers["monitor"])
    assert len(paths.plans.plans) == 2  # anonymous; editors and monitors (their own drafts)


async def test_skip_and_include_decide_the_plan_by_their_variables(paths: Paths, world: World) -> None:
    query = """query ($more: Boolean!) { collectivity(slug: "ait-melloul") {
        slug currentPlan @include(if: $more) { title } parent @skip(if: $more) { slug } } }"""
    for more in (True, False, True):
        planned, resolved = await paths.both(query, {"more": more})
        assert planned == resolved
    assert len(paths.plans.plans) == 2


async def test_values_are_bound_never_written_into_the_statement(paths: Paths, world: World, pg: Database) -> None:
    slug = "x' OR slug LIKE '%"
    query = "query ($slug: String!) { collectivity(slug: $slug) { slug } }"
    with count_statements(pg) as counter:
        planned, resolved = await paths.both(query, {"slug": slug})
    assert planned == resolved == {"data": {"collectivity": None}}
    assert not any(slug in statement for statement in counter.statements)


async def test_drafts_are_read_by_their_collectivitys_people_only(paths: Paths, world: World, pg: Database) -> None:
    query = '{ collectivity(slug: "ait-melloul") { currentPlan { title(lang: "fr") } } }'
    readers = principals(world.drafted, await _other(pg, world))
    titles = {}
    for reader, principal in readers.items():
        planned, resolved = await paths.both(query, principal=principal)
        assert planned == resolved
        titles[reader] = planned["data"]["collectivity"]["currentPlan"]["title"]
    assert titles["editor"] == titles["monitor"] == titles["admin"] == "Brouillon"
    assert titles["anonymous"] == titles["other-editor"] != "Brouillon"


async def test_nodes_refusing_a_later_id_leaves_no_load_unawaited(paths: Paths, world: World) -> None:
    # The resolver used to start a load per ID before checking the next one: a refused ID left the
    # earlier loads never awaited (a RuntimeWarning, an error under this suite's filterwarnings).
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    planned, resolved = await paths.both(query, {"ids": [world.ids[0], world.ids[1], "bm9wZQ"]})
    assert planned == resolved
    assert resolved["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "ids[2]"}


def test_a_statement_is_numbered_for_postgresql_as_psycopg_would_number_it() -> None:
    statement = "SELECT %(p0)s, %(p1)s, %(p0)s, '100%%'"
    assert to_positional(statement) == ("SELECT $1, $2, $1, '100%'", ("p0", "p1"))


@pytest.mark.parametrize("statement", ["SELECT '5%'", "SELECT %s", "SELECT %(p0)b"])
def test_a_percent_sign_the_planner_never_writes_is_refused(statement: str) -> None:
    with pytest.raises(ValueError, match="placeholder"):
        to_positional(statement)
