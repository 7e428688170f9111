"""Documents over a limit are refused with QUERY_TOO_COMPLEX, naming the measure and the limit."""

from __future__ import annotations

from typing import Any

from tests.api.test_document_analysis import fragment_chain
from tests.support.builders import small_plan
from tests.support.graphql import Client
from tests.support.tokens import token_for
from tracker.db import Database
from tracker.models import Role

# 1 + 100 * (1 + 1 + 100 * (1 + 1 + 3)): over the anonymous limit, within a token's
DEEP_PAGES = (
    "{ collectivities(first: 100) { nodes { plans(first: 100) { nodes {"
    " commitments(first: 3) { nodes { id } } } } } } }"
)


def too_complex(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_a_chain_of_fragments_doubling_twenty_times_is_refused(client: Client, db: Database) -> None:
    extensions = too_complex(await client.execute(fragment_chain(20)))
    assert extensions["measure"] == "fragmentSpreads"
    assert extensions["fragmentSpreads"] == 2**21 - 1
    assert extensions["limit"] == 200


async def test_a_chain_of_fragments_doubling_thirty_times_is_refused(client: Client, db: Database) -> None:
    extensions = too_complex(await client.execute(fragment_chain(30)))
    assert extensions["measure"] == "fragmentSpreads"


async def test_an_anonymous_query_over_its_cost_is_refused_with_cost_and_limit(client: Client, db: Database) -> None:
    extensions = too_complex(await client.execute(DEEP_PAGES))
    assert extensions["measure"] == "cost"
    assert (extensions["cost"], extensions["limit"]) == (50_201, client.app.state.settings.max_cost_anonymous)


async def test_the_same_query_with_a_token_is_within_its_higher_limit(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    editor = await token_for(db, Role.EDITOR, collectivity="tiznit")
    body = await client.execute(DEEP_PAGES, headers=client.bearer(editor))
    assert "errors" not in body, body["errors"]
    assert len(body["data"]["collectivities"]["nodes"]) == 1


async def test_page_sizes_in_variables_count(client: Client, db: Database) -> None:
    query = DEEP_PAGES.replace("first: 100) { nodes { commitments", "first: $plans) { nodes { commitments")
    query = "query($plans: Int) " + query
    assert "errors" not in await client.execute(query, {"plans": 10})
    too_complex(await client.execute(query, {"plans": 100}))


async def test_a_document_longer_than_the_limit_is_refused_before_parsing(client: Client, db: Database) -> None:
    limit = client.app.state.settings.max_document_bytes
    # a syntax error at the end: refused for its length, it is never parsed
    document = "#" + "x" * limit + "\n{ network { planCount } } }"
    extensions = too_complex(await client.execute(document))
    assert extensions["measure"] == "documentBytes"
    assert extensions["limit"] == limit


async def test_a_named_operation_refused_for_its_length_is_still_a_graphql_error(client: Client, db: Database) -> None:
    limit = client.app.state.settings.max_document_bytes
    document = "query Long { network { planCount } }\n#" + "x" * limit
    response = await client.http.post("/graphql", json={"query": document, "operationName": "Long"})
    assert response.status_code == 200
    too_complex(response.json())


async def test_refusals_are_answered_400_to_graphql_response_clients(client: Client, db: Database) -> None:
    response = await client.post(fragment_chain(20), headers={"Accept": "application/graphql-response+json"})
    assert response.status_code == 400
    too_complex(response.json())


async def test_many_fields_under_one_name_are_refused_before_validation(client: Client, db: Database) -> None:
    extensions = too_complex(await client.execute("{" + " network { planCount }" * 400 + "}"))
    assert extensions["measure"] == "sameNameFields"
    assert extensions["sameNameFields"] == 400


async def test_a_document_over_the_token_limit_is_too_complex(client: Client, db: Database) -> None:
    document = "{" + " __typename" * client.app.state.settings.max_tokens + " }"
    too_complex(await client.execute(document))
