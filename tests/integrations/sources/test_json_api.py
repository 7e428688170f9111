"""JSON_API against a loopback transparency platform publishing indicator figures."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from integrations.http import DEFAULT_MAX_BYTES
from integrations.sources.base import OptionError, SourceConfig, SourceError
from integrations.sources.json_api import JsonApiAdapter
from tests.integrations.sources import client, fixture, impatient_client, recorded, server_error, slow
from tests.support.loopback import serve

HUGE = b'{"data": [' + b"1," * (DEFAULT_MAX_BYTES // 2) + b"1]}"


async def api(request: Request) -> Response:
    return recorded(request, fixture(f"json_api/{request.path_params['name']}.json"), "application/json")


async def without_validators(request: Request) -> Response:
    """The fixture with neither ETag nor Last-Modified, as many platforms answer."""
    body = fixture(f"json_api/{request.path_params['name']}.json")
    return Response(body, headers={"Content-Type": "application/json"})


REQUESTS = itertools.count(1)


async def counter(_request: Request) -> Response:
    """A figure that grows by one at every request, published without validators."""
    body = f'{{"data": [{{"count": {next(REQUESTS)}}}]}}'
    return Response(body, headers={"Content-Type": "application/json"})


async def huge(_request: Request) -> Response:
    return Response(HUGE, headers={"Content-Type": "application/json"})


APP = Starlette(
    routes=[
        Route("/api/v1/{name}", api),
        Route("/plain/{name}", without_validators),
        Route("/counter", counter),
        Route("/huge", huge),
        Route("/slow", slow),
        Route("/down", server_error),
    ]
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(APP) as base_url:
        yield base_url


def config(base_url: str, name: str = "indicators__success", **options: object) -> SourceConfig:
    return SourceConfig(url=f"{base_url}/api/v1/{name}", options={"valuePath": "/data/0/count", **options})


async def test_the_number_at_value_path_is_the_observation(server: str) -> None:
    async with client() as http:
        result = await JsonApiAdapter().poll(http, config(server), {})
    assert [observation.value for observation in result.observations] == [42.0]
    assert result.items == []
    assert result.http_status == 200


async def test_a_numeric_string_is_read_as_a_number(server: str) -> None:
    async with client() as http:
        result = await JsonApiAdapter().poll(http, config(server, valuePath="/data/1/share_percent"), {})
    assert result.observations[0].value == 68.0


async def test_escaped_pointer_tokens_are_resolved(server: str) -> None:
    async with client() as http:
        result = await JsonApiAdapter().poll(http, config(server, valuePath="/a~1b/m~0n"), {})
    assert result.observations[0].value == 7.0


async def test_a_pointer_to_a_string_is_a_source_error_naming_the_path(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await JsonApiAdapter().poll(http, config(server, valuePath="/meta/source"), {})
    assert caught.value.message.startswith('valuePath "/meta/source" designates a string, not a number')


async def test_a_boolean_is_not_a_number(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match='valuePath "/data/2/count" designates a boolean'):
            await JsonApiAdapter().poll(http, config(server, valuePath="/data/2/count"), {})


async def test_a_pointer_past_the_end_of_an_array_is_a_source_error_naming_the_path(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await JsonApiAdapter().poll(http, config(server, valuePath="/data/5/count"), {})
    assert (
        caught.value.message == 'valuePath "/data/5/count": index 5 is past the end of the array at "/data" (3 items)'
    )


async def test_items_path_gives_one_item_per_object_with_a_url(server: str) -> None:
    async with client() as http:
        result = await JsonApiAdapter().poll(http, config(server, itemsPath="/documents"), {})
    assert [item.url for item in result.items] == [
        f"{server}/documents/rapport-annuel-acces-information-2023.pdf",
        "https://www.aitmelloul.ma/sites/default/files/pv-session-octobre-2023.pdf",
    ]
    assert {item.kind for item in result.items} == {"OTHER"}
    assert result.items[1].fingerprint == hashlib.sha256(result.items[1].url.encode()).hexdigest()
    assert result.warnings == ['1 elements of itemsPath without an http(s) URL under "url" were skipped']


async def test_item_titles_may_be_given_in_several_languages(server: str) -> None:
    async with client() as http:
        result = await JsonApiAdapter().poll(http, config(server, itemsPath="/documents"), {})
    assert result.items[0].title == {"fr": "Rapport annuel sur l'accès à l'information 2023"}
    assert result.items[1].title == {"ar": "محضر دورة أكتوبر 2023", "fr": "Procès-verbal de la session d'octobre 2023"}


async def test_the_item_url_and_title_keys_can_be_chosen(server: str) -> None:
    source = config(server, itemsPath="/data", itemUrlKey="indicator", itemTitleKey="label")
    async with client() as http:
        result = await JsonApiAdapter().poll(http, source, {})
    assert result.items[0].url == f"{server}/api/v1/published_datasets"
    assert result.items[0].title == {"fr": "Jeux de données publiés", "ar": "مجموعات البيانات المنشورة"}


async def test_items_path_to_an_object_is_a_source_error(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match='itemsPath "/meta" designates an object, not an array'):
            await JsonApiAdapter().poll(http, config(server, itemsPath="/meta"), {})


async def test_malformed_json_is_a_source_error(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="did not answer with valid JSON"):
            await JsonApiAdapter().poll(http, config(server, "indicators__malformed"), {})


async def test_an_unchanged_answer_is_not_modified(server: str) -> None:
    async with client() as http:
        first = await JsonApiAdapter().poll(http, config(server), {"cursor": "kept"})
        second = await JsonApiAdapter().poll(http, config(server), first.state)
    assert first.state["cursor"] == "kept"
    assert second.not_modified
    assert second.http_status == 304
    assert second.state == first.state
    assert second.observations == []


async def test_the_same_answer_without_validators_is_nothing_new(server: str) -> None:
    source = SourceConfig(url=f"{server}/plain/indicators__success", options={"valuePath": "/data/0/count"})
    async with client() as http:
        first = await JsonApiAdapter().poll(http, source, {})
        second = await JsonApiAdapter().poll(http, source, first.state)
    assert [observation.value for observation in first.observations] == [42.0]
    assert second.not_modified
    assert second.http_status == 200
    assert second.observations == []
    assert second.state == first.state


async def test_a_changed_answer_without_validators_is_read_again(server: str) -> None:
    source = SourceConfig(url=f"{server}/counter", options={"valuePath": "/data/0/count"})
    async with client() as http:
        first = await JsonApiAdapter().poll(http, source, {})
        second = await JsonApiAdapter().poll(http, source, first.state)
    assert not second.not_modified
    assert [observation.value for observation in second.observations] == [
        observation.value + 1 for observation in first.observations
    ]
    assert second.state != first.state


async def test_a_server_error_is_a_source_error_with_its_status(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await JsonApiAdapter().poll(http, SourceConfig(url=f"{server}/down", options={"valuePath": "/n"}), {})
    assert caught.value.http_status == 500


async def test_an_api_slower_than_the_timeout_is_a_source_error(server: str) -> None:
    async with impatient_client() as http:
        with pytest.raises(SourceError, match="timed out"):
            await JsonApiAdapter().poll(http, SourceConfig(url=f"{server}/slow", options={"valuePath": "/n"}), {})


async def test_an_answer_over_the_default_5_mib_cap_is_not_read(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError, match="larger than 5 MiB"):
            await JsonApiAdapter().poll(http, SourceConfig(url=f"{server}/huge", options={"valuePath": "/n"}), {})


def test_value_path_is_required() -> None:
    with pytest.raises(OptionError) as caught:
        JsonApiAdapter().validate(SourceConfig(url="https://api.aitmelloul.ma/v1/indicators"))
    assert caught.value.option == "valuePath"


def test_value_path_must_start_with_a_slash() -> None:
    with pytest.raises(OptionError) as caught:
        JsonApiAdapter().validate(SourceConfig(url="https://api.aitmelloul.ma/", options={"valuePath": "data.0"}))
    assert caught.value.option == "valuePath"


def test_a_tilde_must_be_escaped_in_value_path() -> None:
    with pytest.raises(OptionError) as caught:
        JsonApiAdapter().validate(SourceConfig(url="https://api.aitmelloul.ma/", options={"valuePath": "/a~2b"}))
    assert caught.value.option == "valuePath"


def test_items_path_must_be_a_pointer() -> None:
    options = {"valuePath": "/count", "itemsPath": ["documents"]}
    with pytest.raises(OptionError) as caught:
        JsonApiAdapter().validate(SourceConfig(url="https://api.aitmelloul.ma/", options=options))
    assert caught.value.option == "itemsPath"


def test_item_url_key_may_not_be_blank() -> None:
    options = {"valuePath": "/count", "itemsPath": "/documents", "itemUrlKey": ""}
    with pytest.raises(OptionError) as caught:
        JsonApiAdapter().validate(SourceConfig(url="https://api.aitmelloul.ma/", options=options))
    assert caught.value.option == "itemUrlKey"


def test_a_well_formed_json_source_passes_validation() -> None:
    options = {"valuePath": "", "itemsPath": "/documents", "itemUrlKey": "href", "itemTitleKey": "name"}
    JsonApiAdapter().validate(SourceConfig(url="https://api.aitmelloul.ma/v1/indicators?key=x", options=options))
