"""GraphQL over HTTP: media types and status codes as the specification asks."""

from __future__ import annotations

from tests.support.graphql import Client

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_media_type_is_answered_when_accepted(client: Client) -> None:
    response = await client.http.post(
        "/graphql", json={"query": "{ network { planCount } }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"network": {"planCount": 0}}}


async def test_syntax_error_is_a_400_without_data_under_graphql_response(client: Client) -> None:
    response = await client.http.post("/graphql", json={"query": "{ network"}, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_validation_error_is_a_400_under_graphql_response(client: Client) -> None:
    response = await client.http.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400


async def test_plain_json_clients_keep_status_200_for_graphql_errors(client: Client) -> None:
    response = await client.http.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


async def test_execution_errors_keep_their_data_and_status_200(client: Client) -> None:
    response = await client.http.post(
        "/graphql",
        json={"query": 'mutation { deletePlan(input: {id: "bm9wZQ"}) { deletedId } }'},
        headers={"Accept": GRAPHQL_RESPONSE, **client.bearer(client.admin_token)},
    )
    assert response.status_code == 200
    assert "data" in response.json()


async def test_query_over_get_is_answered(client: Client) -> None:
    response = await client.http.get("/graphql", params={"query": "{ network { planCount } }"})
    assert response.status_code == 200
    assert response.json()["data"]["network"]["planCount"] == 0
