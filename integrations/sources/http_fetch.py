"""What every adapter shares: one conditional, capped GET, and the small helpers around it.

`fetch` sends `If-None-Match` / `If-Modified-Since` from the state of the previous poll, reads the
body through `read_capped`, and turns every failure into a `SourceError` a person can act on:

- 304 comes back as a `Fetched` with `not_modified` set (the adapter returns `not_modified_result`);
- with `track_content`, a 200 whose body is byte for byte the one of the last successful poll comes
  back `unchanged` (the state keeps the body's SHA-256): many servers send no validators, and an
  unchanged answer then means what a 304 means, nothing new, without parsing it again;
- 3xx (when the client does not follow redirects), 4xx and 5xx raise `StatusError` with `http_status`
  (and the start of the body, for sources such as CKAN that explain their refusals in it);
- timeouts, refused connections, addresses the client's policy refuses (`BlockedTarget`) and bodies
  over the cap raise `SourceError`.

Messages name the source by scheme, host and path only: a query string may carry an API key.

Also here: checks shared by the adapters' `validate`, fingerprints, timestamps, and the language
of titles (the tracker stores texts under "ar", "fr", "en" and "zgh" only; `integrations` never
imports `tracker`, so the list is repeated below).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpcore
import httpx

from integrations.http import DEFAULT_MAX_BYTES, BlockedTarget, ResponseTooLarge, read_capped
from integrations.sources.base import OptionError, PollResult, SourceConfig, SourceError

DEFAULT_LIMIT = DEFAULT_MAX_BYTES  # 5 MiB
ERROR_BODY_LIMIT = 64 * 1024  # the start of an error body is kept for adapters that explain errors with it
CONTENT_KEY = "content_sha256"  # in a source's state: the body its last successful poll read

LANGUAGES: tuple[str, ...] = ("ar", "fr", "en", "zgh")  # the tracker's, in its order
DEFAULT_LANGUAGE = "fr"
# Tags for Amazigh languages written by Moroccan sources; the tracker files them all under "zgh".
TAMAZIGHT_TAGS = frozenset({"zgh", "tzm", "shi", "rif", "ber", "kab", "tmh"})
MAX_TITLE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response read to the end (or a 304), with the state the next poll should send."""

    url: str  # after redirects, for resolving relative links
    status: int
    headers: httpx.Headers
    body: bytes
    state: dict[str, Any]
    unchanged: bool = False  # same body as the last successful poll (see `fetch`'s track_content)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        """The media type, lower case, without parameters ("" when the server sent none)."""
        return str(self.headers.get("content-type", "")).split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for parameter in str(self.headers.get("content-type", "")).split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None


class StatusError(SourceError):
    """The source answered with an error status; `body` holds the start of what it said."""

    def __init__(self, message: str, *, http_status: int, body: bytes = b"") -> None:
        super().__init__(message, http_status=http_status)
        self.body = body


def where(url: str | httpx.URL) -> str:
    """The URL without its query string or credentials, for messages."""
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL:
        return "the configured URL"
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


class _Where:
    """`where(url)`, worked out when first formatted: most requests never need it."""

    __slots__ = ("url",)

    def __init__(self, url: str | httpx.URL) -> None:
        self.url = url

    def __str__(self) -> str:
        return where(self.url)


def size_text(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def _blocked(error: BaseException) -> BlockedTarget | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, BlockedTarget):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _conditional_headers(state: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    etag = state.get("etag")
    if isinstance(etag, str) and etag:
        headers["If-None-Match"] = etag
    last_modified = state.get("last_modified")
    if isinstance(last_modified, str) and last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _next_state(state: Mapping[str, Any], headers: httpx.Headers) -> dict[str, Any]:
    updated = {key: value for key, value in state.items() if key not in ("etag", "last_modified")}
    if etag := headers.get("etag"):
        updated["etag"] = etag
    if last_modified := headers.get("last-modified"):
        updated["last_modified"] = last_modified
    return updated


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    state: Mapping[str, Any] | None = None,
    *,
    params: Mapping[str, str | int] | None = None,
    limit: int = DEFAULT_LIMIT,
    accept: str | None = None,
    conditional: bool = True,
    track_content: bool = False,
) -> Fetched:
    """GET `url` once; conditional on `state` unless `conditional` is false. Raises SourceError.

    With `track_content` (adapters that read one document per poll), the state also keeps the
    body's SHA-256, and an answer with the same body as the last successful poll is `unchanged`."""
    state = state or {}
    headers = _conditional_headers(state) if conditional else {}
    if accept:
        headers["Accept"] = accept
    fetched = await request(client, "GET", url, state=state, params=params, headers=headers, limit=limit)
    if not track_content or fetched.not_modified:
        return fetched
    digest = sha256(fetched.body)
    fetched.state[CONTENT_KEY] = digest
    return replace(fetched, unchanged=state.get(CONTENT_KEY) == digest)


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    state: Mapping[str, Any] | None = None,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Fetched:
    """One request, every failure turned into a SourceError that says what happened."""
    state = state or {}
    source = _Where(url)  # parsed only when a message needs it
    try:
        async with client.stream(method, url, params=params, headers=headers, content=content) as response:
            status = response.status_code
            if status == 304:
                return Fetched(str(response.url), status, response.headers, b"", dict(state))
            if 300 <= status < 400:
                target = response.headers.get("location")
                location = where(response.url.join(target)) if target else "another address"
                raise StatusError(
                    f"{source} redirects (HTTP {status}) to {location}: configure that address instead",
                    http_status=status,
                )
            if status >= 400:
                try:
                    body = await read_capped(response, ERROR_BODY_LIMIT)
                except ResponseTooLarge:
                    body = b""
                reason = f" {response.reason_phrase}" if response.reason_phrase else ""
                raise StatusError(f"{source} answered HTTP {status}{reason}", http_status=status, body=body)
            try:
                body = await read_capped(response, limit)
            except ResponseTooLarge as error:
                raise SourceError(
                    f"the response from {source} is larger than {size_text(limit)}: it was not read",
                    http_status=status,
                ) from error
            return Fetched(str(response.url), status, response.headers, body, _next_state(state, response.headers))
    except SourceError:
        raise
    except httpx.TimeoutException as error:
        if isinstance(error, httpx.ConnectTimeout):
            raise SourceError(f"timed out connecting to {source}") from error
        raise SourceError(f"timed out waiting for {source} to answer") from error
    except httpx.UnsupportedProtocol as error:
        raise SourceError(f"{source} is not an http or https URL") from error
    except (httpx.ConnectError, httpcore.ConnectError) as error:
        blocked = _blocked(error)
        if blocked is not None:
            raise SourceError(f"{source} may not be contacted: {blocked}") from error
        raise SourceError(f"could not connect to {source}: {error or type(error).__name__}") from error
    except httpx.TooManyRedirects as error:
        raise SourceError(f"{source} redirects too many times") from error
    except httpx.TransportError as error:
        raise SourceError(f"the connection to {source} failed: {error or type(error).__name__}") from error
    except httpx.InvalidURL as error:
        raise SourceError(f"not a valid URL: {error}") from error


