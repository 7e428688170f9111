"""`JSON_API`: a figure read from any JSON API (a portal's statistics, a budget platform...).

- options.valuePath (required): a JSON Pointer (RFC 6901) to the figure, "/data/0/count"; the value
  must be a JSON number or a string holding one ("42", "12.5"); booleans, NaN and infinities are refused.
- options.itemsPath (optional): a JSON Pointer to a list of objects, each one an OTHER item, its
  URL under options.itemUrlKey ("url" by default, relative URLs are resolved against the API's)
  and its title under options.itemTitleKey ("title"; a text, or an object language -> text).

An answer byte for byte the same as the last successful poll's is nothing new, as a 304 is: it is
not parsed again, and neither items nor a value are recorded.

Item fingerprints are the SHA-256 of the item's absolute URL. No JSON Pointer library is installed,
so pointers are resolved here (`~1` is "/", `~0` is "~", array indexes without leading zeros).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from integrations.sources.base import EvidenceItem, Observation, OptionError, PollResult, SourceConfig, SourceError
from integrations.sources.http_fetch import (
    DEFAULT_LIMIT,
    check_known,
    check_language,
    check_url,
    default_language,
    fetch,
    not_modified_result,
    now,
    optional_text,
    sha256,
    title_of,
    translations_of,
    where,
)

MAX_ITEMS = 1000
_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_BAD_ESCAPE = re.compile(r"~(?![01])")


class PointerError(ValueError):
    pass


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON Pointer ("" is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError('a JSON Pointer is empty or starts with "/"')
    tokens = pointer[1:].split("/")
    if any(_BAD_ESCAPE.search(token) for token in tokens):
        raise PointerError('"~" must be followed by 0 or 1 (~0 is "~", ~1 is "/")')
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def resolve(document: object, pointer: str) -> object:
    """The value `pointer` designates in `document`; PointerError says where it stops."""
    current = document
    walked = ""
    for token in parse_pointer(pointer):
        escaped = token.replace("~", "~0").replace("/", "~1")
        if isinstance(current, Mapping):
            if token not in current:
                raise PointerError(f'no member "{token}" at "{walked}"')
            current = current[token]
        elif isinstance(current, list):
            if not _INDEX.match(token):
                raise PointerError(f'"{token}" is not an array index at "{walked}"')
            index = int(token)
            if index >= len(current):
                raise PointerError(f'index {index} is past the end of the array at "{walked}" ({len(current)} items)')
            current = current[index]
        else:
            raise PointerError(f'"{walked}" is {_json_type(current)}, not an object or array')
        walked = f"{walked}/{escaped}"
    return current


def _json_type(value: object) -> str:
    """The JSON type of a parsed value, with its article: "a string", "an array"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _check_pointer(config: SourceConfig, option: str, *, required: bool) -> None:
    value = config.options.get(option)
    if value is None:
        if required:
            raise OptionError(option, 'is required: a JSON Pointer such as "/data/0/count"')
        return
    if not isinstance(value, str):
        raise OptionError(option, 'must be a JSON Pointer such as "/data/0/count"')
    try:
        parse_pointer(value)
    except PointerError as error:
        raise OptionError(option, str(error)) from error


class JsonApiAdapter:
    """`JSON_API`: url is the API's URL; options.valuePath points at the figure."""

    kind = "JSON_API"
    options = ("valuePath", "itemsPath", "itemUrlKey", "itemTitleKey", "language")

    def __init__(self, *, max_bytes: int = DEFAULT_LIMIT) -> None:
        self.max_bytes = max_bytes

    def validate(self, config: SourceConfig) -> None:
        check_url(config)
        check_known(config, self.options)
        _check_pointer(config, "valuePath", required=True)
        _check_pointer(config, "itemsPath", required=False)
        optional_text(config, "itemUrlKey")
        optional_text(config, "itemTitleKey")
        check_language(config)

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        fetched = await fetch(
            client, config.url, state, limit=self.max_bytes, accept="application/json", track_content=True
        )
        if fetched.not_modified or fetched.unchanged:
            return not_modified_result(fetched)
        try:
            document = orjson.loads(fetched.body)
        except orjson.JSONDecodeError as error:
            raise SourceError(
                f"{where(config.url)} did not answer with valid JSON: {error}", http_status=fetched.status
            ) from error
        value_path = str(config.options["valuePath"])
        try:
            found = resolve(document, value_path)
        except PointerError as error:
            raise SourceError(f'valuePath "{value_path}": {error}', http_status=fetched.status) from error
        value = as_number(found)
        if value is None:
            raise SourceError(
                f'valuePath "{value_path}" designates {_json_type(found)}, not a number: {_preview(found)}',
                http_status=fetched.status,
            )
        items, warnings = self._items(config, document, fetched.url)
        return PollResult(
            items=items,
            observations=[Observation(value=value, observed_at=now())],
            state=fetched.state,
            http_status=fetched.status,
            bytes_read=len(fetched.body),
            warnings=warnings,
        )

    def _items(self, config: SourceConfig, document: object, base: str) -> tuple[list[EvidenceItem], list[str]]:
        items_path = config.options.get("itemsPath")
        if not isinstance(items_path, str):
            return [], []
        try:
            found = resolve(document, items_path)
        except PointerError as error:
            raise SourceError(f'itemsPath "{items_path}": {error}') from error
        if not isinstance(found, list):
            raise SourceError(f'itemsPath "{items_path}" designates {_json_type(found)}, not an array')
        url_key = optional_text(config, "itemUrlKey") or "url"
        title_key = optional_text(config, "itemTitleKey") or "title"
        language = default_language(config)
        items: list[EvidenceItem] = []
        seen: set[str] = set()
        skipped = 0
        for element in found[:MAX_ITEMS]:
            link = element.get(url_key) if isinstance(element, Mapping) else None
            url = urljoin(base, link.strip()) if isinstance(link, str) and link.strip() else ""
            if not url.startswith(("http://", "https://")) or not isinstance(element, Mapping):
                skipped += 1
                continue
            fingerprint = sha256(url)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            title = translations_of(element.get(title_key), default=language)
            items.append(
                EvidenceItem(
                    fingerprint=fingerprint, url=url, title=title or title_of(url, default=language), kind="OTHER"
                )
            )
        warnings = []
        if skipped:
            warnings.append(f'{skipped} elements of itemsPath without an http(s) URL under "{url_key}" were skipped')
        if len(found) > MAX_ITEMS:
            warnings.append(f"{len(found)} elements under itemsPath; only the first {MAX_ITEMS} were read")
        return items, warnings


def _preview(value: object) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:79] + "…"
