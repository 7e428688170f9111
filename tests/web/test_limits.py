"""Request limits at the edge: body size, UTF-8, JSON depth, query strings, undeclared variables."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tracker.api.core.persisted import sha256_of
from tracker.db import Database
from tracker.web.limits import MAX_JSON_DEPTH, MAX_QUERY_STRING_BYTES

CHUNK = 64 * 1024
NETWORK = "{ network { planCount } }"
PLAN = "query($slug: String!) { collectivity(slug: $slug) { slug } }"


class Chunks:
    """A streamed request body that counts how much of it the server pulled."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.sent += 1
            yield b" " * CHUNK


def _nested(depth: int) -> str:
    """A JSON array `depth` deep, written out (the json module cannot encode it past ~1000)."""
    return "[" * depth + "1" + "]" * depth


def _json_error(response: httpx.Response) -> tuple[int, list[tuple[str, str | None]]]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, error_codes(response.json())


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(client: Client, db: Database) -> None:
    body = Chunks(1600)  # 100 MiB
    headers = {"Content-Type": "application/json", "Content-Length": str(1600 * CHUNK)}
    response = await client.http.post("/graphql", content=body, headers=headers)
    assert _json_error(response) == (413, [("BAD_USER_INPUT", None)])
    assert body.sent <= 1


async def test_a_chunked_body_is_refused_once_its_bytes_pass_the_limit(client: Client, db: Database) -> None:
    body = Chunks(1600)
    response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert _json_error(response) == (413, [("BAD_USER_INPUT", None)])
    assert body.sent == 1_000_000 // CHUNK + 1


async def test_a_body_within_the_limit_is_answered(client: Client, db: Database) -> None:
    padding = " " * (1_000_000 - 100)
    payload = json.dumps({"query": NETWORK}) + padding
    response = await client.http.post("/graphql", content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert response.json()["data"]["network"]["planCount"] == 0


async def test_a_body_in_invalid_utf8_is_a_bad_request(client: Client, db: Database) -> None:
    payload = b'{"query": "{ network { planCount } }", "variables": {"a": "\xff\xfe"}}'
    response = await client.http.post("/graphql", content=payload, headers={"Content-Type": "application/json"})
    assert _json_error(response) == (400, [("BAD_USER_INPUT", None)])


async def _post_nested(client: Client, depth: int, query: str = NETWORK) -> httpx.Response:
    payload = '{"query": ' + json.dumps(query) + ', "variables": {"a": ' + _nested(depth) + "}}"
    return await client.http.post("/graphql", content=payload, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 1000, 5000, 200_000])
async def test_json_nested_too_deep_is_a_bad_request(client: Client, db: Database, depth: int) -> None:
    status, codes = _json_error(await _post_nested(client, depth))
    assert (status, codes[0][0]) == (400, "BAD_USER_INPUT")


async def test_json_nested_too_deep_names_the_parameter(client: Client, db: Database) -> None:
    assert _json_error(await _post_nested(client, 1000)) == (400, [("BAD_USER_INPUT", "variables")])


async def test_json_nested_within_the_limit_reaches_the_operation(client: Client, db: Database) -> None:
    query = (
        "mutation($a: JSON) { createEvidenceSource(input: "
        '{kind: DOCUMENT, url: "https://example.org/", schedule: "PT6H", targetId: "x", options: $a})'
        " { source { id } } }"
    )
    response = await _post_nested(client, MAX_JSON_DEPTH - 3, query)
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "targetId")]  # the operation ran


async def test_variables_nested_too_deep_in_a_query_string_are_a_bad_request(client: Client, db: Database) -> None:
    params = {"query": NETWORK, "variables": '{"a": ' + _nested(1000) + "}"}
    response = await client.http.get("/graphql", params=params)
    assert _json_error(response) == (400, [("BAD_USER_INPUT", "variables")])


async def test_a_query_string_over_the_limit_is_refused(client: Client, db: Database) -> None:
    response = await client.http.get("/graphql", params={"query": NETWORK, "x": "a" * MAX_QUERY_STRING_BYTES})
    assert _json_error(response) == (414, [("BAD_USER_INPUT", None)])


@pytest.mark.parametrize(
    "params",
    [{"variables": "{not json"}, {}, {"query": NETWORK, "variables": "[1]"}],
)
async def test_a_malformed_query_string_is_a_json_error_with_a_code(
    client: Client, db: Database, params: dict[str, str]
) -> None:
    response = await client.http.get("/graphql", params=params, headers={"Accept": "application/json"})
    status, codes = _json_error(response)
    assert 400 <= status < 500
    assert codes and codes[0][0] == "BAD_USER_INPUT"


async def test_a_content_length_that_is_not_a_number_is_a_bad_request(client: Client, db: Database) -> None:
    response = await client.http.post(
        "/graphql", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": "ten"}
    )
    assert _json_error(response) == (400, [("BAD_USER_INPUT", "Content-Length")])


async def test_a_variable_the_query_does_not_declare_is_refused_by_name(client: Client, db: Database) -> None:
    response = await client.http.post("/graphql", json={"query": NETWORK, "variables": {"junk": 1}})
    assert _json_error(response) == (400, [("BAD_USER_INPUT", "junk")])


