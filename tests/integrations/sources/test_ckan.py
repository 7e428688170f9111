"""CKAN_DATASET and CKAN_SEARCH against a loopback portal answering like data.gov.ma."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from integrations.sources.base import OptionError, SourceConfig, SourceError
from integrations.sources.ckan import CkanDatasetAdapter, CkanSearchAdapter
from tests.integrations.sources import client, fixture, impatient_client, recorded, server_error, slow
from tests.support.loopback import serve

DATASET = "budget-commune-ait-melloul-2024"
DATASET_ID = "c5a0e3b2-7d41-4f3e-9b8a-1e2f3a4b5c6d"
PAGE_SIZE = 2  # the fixtures hold 3 datasets over two pages

SHOW = {
    "success": ("package_show__success.json", 200),
    "not-found": ("package_show__not_found.json", 404),
    "refused-with-200": ("package_show__authorization_error.json", 200),
    "malformed": ("package_show__malformed.json", 200),
}
SEEN: list[tuple[str, dict[str, str]]] = []


async def action(request: Request) -> Response:
    variant = request.path_params["variant"]
    name = request.path_params["action"]
    SEEN.append((name, dict(request.query_params)))
    if name == "package_show" and variant in SHOW:
        path, status = SHOW[variant]
        return recorded(request, fixture(f"ckan/{path}"), "application/json;charset=utf-8", status=status)
    if name == "package_search" and variant == "search-error":
        return recorded(request, fixture("ckan/package_search__search_error.json"), "application/json", status=409)
    if name == "package_search" and variant == "search":
        page = int(request.query_params.get("start", "0")) // PAGE_SIZE + 1
        return recorded(request, fixture(f"ckan/package_search__page{page}.json"), "application/json;charset=utf-8")
    return Response(status_code=404)


APP = Starlette(
    routes=[
        Route("/slow/api/3/action/{action}", slow),
        Route("/down/api/3/action/{action}", server_error),
        Route("/{variant}/api/3/action/{action}", action),
    ]
)


@pytest.fixture(scope="module")
def portal() -> Iterator[str]:
    with serve(APP) as base_url:
        yield base_url


@pytest.fixture
def seen() -> list[tuple[str, dict[str, str]]]:
    SEEN.clear()
    return SEEN


def dataset_config(base_url: str, variant: str = "success", dataset: str = DATASET) -> SourceConfig:
    return SourceConfig(url=f"{base_url}/{variant}/", options={"dataset": dataset})


def search_config(base_url: str, variant: str = "search", **options: object) -> SourceConfig:
    return SourceConfig(url=f"{base_url}/{variant}", options=options or {"q": "budget"})


def search_adapter(**limits: int) -> CkanSearchAdapter:
    return CkanSearchAdapter(page_size=PAGE_SIZE, **limits)


# CKAN_DATASET


async def test_a_dataset_gives_one_item_per_resource_and_one_for_its_page(portal: str) -> None:
    async with client() as http:
        result = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    assert [item.url for item in result.items] == [
        "https://data.gov.ma/data/dataset/c5a0e3b2-7d41-4f3e-9b8a-1e2f3a4b5c6d/resource/"
        "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b/download/budget-2024.csv",
        "https://www.aitmelloul.ma/sites/default/files/budget-2024.pdf",
        "https://www.aitmelloul.ma/sites/default/files/annexes-budget-2024.xlsx",
        f"{portal}/success/dataset/{DATASET}",
    ]
    assert {item.kind for item in result.items} == {"DATASET"}
    assert result.http_status == 200
    assert result.bytes_read == len(fixture("ckan/package_show__success.json"))


async def test_fingerprints_are_the_sha256_of_ckan_and_the_ckan_id(portal: str) -> None:
    async with client() as http:
        result = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    expected = [
        hashlib.sha256(f"ckan:{identifier}".encode()).hexdigest()
        for identifier in (
            "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
            "f6a7b8c9-d0e1-4f2a-b3c4-d5e6f7a8b9c0",
            "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
            DATASET_ID,
        )
    ]
    assert [item.fingerprint for item in result.items] == expected


async def test_resource_titles_are_filed_under_the_language_of_their_script(portal: str) -> None:
    async with client() as http:
        result = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    assert result.items[0].title == {"fr": "Budget primitif 2024 (CSV)"}
    assert result.items[1].title == {"ar": "الميزانية الأولية 2024"}


async def test_a_resource_without_a_name_takes_the_dataset_title(portal: str) -> None:
    async with client() as http:
        result = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    assert result.items[2].title == {"fr": "Budget de la commune d'Aït Melloul 2024"}
    assert result.items[3].title == {"fr": "Budget de la commune d'Aït Melloul 2024"}


async def test_naive_ckan_timestamps_are_read_as_utc(portal: str) -> None:
    async with client() as http:
        result = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    assert [item.published_at for item in result.items] == [
        datetime(2024, 2, 12, 9, 35, 44, 208133, tzinfo=UTC),
        datetime(2024, 2, 12, 9, 37, 2, 118407, tzinfo=UTC),
        datetime(2024, 2, 28, 16, 20, tzinfo=UTC),  # no `created`: `last_modified`
        datetime(2024, 2, 12, 9, 31, 7, 512331, tzinfo=UTC),
    ]


async def test_the_observation_is_the_number_of_resources_when_the_dataset_was_modified(portal: str) -> None:
    async with client() as http:
        result = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    [observation] = result.observations
    assert observation.value == 3.0
    assert observation.observed_at == datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)


async def test_an_unchanged_dataset_is_not_modified(portal: str, seen: list[tuple[str, dict[str, str]]]) -> None:
    adapter = CkanDatasetAdapter()
    async with client() as http:
        first = await adapter.poll(http, dataset_config(portal), {})
        second = await adapter.poll(http, dataset_config(portal), first.state)
    assert "etag" in first.state
    assert second.not_modified
    assert second.http_status == 304
    assert second.state == first.state
    assert second.items == []
    assert second.observations == []
    assert seen[0][1] == {"id": DATASET}


async def test_success_false_is_an_error_even_with_status_200(portal: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await CkanDatasetAdapter().poll(http, dataset_config(portal, "refused-with-200"), {})
    assert "Access denied: User  not authorized to read package" in caught.value.message
    assert caught.value.http_status == 200


async def test_a_missing_dataset_reports_ckans_message_and_status(portal: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await CkanDatasetAdapter().poll(http, dataset_config(portal, "not-found", "no-such-dataset"), {})
    assert caught.value.message.endswith("refused package_show: Not found")
    assert caught.value.http_status == 404


async def test_a_server_error_is_a_source_error_with_its_status(portal: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await CkanDatasetAdapter().poll(http, dataset_config(portal, "down"), {})
    assert caught.value.http_status == 500
    assert "answered HTTP 500" in caught.value.message


async def test_a_portal_slower_than_the_timeout_is_a_source_error(portal: str) -> None:
    async with impatient_client() as http:
        with pytest.raises(SourceError, match="timed out"):
            await CkanDatasetAdapter().poll(http, dataset_config(portal, "slow"), {})


async def test_an_answer_over_the_size_cap_is_not_read(portal: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="larger than 1 KiB"):
            await CkanDatasetAdapter(max_bytes=1024).poll(http, dataset_config(portal), {})


async def test_malformed_json_is_a_source_error(portal: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="did not answer with JSON"):
            await CkanDatasetAdapter().poll(http, dataset_config(portal, "malformed"), {})


# CKAN_SEARCH


async def test_a_search_follows_pagination_to_the_last_page(
    portal: str, seen: list[tuple[str, dict[str, str]]]
) -> None:
    async with client() as http:
        result = await search_adapter().poll(http, search_config(portal), {})
    assert [item.url.rsplit("/", 1)[1] for item in result.items] == [
        "budget-commune-ait-melloul-2024",
        "marches-publics-ait-melloul-2023",
        "equipements-sportifs-ait-melloul",
    ]
    assert [params["start"] for _, params in seen] == ["0", "2"]
    assert {params["rows"] for _, params in seen} == {"2"}
    assert result.bytes_read == sum(len(fixture(f"ckan/package_search__page{page}.json")) for page in (1, 2))


async def test_the_search_observation_is_ckans_count(portal: str) -> None:
    async with client() as http:
        result = await search_adapter().poll(http, search_config(portal), {})
    assert [observation.value for observation in result.observations] == [3.0]


async def test_searched_datasets_are_dataset_items_with_their_page_and_creation_date(portal: str) -> None:
    async with client() as http:
        result = await search_adapter().poll(http, search_config(portal), {})
    second = result.items[1]
    assert second.kind == "DATASET"
    assert second.url == f"{portal}/search/dataset/marches-publics-ait-melloul-2023"
    assert second.title == {"ar": "الصفقات العمومية لجماعة أيت ملول 2023"}
    assert second.published_at == datetime(2024, 1, 18, 11, 4, 52, 980211, tzinfo=UTC)


async def test_a_dataset_found_by_search_has_the_fingerprint_it_has_in_package_show(portal: str) -> None:
    async with client() as http:
        searched = await search_adapter().poll(http, search_config(portal), {})
        shown = await CkanDatasetAdapter().poll(http, dataset_config(portal), {})
    assert searched.items[0].fingerprint == shown.items[-1].fingerprint


async def test_an_organization_search_filters_on_the_organization(
    portal: str, seen: list[tuple[str, dict[str, str]]]
) -> None:
    async with client() as http:
        await search_adapter().poll(http, search_config(portal, organization="commune-ait-melloul"), {})
    assert seen[0][1]["fq"] == "organization:commune-ait-melloul"
    assert "q" not in seen[0][1]


async def test_an_organization_and_a_filter_query_are_both_applied(
    portal: str, seen: list[tuple[str, dict[str, str]]]
) -> None:
    config = search_config(portal, organization="commune-ait-melloul", fq="res_format:CSV")
    async with client() as http:
        await search_adapter().poll(http, config, {})
    assert seen[0][1]["fq"] == "organization:commune-ait-melloul AND (res_format:CSV)"


async def test_a_search_stops_at_the_result_cap_with_a_warning(
    portal: str, seen: list[tuple[str, dict[str, str]]]
) -> None:
    async with client() as http:
        result = await search_adapter(max_results=2).poll(http, search_config(portal), {})
    assert len(result.items) == 2
    assert len(seen) == 1
    assert result.observations[0].value == 3.0
    assert result.warnings == ["3 datasets found; only the 2 created last were read"]


async def test_an_unchanged_search_is_not_modified(portal: str, seen: list[tuple[str, dict[str, str]]]) -> None:
    adapter = search_adapter()
    async with client() as http:
        first = await adapter.poll(http, search_config(portal), {})
        seen.clear()
        second = await adapter.poll(http, search_config(portal), first.state)
    assert second.not_modified
    assert second.http_status == 304
    assert second.state == first.state
    assert len(seen) == 1


async def test_a_search_error_reports_ckans_message(portal: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await search_adapter().poll(http, search_config(portal, "search-error", fq="organization:(x"), {})
    assert "Search error: {'fq': 'Invalid search query" in caught.value.message
    assert caught.value.http_status == 409


# validate()


def test_a_dataset_source_needs_the_dataset_option() -> None:
    with pytest.raises(OptionError) as caught:
        CkanDatasetAdapter().validate(SourceConfig(url="https://data.gov.ma"))
    assert caught.value.option == "dataset"


def test_a_dataset_must_be_a_ckan_name_or_id() -> None:
    with pytest.raises(OptionError) as caught:
        CkanDatasetAdapter().validate(SourceConfig(url="https://data.gov.ma", options={"dataset": "Budget 2024"}))
    assert caught.value.option == "dataset"


def test_a_dataset_source_needs_an_http_url() -> None:
    with pytest.raises(OptionError) as caught:
        CkanDatasetAdapter().validate(SourceConfig(url="ftp://data.gov.ma", options={"dataset": DATASET}))
    assert caught.value.option == "url"


def test_an_unknown_option_is_named() -> None:
    config = SourceConfig(url="https://data.gov.ma", options={"dataset": DATASET, "datset": DATASET})
    with pytest.raises(OptionError) as caught:
        CkanDatasetAdapter().validate(config)
    assert caught.value.option == "datset"


def test_a_search_needs_q_fq_or_organization() -> None:
    with pytest.raises(OptionError) as caught:
        CkanSearchAdapter().validate(SourceConfig(url="https://data.gov.ma"))
    assert caught.value.option == "q"


def test_an_organization_must_be_a_ckan_name() -> None:
    with pytest.raises(OptionError) as caught:
        CkanSearchAdapter().validate(SourceConfig(url="https://data.gov.ma", options={"organization": "x) OR (y"}))
    assert caught.value.option == "organization"


def test_a_search_query_must_be_text() -> None:
    with pytest.raises(OptionError) as caught:
        CkanSearchAdapter().validate(SourceConfig(url="https://data.gov.ma", options={"q": ["budget"]}))
    assert caught.value.option == "q"


def test_the_default_language_must_be_one_the_tracker_stores() -> None:
    config = SourceConfig(url="https://data.gov.ma", options={"dataset": DATASET, "language": "es"})
    with pytest.raises(OptionError) as caught:
        CkanDatasetAdapter().validate(config)
    assert caught.value.option == "language"


def test_well_formed_ckan_sources_pass_validation() -> None:
    CkanDatasetAdapter().validate(SourceConfig(url="https://data.gov.ma", options={"dataset": DATASET}))
    CkanSearchAdapter().validate(
        SourceConfig(url="https://data.gov.ma/data", options={"organization": "commune-ait-melloul", "language": "ar"})
    )
