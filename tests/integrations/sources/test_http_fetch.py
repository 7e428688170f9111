"""The conditional, capped GET every adapter goes through, on real sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from integrations.http import create_client
from integrations.sources.base import SourceError
from integrations.sources.http_fetch import fetch, where
from tests.integrations.sources import client
from tests.support.loopback import serve
from tests.support.processes import free_port


async def echo(request: Request) -> Response:
    return JSONResponse(
        {
            "if_none_match": request.headers.get("if-none-match"),
            "if_modified_since": request.headers.get("if-modified-since"),
        },
        headers={"ETag": '"v2"', "Last-Modified": "Fri, 01 Mar 2024 10:00:00 GMT"},
    )


async def plain(_request: Request) -> Response:
    return Response(b"ok", headers={"Content-Type": "text/plain"})


async def moved(_request: Request) -> Response:
    return RedirectResponse("/new-address?token=secret", status_code=301)


async def forbidden(_request: Request) -> Response:
    return Response(b"Forbidden", status_code=403)


APP = Starlette(
    routes=[Route("/echo", echo), Route("/plain", plain), Route("/moved", moved), Route("/forbidden", forbidden)]
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(APP) as base_url:
        yield base_url


async def test_validators_from_the_state_are_sent(server: str) -> None:
    state = {"etag": '"v1"', "last_modified": "Thu, 29 Feb 2024 10:00:00 GMT"}
    async with client() as http:
        fetched = await fetch(http, f"{server}/echo", state)
    assert fetched.body == b'{"if_none_match":"\\"v1\\"","if_modified_since":"Thu, 29 Feb 2024 10:00:00 GMT"}'


async def test_the_new_state_keeps_other_keys_and_takes_the_new_validators(server: str) -> None:
    async with client() as http:
        fetched = await fetch(http, f"{server}/echo", {"etag": '"v1"', "fingerprint": "abc"})
    assert fetched.state == {"fingerprint": "abc", "etag": '"v2"', "last_modified": "Fri, 01 Mar 2024 10:00:00 GMT"}


async def test_validators_the_server_no_longer_sends_are_dropped(server: str) -> None:
    async with client() as http:
        fetched = await fetch(http, f"{server}/plain", {"etag": '"v1"', "last_modified": "yesterday"})
    assert fetched.state == {}


async def test_an_unfollowed_redirect_names_the_new_address_without_its_query(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await fetch(http, f"{server}/moved", {})
    assert caught.value.http_status == 301
    assert (
        caught.value.message
        == f"{server}/moved redirects (HTTP 301) to {server}/new-address: configure that address instead"
    )


async def test_messages_leave_out_the_query_string(server: str) -> None:
    async with client() as http:
        with pytest.raises(SourceError) as caught:
            await fetch(http, f"{server}/forbidden?api_key=secret", {})
    assert caught.value.message == f"{server}/forbidden answered HTTP 403 Forbidden"
    assert "secret" not in caught.value.message


async def test_a_closed_port_is_a_source_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/feed"
    async with client() as http:
        with pytest.raises(SourceError, match="could not connect to"):
            await fetch(http, url, {})


async def test_a_target_the_client_refuses_is_a_source_error(server: str) -> None:
    async with create_client(allow_private=False) as http:
        with pytest.raises(SourceError) as caught:
            await fetch(http, f"{server}/plain", {})
    assert "may not be contacted" in caught.value.message
    assert "private or loopback address" in caught.value.message


def test_where_keeps_scheme_host_port_and_path_only() -> None:
    assert where("https://user:pw@data.gov.ma:8443/api/3/action/package_show?id=x") == (
        "https://data.gov.ma:8443/api/3/action/package_show"
    )
