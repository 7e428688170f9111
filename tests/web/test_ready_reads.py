"""A query the planner answered whole is answered again without strawberry, as strawberry would.

On PostgreSQL only: SQLite has no planner. Each test sends a query once (strawberry and the
planner answer it) and then again (the path without strawberry), and requires what a client sees
to be what strawberry answered, limits and refusals included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import strawberry

from tests.api.test_query_limits import too_complex
from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tests.support.tokens import token_for
from tracker.api.core.planner.ready import READY_VARIABLES_BYTES
from tracker.db import Database
from tracker.ids import encode_id
from tracker.models import PlanStatus, Role
from tracker.settings import Settings

BOARD = """
query Board($slug: String!, $lang: String, $first: Int) {
  collectivity(slug: $slug) {
    slug name(lang: $lang)
    plans(first: 5) {
      nodes {
        id title(lang: $lang) status progress
        commitments(first: $first) { totalCount nodes { reference title(lang: $lang) milestones { totalCount } } }
      }
    }
  }
  network { planCount }
  __typename
}
"""


@pytest.fixture
async def http(pg: Database) -> AsyncIterator[Client]:
    client = Client(Settings(database_url=pg.url, read_cache_seconds=0, scheduler_enabled=False), pg)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries strawberry executed."""
    seen: list[str] = []
    execute = strawberry.Schema.execute

    async def counting(self: strawberry.Schema, query: str | None, *args: Any, **kwargs: Any) -> Any:
        seen.append(query or "")
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(strawberry.Schema, "execute", counting)
    return seen


async def test_a_query_answered_whole_is_answered_again_without_strawberry_with_the_same_bytes(
    http: Client, pg: Database, executions: list[str]
) -> None:
    await small_plan(pg, slug="tiznit", commitments_count=3)
    variables = {"slug": "tiznit", "lang": "ar", "first": 2}
    first = await http.post(BOARD, variables)
    second = await http.post(BOARD, variables)
    assert len(executions) == 1
    assert second.status_code == first.status_code == 200
    assert second.content == first.content
    assert second.json()["data"]["collectivity"]["plans"]["nodes"][0]["commitments"]["totalCount"] == 3


async def test_the_ready_path_reads_the_database_each_time(http: Client, pg: Database, executions: list[str]) -> None:
    await small_plan(pg, slug="tiznit")
    await http.post(BOARD, {"slug": "tiznit"})
    await small_plan(pg, slug="tata")
    body = (await http.post(BOARD, {"slug": "tiznit"})).json()
    assert len(executions) == 1
    assert body["data"]["network"]["planCount"] == 2


async def test_variables_over_the_cost_limit_are_refused_on_the_ready_path(
    http: Client, pg: Database, executions: list[str]
) -> None:
    deep = (
        "query Deep($n: Int) { collectivities(first: 100) { nodes { plans(first: $n) { nodes {"
        " commitments(first: 100) { nodes { id } } } } } } }"
    )
    await small_plan(pg, slug="tiznit")
    assert "errors" not in (await http.post(deep, {"n": 1})).json()
    too_complex((await http.post(deep, {"n": 100})).json())


async def test_a_variable_of_the_wrong_type_gets_strawberrys_error(http: Client, pg: Database) -> None:
    await small_plan(pg, slug="tiznit")
    await http.post(BOARD, {"slug": "tiznit"})
    body = (await http.post(BOARD, {"slug": "tiznit", "first": "two"})).json()
    assert error_codes(body) == [("BAD_USER_INPUT", "first")]


async def test_a_nul_in_a_variable_is_refused_by_name(http: Client, pg: Database) -> None:
    await small_plan(pg, slug="tiznit")
    await http.post(BOARD, {"slug": "tiznit"})
    body = (await http.post(BOARD, {"slug": "tiz\x00nit"})).json()
    assert error_codes(body) == [("BAD_USER_INPUT", "slug")]