def not_modified_result(fetched: Fetched) -> PollResult:
    """What a poll returns on 304, or on an `unchanged` body: nothing new, the state kept."""
    return PollResult(not_modified=True, state=fetched.state, http_status=fetched.status, bytes_read=len(fetched.body))


# Shared by the adapters' validate().


def check_url(config: SourceConfig) -> None:
    if not isinstance(config.url, str) or not config.url.strip():
        raise OptionError("url", "an http or https URL is required")
    try:
        parsed = httpx.URL(config.url)
    except httpx.InvalidURL as error:
        raise OptionError("url", f"not a valid URL: {error}") from error
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OptionError("url", "must be an http or https URL")


def check_known(config: SourceConfig, known: Iterable[str]) -> None:
    if not isinstance(config.options, Mapping):
        raise OptionError("options", "must be an object")
    allowed = tuple(known)
    for name in config.options:
        if name not in allowed:
            raise OptionError(str(name), f"unknown option; this source takes {', '.join(allowed)}")


def optional_text(config: SourceConfig, option: str, *, required: bool = False) -> str | None:
    value = config.options.get(option)
    if value is None:
        if required:
            raise OptionError(option, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise OptionError(option, "must be a non-empty string")
    return value.strip()


def check_language(config: SourceConfig) -> None:
    value = config.options.get("language")
    if value is not None and value not in LANGUAGES:
        raise OptionError("language", f"must be one of {', '.join(LANGUAGES)}")


def default_language(config: SourceConfig) -> str:
    value = config.options.get("language")
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


# Fingerprints, timestamps, titles.


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC (CKAN's are); aware ones are converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


_SPACE = re.compile(r"\s+")


def clean_text(value: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()


def _script_counts(text: str) -> tuple[int, int, int]:
    if text.isascii():  # the common case: neither Arabic nor Tifinagh, letters are Latin
        return 0, 0, sum(1 for char in text if char.isalpha())
    arabic = tifinagh = latin = 0
    for char in text:
        code = ord(char)
        if code < 0x0250:
            if char.isalpha():
                latin += 1
        elif 0x2D30 <= code <= 0x2D7F:
            tifinagh += 1
        elif (
            0x0600 <= code <= 0x06FF
            or 0x0750 <= code <= 0x077F
            or 0x08A0 <= code <= 0x08FF
            or 0xFB50 <= code <= 0xFDFF
            or 0xFE70 <= code <= 0xFEFF
        ) and char.isalpha():
            arabic += 1
    return arabic, tifinagh, latin


def language_of(text: str, *, declared: str | None = None, default: str = DEFAULT_LANGUAGE) -> str:
    """The tracker language a title is filed under: the script decides for Tifinagh and Arabic,
    then the language the source declares (when the tracker has it), then `default`."""
    tag = (declared or "").strip().lower().replace("_", "-").split("-", 1)[0]
    tag = "zgh" if tag in TAMAZIGHT_TAGS else tag
    arabic, tifinagh, latin = _script_counts(text)
    if tifinagh and tifinagh >= max(arabic, latin):
        return "zgh"
    if arabic and arabic >= latin:
        return "zgh" if tag == "zgh" else "ar"
    if tag in LANGUAGES and tag != "ar":
        return tag
    return default


def title_of(text: str | None, *, declared: str | None = None, default: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """A one-language title, trimmed and bounded; {} for an empty text."""
    cleaned = clean_text(text or "")
    if not cleaned:
        return {}
    if len(cleaned) > MAX_TITLE_LENGTH:
        cleaned = cleaned[: MAX_TITLE_LENGTH - 1].rstrip() + "…"
    return {language_of(cleaned, declared=declared, default=default): cleaned}


def translations_of(value: object, *, default: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """A title given either as text or as a mapping language -> text (CKAN's fluent fields)."""
    if isinstance(value, str):
        return title_of(value, default=default)
    if not isinstance(value, Mapping):
        return {}
    titles: dict[str, str] = {}
    for lang, text in value.items():
        if not isinstance(text, str):
            continue
        for guessed, cleaned in title_of(text, declared=str(lang), default=default).items():
            titles.setdefault(guessed, cleaned)
    return titles
