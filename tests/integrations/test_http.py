"""The hardened client refuses what it must, on real sockets."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from integrations.http import BlockedTarget, ResponseTooLarge, check_target, create_client, read_capped, refusal
from tests.support.loopback import serve


async def _hello(_request: Request) -> Response:
    return PlainTextResponse("hello")


async def _big(_request: Request) -> Response:
    return PlainTextResponse("x" * 50_000)


APP = Starlette(routes=[Route("/", _hello), Route("/big", _big)])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.1.1",
        "172.16.0.1",
        "100.64.0.1",
        "::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
def test_private_and_loopback_addresses_are_refused_by_default(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is not None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "fe80::1", "224.0.0.1", "0.0.0.0"]
)
def test_metadata_link_local_and_multicast_stay_refused_when_private_targets_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=True) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "41.214.0.1"])
def test_public_addresses_are_accepted(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


async def test_a_loopback_server_is_refused_at_connect_time() -> None:
    with serve(APP) as base_url:
        async with create_client(allow_private=False) as client:
            with pytest.raises(httpx.ConnectError) as caught:
                await client.get(base_url)
    assert isinstance(caught.value.__cause__, BlockedTarget)


async def test_a_name_resolving_to_loopback_is_refused() -> None:
    with serve(APP) as base_url:
        async with create_client(allow_private=False) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(base_url.replace("127.0.0.1", "localhost"))


async def test_private_targets_can_be_allowed() -> None:
    with serve(APP) as base_url:
        async with create_client(allow_private=True) as client:
            response = await client.get(base_url)
    assert response.text == "hello"


async def test_a_body_over_the_cap_is_not_read() -> None:
    with serve(APP) as base_url:
        async with create_client(allow_private=True) as client, client.stream("GET", f"{base_url}/big") as response:
            with pytest.raises(ResponseTooLarge):
                await read_capped(response, limit=10_000)


async def test_check_target_explains_a_refused_url() -> None:
    assert await check_target("http://127.0.0.1:9/hook", allow_private=False) is not None
    assert await check_target("ftp://example.org/", allow_private=True) == "must be an http or https URL"
    assert await check_target("http://127.0.0.1:9/hook", allow_private=True) is None


def test_ipv6_loopback_is_accepted_when_private_targets_are_allowed() -> None:
    assert refusal(ipaddress.ip_address("::1"), allow_private=True) is None


async def test_a_server_on_ipv6_loopback_is_reached_when_private_targets_are_allowed() -> None:
    with serve(APP, host="::1") as base_url:
        assert await check_target(base_url, allow_private=True) is None
        async with create_client(allow_private=True) as client:
            response = await client.get(base_url)
    assert response.text == "hello"


# The IPv4 forms the C library reads as 127.0.0.1, and so would the resolver: octal, hexadecimal,
# short, a bare number, digits NFKC folds to ASCII ones, a trailing dot.
LOOPBACK_WRITTEN_OTHERWISE = [
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://017700000001/",
    "http://①②⑦.0.0.1/",
    "http://\uff11\uff12\uff17.0.0.1/",  # full-width digits
    "http://127.0.0.1./",
]


@pytest.mark.parametrize("url", LOOPBACK_WRITTEN_OTHERWISE)
async def test_loopback_written_another_way_is_refused_as_loopback(url: str) -> None:
    problem = await check_target(url, allow_private=False)
    assert problem is not None and "127.0.0.1" in problem and "loopback" in problem


@pytest.mark.parametrize("url", LOOPBACK_WRITTEN_OTHERWISE)
async def test_an_address_written_another_way_is_refused_even_when_private_targets_are_allowed(url: str) -> None:
    problem = await check_target(url, allow_private=True)
    assert problem is not None and "write 127.0.0.1" in problem


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",
        "http://256.0.0.1/",
        "http://08.0.0.1/",
        "http://a.b.c.123/",
        "http://xn--zz.example/",
        "http://\uff41.example/",  # a full-width letter
        "http://" + "a" * 64 + ".example/",
        "http://" + "\u0627" * 70 + ".example/",
        "http://" + "a." * 127 + "example/",
        "http://a..example/",
        "http://-a.example/",
        "http://[zz]/",
        "http://example.org:99999/",
        "http:///path",
    ],
)
async def test_a_malformed_host_is_explained_without_resolving_it(url: str) -> None:
    assert await check_target(url, allow_private=True) is not None


async def _cookie_setter(request: Request) -> Response:
    response = PlainTextResponse(request.headers.get("cookie", "no cookie"))
    response.set_cookie("session", "from-the-first-source")
    return response


async def test_a_cookie_set_by_one_server_is_never_sent_back() -> None:
    app = Starlette(routes=[Route("/{path}", _cookie_setter)])
    with serve(app) as base_url:
        async with create_client(allow_private=True) as client:
            first = await client.get(f"{base_url}/a")
            second = await client.get(f"{base_url}/b")
    assert first.headers["set-cookie"].startswith("session=")
    assert second.text == "no cookie"
    assert len(client.cookies) == 0