async def test_an_argument_the_resolvers_refuse_gets_their_error(http: Client, pg: Database) -> None:
    await small_plan(pg, slug="tiznit")
    await http.post(BOARD, {"slug": "tiznit", "first": 2})
    body = (await http.post(BOARD, {"slug": "tiznit", "first": 1000})).json()
    assert [code for code, _ in error_codes(body)] == ["BAD_USER_INPUT"]


async def test_a_draft_is_read_by_its_collectivitys_editor_and_not_by_anyone_else(
    http: Client, pg: Database, executions: list[str]
) -> None:
    await small_plan(pg, slug="tiznit", status=PlanStatus.DRAFT)
    editor = http.bearer(await token_for(pg, Role.EDITOR, collectivity="tiznit"))
    for _ in range(2):
        as_editor = (await http.post(BOARD, {"slug": "tiznit"}, headers=editor)).json()
        anonymous = (await http.post(BOARD, {"slug": "tiznit"})).json()
        assert len(as_editor["data"]["collectivity"]["plans"]["nodes"]) == 1
        assert anonymous["data"]["collectivity"]["plans"]["nodes"] == []
    assert len(executions) == 1  # the editor's plan was made on the ready path, a plan of its own


async def test_a_persisted_operation_sent_by_id_takes_the_ready_path(
    http: Client, pg: Database, executions: list[str]
) -> None:
    await small_plan(pg, slug="tiznit")
    text = operation("PlanDashboard")
    variables = {"slug": "tiznit", "lang": "fr"}
    by_text = await http.post(text, variables)
    document_id = next(op.document_id for op in http.app.state.persisted.operations if op.name == "PlanDashboard")
    by_id = await http.http.post("/graphql", json={"documentId": document_id, "variables": variables})
    assert by_id.content == by_text.content
    assert len(executions) == 1


async def test_a_root_field_left_to_strawberry_never_takes_the_ready_path(
    http: Client, pg: Database, executions: list[str]
) -> None:
    query = "{ viewer { role } network { planCount } }"
    first = await http.post(query)
    second = await http.post(query)
    assert second.content == first.content
    assert len(executions) == 2


async def test_each_requests_variables_reach_the_ready_path(http: Client, pg: Database, executions: list[str]) -> None:
    plan, _ = await small_plan(pg, slug="tiznit")
    query = "query One($id: ID!) { node(id: $id) { id ... on ActionPlan { title(lang: $lang) } } }".replace(
        "$id: ID!", "$id: ID!, $lang: String"
    )
    answer = (await http.post(query, {"id": encode_id("ActionPlan", plan.id), "lang": "fr"})).json()
    assert answer["data"]["node"]["title"] == "Plan"
    again = (await http.post(query, {"id": encode_id("ActionPlan", plan.id), "lang": "ar"})).json()
    assert again["data"]["node"]["title"] == "خطة"
    assert len(executions) == 1


async def test_a_read_sent_again_in_another_language_is_answered_in_that_language(
    http: Client, pg: Database, executions: list[str]
) -> None:
    plan, _ = await small_plan(pg, slug="tiznit")
    query = "query One($id: ID!) { node(id: $id) { ... on ActionPlan { title } } }"
    variables = {"id": encode_id("ActionPlan", plan.id)}
    titles = []
    for language in ("fr", "ar", "fr", "ar"):
        answer = (await http.post(query, variables, headers={"Accept-Language": language})).json()
        titles.append(answer["data"]["node"]["title"])
    assert titles == ["Plan", "خطة", "Plan", "خطة"]
    assert len(executions) == 1


async def test_a_read_with_large_variables_is_answered_without_strawberry_but_not_remembered(
    http: Client, pg: Database, executions: list[str]
) -> None:
    query = "query One($slug: String!) { collectivity(slug: $slug) { slug } }"
    small, large = {"slug": "tiznit"}, {"slug": "x" * (READY_VARIABLES_BYTES + 1)}
    for variables in (small, small, large, large):
        assert (await http.post(query, variables)).json() == {"data": {"collectivity": None}}
    assert len(executions) == 1
    assert len(http.app.state.schema.ready_reads.bound) == 1
