"""The one hardened HTTP client for every outbound request (webhooks, evidence sources).

- Host names are resolved once per connection and the connection goes only to an address that
  passed the checks, so a DNS answer cannot change between the check and the connect.
- Refused always: link-local (cloud metadata lives there: 169.254.169.254, fd00:ec2::254),
  multicast, unspecified and reserved addresses; IPv4 hidden in IPv6 (mapped, 6to4, Teredo,
  NAT64) is unwrapped and checked as IPv4.
- Refused unless `allow_private`: loopback (127.0.0.0/8, ::1), private and shared (CGNAT) ranges.
- A configured URL's host must be a valid name or an IP address written the usual way
  (`check_target`): an IPv4 address in another form (`0177.0.0.1`, `0x7f.1`, `127.1`,
  `2130706433`, `①②⑦.0.0.1`) is refused, naming the address the C library would read it as, since
  the resolver would connect there; so are names IDNA refuses and labels over 63 characters.
- No proxies from the environment (`trust_env=False`), bounded timeouts, capped bodies.
- No cookies kept: one client serves every source and every subscriber, so a cookie set by one
  server would otherwise ride along on later requests to its domain, whoever made them (httpx
  keeps cookies by default; its maintainers suggest a jar that stores nothing, encode/httpx#1359).
  Leaving the jar alone also spares a cookie parse per response.
- Every request says who makes it: `open-plan-tracker/<version> (+<the tracker's public URL>)`,
  so that the operator of a receiver or a publisher can tell what calls and whom to ask.
"""

from __future__ import annotations

import importlib.metadata
import ipaddress
import re
import socket
import typing
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALWAYS_REFUSED = (
    ipaddress.ip_network("169.254.0.0/16"),  # link-local, cloud metadata
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DISTRIBUTION = "open-plan-tracker"


def package_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def user_agent(page: str | None = None) -> str:
    """The product and its version, and the page of the tracker making the request when known (the
    `+URL` comment crawlers use to say where to read about them)."""
    product = f"{DISTRIBUTION}/{package_version()}"
    return f"{product} (+{page})" if page else product


class BlockedTarget(httpcore.ConnectError):
    """The target resolves only to addresses the policy refuses."""


class ResponseTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"response larger than {limit} bytes")
        self.limit = limit


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why the address may not be contacted, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded, allow_private=allow_private)
    if any(address in network for network in ALWAYS_REFUSED) or address.is_link_local:
        return "link-local or metadata address"
    if address.is_loopback:
        # Before the reserved check: Python counts ::1 as reserved (it lies in ::/8).
        return None if allow_private else "private or loopback address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "multicast, unspecified or reserved address"
    if address.is_global:
        return None
    if allow_private:
        return None
    return "private or loopback address"


@dataclass(frozen=True, slots=True)
class Policy:
    allow_private: bool = False

    def pick(self, host: str, addresses: Iterable[str]) -> str:
        """The first resolved address the policy accepts; BlockedTarget when there is none."""
        reasons = []
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            reason = refusal(address, allow_private=self.allow_private)
            if reason is None:
                return str(address)
            reasons.append(f"{address}: {reason}")
        raise BlockedTarget(f"refused to connect to {host} ({'; '.join(reasons) or 'no address'})")


async def resolve(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        # UnicodeError: a name IDNA refuses (an empty label, one over 63 characters...).
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy accepts."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve(host, port)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from error
        address = self.policy.pick(host, addresses)
        return await self.inner.connect_tcp(
            address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedTarget("unix sockets are not a valid target")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: Policy, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx does not take a network backend; the pool is rebuilt with the same settings and ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


class _NoCookies(httpx.Cookies):
    """A jar that stores nothing, so requests never carry a `Cookie` header."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class HardenedClient(httpx.AsyncClient):
    """`httpx.AsyncClient` without a cookie jar (see the module's docstring)."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("the hardened client keeps no cookies")


def create_client(
    *,
    allow_private: bool = False,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    max_redirects: int = 0,
    max_connections: int = 100,
    page: str | None = None,
) -> httpx.AsyncClient:
    """The client every outbound request goes through; `page` is the tracker's public URL, named
    in the User-Agent."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections // 2)
    return HardenedClient(
        transport=GuardedTransport(Policy(allow_private=allow_private), limits),
        timeout=timeout,
        follow_redirects=max_redirects > 0,
        max_redirects=max(max_redirects, 0),
        trust_env=False,
        headers={"User-Agent": user_agent(page)},
    )


async def read_capped(response: httpx.Response, limit: int = DEFAULT_MAX_BYTES) -> bytes:
    """The body of a streamed response, refusing to read past `limit` bytes."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class InvalidTarget(ValueError):
    """A URL that cannot be a target, whatever the policy: the message says why."""


_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")  # underscores occur in real names
MAX_NAME = 253


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host ending in a number stands for, read as the C library's `inet_aton`
    reads it (and so the resolver, which would connect there): `0177.0.0.1`, `0x7f.1`, `127.1` and
    `2130706433` are all 127.0.0.1. None for a name. After NFKC, as URL parsers map `①②⑦` to `127`.
    InvalidTarget when it ends in a number but is no address."""
    folded = unicodedata.normalize("NFKC", host).rstrip(".")
    if not _NUMBER.match(folded.rsplit(".", 1)[-1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(folded))
    except (OSError, UnicodeError, ValueError):
        raise InvalidTarget(f"host {host!r} is neither a name nor an IPv4 address") from None


def target_host(url: str, *, allow_private: bool) -> tuple[str, int]:
    """The host (IDNA-encoded, or an IP address written the usual way) and port of a URL that may
    be configured as a target; InvalidTarget, saying why, otherwise. Resolves nothing."""
    try:
        split = urlsplit(url)
        raw_host, port = split.hostname, split.port
    except ValueError as error:
        raise InvalidTarget(f"is not a valid URL ({error})") from None
    if split.scheme.lower() not in ("http", "https") or not raw_host:
        raise InvalidTarget("must be an http or https URL")
    address = None if ":" in raw_host else numeric_ipv4(raw_host)  # an IPv6 literal has colons
    if address is not None and str(address) != raw_host:
        reason = refusal(address, allow_private=allow_private)
        written = f"host {raw_host!r} is the IPv4 address {address} written another way"
        raise InvalidTarget(f"{written} ({reason})" if reason else f"{written}: write {address}")
    try:
        parsed = httpx.URL(url)
        parsed.host  # noqa: B018 - decoding the A-labels checks them
    except (httpx.InvalidURL, UnicodeError, ValueError) as error:  # idna.IDNAError is a UnicodeError
        raise InvalidTarget(f"host {raw_host!r} is not a valid name ({error})") from None
    host = parsed.raw_host.decode("ascii")
    if ":" not in host and address is None:
        name = host.rstrip(".")
        if len(name) > MAX_NAME or not all(_LABEL.match(label) for label in name.split(".")):
            raise InvalidTarget(
                f"host {raw_host!r} is not a valid name (labels of letters, digits and hyphens, "
                f"each 1 to 63 characters, {MAX_NAME} in all)"
            )
    default_port = 443 if parsed.scheme == "https" else 80
    return host, port or default_port


async def check_target(url: str, *, allow_private: bool) -> str | None:
    """Why a URL may not be used as a target (checked when it is configured), or None."""
    try:
        host, port = target_host(url, allow_private=allow_private)
        Policy(allow_private=allow_private).pick(host, await resolve(host, port))
    except InvalidTarget as error:
        return str(error)
    except httpcore.ConnectError as error:
        return str(error)
    return None
