"""DECIDIM against a loopback fake of a Decidim platform's GraphQL API.

The fake answers `POST /<variant>/api`. Introspection (`__type(name: $tN)`, one alias per variable)
is answered from tests/fixtures/decidim/introspection__<schema>.json; the results query from
results__*.json by cursor, for component 7 only. Like graphql-ruby, it refuses a query naming a field
that its schema lacks, so a query built from the wrong schema fails.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from integrations.http import DEFAULT_MAX_BYTES
from integrations.sources.base import OptionError, SourceConfig, SourceError
from integrations.sources.decidim import DecidimAdapter
from tests.integrations.sources import client, fixture, impatient_client, server_error, slow
from tests.support.loopback import serve

COMPONENT = "7"
HUGE = b'{"data": {"component": [' + b"1," * (DEFAULT_MAX_BYTES // 2) + b"1]}}"
# Fields that differ between the two schemas: a query naming one its schema lacks is refused.
VERSIONED = ("nodes", "edges", "node", "url", "weight", "parent", "translations", "translation", "pageInfo")
SCHEMAS = {
    "current": "current",
    "legacy": "legacy",
    "endless": "current",
    "proposals": "current",
    "refusing": "current",
    "rejecting": "current",
    "malformed": "current",
}
PAGES: dict[str, dict[str | None, str]] = {
    "current": {None: "results__page1", "Mw": "results__page2"},
    "legacy": {None: "results__legacy"},
    "proposals": {None: "component__not_accountability"},
    "refusing": {None: "results__graphql_error"},
    "malformed": {None: "results__malformed"},
}


def load(name: str) -> Any:
    return json.loads(fixture(f"decidim/{name}.json"))


def unknown_field(query: str, schema: dict[str, Any]) -> str | None:
    known = {entry["name"] for described in schema.values() for entry in described["fields"]}
    return next((name for name in VERSIONED if re.search(rf"\b{name}\b", query) and name not in known), None)


def introspection(schema: dict[str, Any], variables: dict[str, Any]) -> Response:
    return JSONResponse({"data": {alias: schema.get(name) for alias, name in variables.items()}})


def results_answer(variant: str, variables: dict[str, Any]) -> Response:
    after = variables.get("after")
    if variant == "endless":
        page = load("results__page1")
        page["data"]["component"]["results"]["pageInfo"] = {"hasNextPage": True, "endCursor": str(int(after or 0) + 1)}
        return JSONResponse(page)
    return Response(fixture(f"decidim/{PAGES[variant][after]}.json"), headers={"Content-Type": "application/json"})


async def graphql(request: Request) -> Response:
    variant = request.path_params["variant"]
    if variant == "huge":
        return Response(HUGE, headers={"Content-Type": "application/json"})
    payload = json.loads(await request.body())
    query: str = payload["query"]
    variables: dict[str, Any] = payload.get("variables") or {}
    schema: dict[str, Any] = load(f"introspection__{SCHEMAS[variant]}") if variant in SCHEMAS else {}
    if "__type(" in query:
        return introspection(schema, variables)
    if missing := unknown_field(query, schema):
        return JSONResponse({"errors": [{"message": f"Field '{missing}' doesn't exist on type 'Result'"}]})
    if variant == "rejecting":
        return Response(fixture("decidim/results__graphql_error.json"), status_code=400)
    if variables.get("id") != COMPONENT:
        return JSONResponse({"data": {"component": None}})
    return results_answer(variant, variables)


APP = Starlette(
    routes=[
        Route("/slow/api", slow, methods=["POST"]),
        Route("/down/api", server_error, methods=["POST"]),
        Route("/{variant}/api", graphql, methods=["POST"]),
    ]
)


class RevisedPlatform:
    """The current platform, whose result 101 progresses from 40 to 65 after the first poll."""

    def __init__(self) -> None:
        self.polls = 0

    async def api(self, request: Request) -> Response:
        payload = json.loads(await request.body())
        variables: dict[str, Any] = payload.get("variables") or {}
        if "__type(" in payload["query"]:
            return introspection(load("introspection__current"), variables)
        after = variables.get("after")
        if after is None:
            self.polls += 1
        name = "results__page2" if after else "results__page1" if self.polls == 1 else "results__progress_changed"
        return Response(fixture(f"decidim/{name}.json"), headers={"Content-Type": "application/json"})


async def poll_twice() -> tuple[dict[str, str], dict[str, str]]:
    """The fingerprints of two polls of a platform where result 101 progressed in between."""
    platform = RevisedPlatform()
    with serve(Starlette(routes=[Route("/api", platform.api, methods=["POST"])])) as base_url:
        source = SourceConfig(url=base_url, options={"componentId": COMPONENT})
        async with client() as http:
            before = await DecidimAdapter().poll(http, source, {})
            after = await DecidimAdapter().poll(http, source, {})
    return fingerprints(before.items), fingerprints(after.items)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(APP) as base_url:
        yield base_url


def config(base_url: str, variant: str = "current", **options: object) -> SourceConfig:
    return SourceConfig(url=f"{base_url}/{variant}", options={"componentId": 7, **options})


def fingerprints(items: list[Any]) -> dict[str, str]:
    return {item.url.rsplit("/", 1)[-1]: item.fingerprint for item in items}


async def test_each_result_is_an_item_at_its_own_url(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server), {})
    site = "https://participer.example.ma/processes/pgo-ait-melloul-2024/f/7/results"
    assert [item.url for item in result.items] == [f"{site}/101", f"{site}/102", f"{site}/103", f"{site}/104"]
    assert {item.kind for item in result.items} == {"OTHER"}
    assert result.items[1].published_at == datetime(2024, 6, 10, 14, 0, tzinfo=UTC)
    assert result.http_status == 200
    assert result.warnings == []


async def test_the_fingerprint_is_the_hash_of_platform_result_and_progress(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server), {})
    expected = hashlib.sha256(f"decidim:{server}/current:101:40.0".encode()).hexdigest()
    assert result.items[0].fingerprint == expected


async def test_titles_keep_the_tracker_languages_and_file_others_under_the_configured_one(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server, language="en"), {})
    assert [item.title for item in result.items] == [
        {"fr": "Publier le budget communal en données ouvertes", "ar": "نشر ميزانية الجماعة كبيانات مفتوحة"},
        {"fr": "Retransmettre les sessions du conseil", "en": "Stream the council's sessions"},
        {"zgh": "ⴰⵙⵎⵓⵜⵜⴳ ⵏ ⵉⵎⵙⵡⵓⵔⵉⵢⵏ"},  # noqa: RUF001 - Tifinagh, not Latin look-alikes
        {"en": "Presupuesto participativo de los barrios"},
    ]


async def test_results_are_read_across_pages(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server), {})
    assert len(result.items) == 4
    assert result.bytes_read > len(fixture("decidim/results__page1.json")) + len(fixture("decidim/results__page2.json"))


async def test_the_observation_is_the_weighted_mean_progress_of_top_level_results(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server), {})
    # 101: 40 weighing 2, 102: 100, 104: no progress, its status's 25; 103 is a child of 101.
    [observation] = result.observations
    assert observation.value == (40 * 2 + 100 + 25) / 4
    assert observation.observed_at == datetime(2024, 6, 10, 14, 0, tzinfo=UTC)
    assert observation.note == "mean progress of the 3 top-level results, out of 4 results"


async def test_an_older_schema_is_read_through_edges_with_the_fields_it_has(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server, "legacy"), {})
    assert [item.url for item in result.items] == [f"{server}/legacy/api#result-7", f"{server}/legacy/api#result-8"]
    assert result.items[0].title == {"fr": "Rendre publics les procès-verbaux du conseil"}
    assert result.items[1].published_at == datetime(2023, 12, 1, 16, 20, tzinfo=UTC)


async def test_without_weights_or_parents_every_result_counts_equally(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server, "legacy"), {})
    [observation] = result.observations
    assert observation.value == 50.0
    assert observation.note == "mean progress of 2 results"


async def test_a_progress_change_gives_the_result_a_new_fingerprint() -> None:
    before, after = await poll_twice()
    assert after["101"] != before["101"]


async def test_results_whose_progress_did_not_change_keep_their_fingerprint() -> None:
    before, after = await poll_twice()
    assert {key: after[key] for key in ("102", "103", "104")} == {key: before[key] for key in ("102", "103", "104")}


async def test_pagination_stops_after_20_pages_with_a_warning(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server, "endless"), {})
    assert len(result.items) == 3
    assert result.warnings == ["component 7 has more results than 20 pages of 50: only the first 3 were read"]


async def test_the_state_is_returned_as_it_came(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(http, config(server), {"kept": "yes"})
    assert result.state == {"kept": "yes"}
    assert not result.not_modified


async def test_a_url_ending_in_api_is_the_api_itself(server: str) -> None:
    async with client() as http:
        result = await DecidimAdapter().poll(
            http, SourceConfig(url=f"{server}/legacy/api/", options={"componentId": 7}), {}
        )
    assert result.items[0].url == f"{server}/legacy/api#result-7"


async def test_a_graphql_error_is_a_source_error_with_its_first_message(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await DecidimAdapter().poll(http, config(server, "refusing"), {})
    assert caught.value.message == (
        f"the Decidim API at {server}/refusing/api refused the query: "
        "Query has complexity of 5250, which exceeds max complexity of 5000 (and 1 other error)"
    )


async def test_a_graphql_error_with_an_error_status_keeps_both(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await DecidimAdapter().poll(http, config(server, "rejecting"), {})
    assert caught.value.http_status == 400
    assert caught.value.message.startswith(
        f"{server}/rejecting/api answered HTTP 400 Bad Request: Query has complexity"
    )


async def test_a_component_of_another_kind_is_a_source_error_naming_it(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await DecidimAdapter().poll(http, config(server, "proposals"), {})
    assert caught.value.message == (
        f"componentId 7: component 7 at {server}/proposals/api is a Proposals component, not an accountability one"
    )


async def test_a_missing_component_is_a_source_error_naming_it(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match=r"^componentId 99: .* has no such component"):
            await DecidimAdapter().poll(http, config(server, componentId=99), {})


async def test_a_platform_without_accountability_is_a_source_error(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="has no Accountability type"):
            await DecidimAdapter().poll(http, config(server, "bare"), {})


async def test_a_server_error_is_a_source_error_with_its_status(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await DecidimAdapter().poll(http, config(server, "down"), {})
    assert caught.value.http_status == 500


async def test_an_api_slower_than_the_timeout_is_a_source_error(server: str) -> None:
    async with impatient_client() as http:
        with pytest.raises(SourceError, match="timed out"):
            await DecidimAdapter().poll(http, config(server, "slow"), {})


async def test_malformed_json_is_a_source_error(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="did not answer with valid JSON"):
            await DecidimAdapter().poll(http, config(server, "malformed"), {})


async def test_an_answer_over_the_default_5_mib_cap_is_not_read(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="larger than 5 MiB"):
            await DecidimAdapter().poll(http, config(server, "huge"), {})


def test_component_id_is_required() -> None:
    with pytest.raises(OptionError) as caught:
        DecidimAdapter().validate(SourceConfig(url="https://participer.example.ma"))
    assert caught.value.option == "componentId"


def test_component_id_must_be_a_number() -> None:
    with pytest.raises(OptionError) as caught:
        DecidimAdapter().validate(SourceConfig(url="https://participer.example.ma", options={"componentId": "f/7"}))
    assert caught.value.option == "componentId"


def test_component_id_may_not_be_a_boolean() -> None:
    with pytest.raises(OptionError) as caught:
        DecidimAdapter().validate(SourceConfig(url="https://participer.example.ma", options={"componentId": True}))
    assert caught.value.option == "componentId"


def test_unknown_options_are_refused() -> None:
    options = {"componentId": 7, "valuePath": "/progress"}
    with pytest.raises(OptionError) as caught:
        DecidimAdapter().validate(SourceConfig(url="https://participer.example.ma", options=options))
    assert caught.value.option == "valuePath"


def test_the_language_must_be_one_the_tracker_has() -> None:
    options = {"componentId": 7, "language": "es"}
    with pytest.raises(OptionError) as caught:
        DecidimAdapter().validate(SourceConfig(url="https://participer.example.ma", options=options))
    assert caught.value.option == "language"


def test_a_numeric_string_component_id_passes_validation() -> None:
    options = {"componentId": " 12 ", "language": "ar"}
    DecidimAdapter().validate(SourceConfig(url="https://participer.example.ma", options=options))