async def test_a_variable_a_persisted_operation_does_not_declare_is_refused_by_name(
    client: Client, db: Database
) -> None:
    params = {
        "documentId": "sha256:" + sha256_of(operation("PlanDashboard")),
        "variables": json.dumps({"slug": "tiznit", "cacheBuster": "1"}),
    }
    response = await client.http.get("/graphql", params=params)
    assert _json_error(response) == (400, [("BAD_USER_INPUT", "cacheBuster")])


async def test_refused_undeclared_variables_leave_the_read_cache_empty(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    cache = client.app.state.persisted.cache
    document_id = "sha256:" + sha256_of(operation("PlanDashboard"))
    for number in range(50):
        variables = json.dumps({"slug": "tiznit", f"junk{number}": "x" * 1000})
        await client.http.get("/graphql", params={"documentId": document_id, "variables": variables})
    assert len(cache) == 0
    assert cache.size_bytes == 0


async def test_declared_variables_only_are_answered_and_cached(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    params = {"documentId": "sha256:" + sha256_of(operation("PlanDashboard")), "variables": '{"slug": "tiznit"}'}
    response = await client.http.get("/graphql", params=params)
    assert response.status_code == 200
    assert len(client.app.state.persisted.cache) == 1


async def test_a_nul_character_in_a_variable_is_refused_by_name(client: Client, db: Database) -> None:
    response = await client.http.post("/graphql", json={"query": PLAN, "variables": {"slug": "a\u0000b"}})
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "slug")]


async def test_a_nul_escape_in_a_query_text_is_refused(client: Client, db: Database) -> None:
    response = await client.http.post("/graphql", json={"query": '{ collectivity(slug: "\\u0000") { slug } }'})
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "slug")]


async def test_a_lone_surrogate_escaped_in_the_body_reaches_the_text_rules(client: Client, db: Database) -> None:
    body = (
        '{"query": "query($slug: String!) { collectivity(slug: $slug) { slug } }", "variables": {"slug": "a\\ud800"}}'
    )
    response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "slug")]


async def test_an_unknown_path_is_a_json_not_found(client: Client, db: Database) -> None:
    assert _json_error(await client.http.get("/no/such/page")) == (404, [("NOT_FOUND", None)])


async def test_a_method_a_route_does_not_take_is_a_json_error_with_allow(client: Client, db: Database) -> None:
    response = await client.http.delete("/graphql")
    assert _json_error(response) == (405, [("BAD_USER_INPUT", None)])
    assert "POST" in response.headers["allow"]


async def test_a_nul_character_in_query_string_variables_is_refused_by_name(client: Client, db: Database) -> None:
    response = await client.http.get("/graphql", params={"query": PLAN, "variables": '{"slug": "a\\u0000b"}'})
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "slug")]


async def test_raw_control_characters_in_query_string_variables_are_not_json(client: Client, db: Database) -> None:
    response = await client.http.get("/graphql", params={"query": PLAN, "variables": '{"slug": "a\x00b"}'})
    assert _json_error(response) == (400, [("BAD_USER_INPUT", "variables")])


async def test_a_content_length_in_other_digits_is_a_bad_request(client: Client, db: Database) -> None:
    response = await client.http.post(
        "/graphql",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "\u00b2".encode("latin-1")},
    )
    assert _json_error(response) == (400, [("BAD_USER_INPUT", "Content-Length")])


async def test_a_subscription_sent_as_a_plain_http_request_is_refused(client: Client, db: Database) -> None:
    response = await client.http.post("/graphql", json={"query": "subscription { events { type } }"})
    assert _json_error(response) == (400, [("BAD_USER_INPUT", None)])


@pytest.mark.parametrize("path", ["/feeds/%00.atom", "/feeds/tiznit/%00.atom", "/%00"])
async def test_a_nul_character_in_the_path_is_a_bad_request(client: Client, db: Database, path: str) -> None:
    assert _json_error(await client.http.get(path)) == (400, [("BAD_USER_INPUT", None)])


async def test_a_lone_surrogate_in_a_persisted_read_is_refused_by_name(client: Client, db: Database) -> None:
    body = json.dumps({"query": operation("PlanDashboard"), "variables": {"slug": "a\ud800"}})  # escaped
    response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "slug")]


async def test_a_lone_surrogate_in_a_query_text_with_variables_is_bad_input(client: Client, db: Database) -> None:
    body = json.dumps({"query": "query($s: String) { network { planCount } } # \ud800", "variables": {"s": "a"}})
    response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500
    assert error_codes(response.json()) == [("BAD_USER_INPUT", None)]


async def test_a_query_text_over_the_document_limit_with_variables_is_refused_for_its_length(
    client: Client, db: Database
) -> None:
    limit = client.app.state.settings.max_document_bytes
    query = "query($s: String) { network { planCount } }\n#" + "x" * limit
    response = await client.http.post("/graphql", json={"query": query, "variables": {"s": "a"}})
    [error] = response.json()["errors"]
    assert (error["extensions"]["code"], error["extensions"]["measure"]) == ("QUERY_TOO_COMPLEX", "documentBytes")
