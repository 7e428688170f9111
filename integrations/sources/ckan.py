"""CKAN portals (data.gov.ma and most open data portals): one dataset, or a search.

`CKAN_DATASET` reads `package_show`: one item per resource, one for the dataset page, and the
number of resources as the observation. `CKAN_SEARCH` reads `package_search`, 100 datasets a
page, up to 1000: one item per dataset, and the number of datasets found (`count`) as the
observation.

With `organization`, the search is filtered with `fq=organization:<name>`: its `count` is the
organization's number of public datasets, the figure `organization_show` gives as
`package_count`, so that second request is not made.

CKAN says whether an action succeeded in the `success` field of its answer, with the reason in
`error`; the field is checked whatever the status code (some portals and proxies answer 200).
Its timestamps are naive UTC and are returned aware. Fingerprints are the SHA-256 of "ckan:" and
the CKAN id of the resource or dataset: the same dataset found by a search and by `package_show`
is one piece of evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urljoin

import httpx
import orjson

from integrations.sources.base import EvidenceItem, Observation, OptionError, PollResult, SourceConfig, SourceError
from integrations.sources.http_fetch import (
    DEFAULT_LIMIT,
    Fetched,
    StatusError,
    check_known,
    check_language,
    check_url,
    default_language,
    fetch,
    not_modified_result,
    now,
    optional_text,
    parse_timestamp,
    sha256,
    title_of,
    translations_of,
    where,
)

PAGE_SIZE = 100
MAX_RESULTS = 1000
# CKAN's rule for dataset and organization names; ids are UUIDs, which match it too.
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


def base_url(config: SourceConfig) -> str:
    return config.url.strip().rstrip("/")


def _error_text(error: object) -> str:
    if isinstance(error, str):
        return error
    if not isinstance(error, Mapping):
        return "no reason given"
    message = error.get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()
    fields = [f"{name}: {value}" for name, value in error.items() if name != "__type"]
    kind = error.get("__type")
    if fields:
        return f"{kind}: {'; '.join(fields)}" if isinstance(kind, str) else "; ".join(fields)
    return kind if isinstance(kind, str) else "no reason given"


def _refusal(payload: object, action: str, source: str) -> str | None:
    """CKAN's reason when `payload` is a CKAN answer with `success: false`."""
    if isinstance(payload, Mapping) and payload.get("success") is False:
        return f"CKAN at {source} refused {action}: {_error_text(payload.get('error'))}"
    return None


async def call(
    client: httpx.AsyncClient,
    config: SourceConfig,
    action: str,
    params: Mapping[str, str | int],
    state: Mapping[str, Any] | None,
    *,
    limit: int,
) -> tuple[Fetched, dict[str, Any] | None]:
    """One action API call: the response, and its `result` (None on 304)."""
    url = f"{base_url(config)}/api/3/action/{action}"
    source = where(url)
    try:
        fetched = await fetch(
            client, url, state, params=params, limit=limit, accept="application/json", conditional=state is not None
        )
    except StatusError as error:
        try:
            reason = _refusal(orjson.loads(error.body), action, source) if error.body else None
        except orjson.JSONDecodeError:
            reason = None
        if reason is None:
            raise
        raise SourceError(reason, http_status=error.http_status) from error
    if fetched.not_modified:
        return fetched, None
    try:
        payload = orjson.loads(fetched.body)
    except orjson.JSONDecodeError as error:
        raise SourceError(f"{source} did not answer with JSON: {error}", http_status=fetched.status) from error
    reason = _refusal(payload, action, source)
    if reason is not None:
        raise SourceError(reason, http_status=fetched.status)
    if not isinstance(payload, Mapping) or payload.get("success") is not True:
        raise SourceError(f"{source} is not a CKAN action API (no 'success' in its answer)", http_status=fetched.status)
    result = payload.get("result")
    if not isinstance(result, dict):
        raise SourceError(f"CKAN at {source} answered {action} without a result", http_status=fetched.status)
    return fetched, result


def _dataset_item(base: str, dataset: Mapping[str, Any], language: str) -> EvidenceItem | None:
    identifier = dataset.get("id")
    name = dataset.get("name") or identifier
    if not isinstance(identifier, str) or not identifier or not isinstance(name, str):
        return None
    title = translations_of(dataset.get("title_translated"), default=language) or translations_of(
        dataset.get("title"), default=language
    )
    return EvidenceItem(
        fingerprint=sha256(f"ckan:{identifier}"),
        url=f"{base}/dataset/{quote(name, safe='')}",
        title=title or title_of(name, default=language),
        kind="DATASET",
        published_at=parse_timestamp(dataset.get("metadata_created")),
    )


def _resource_item(
    base: str, page_url: str, dataset_title: dict[str, str], resource: object, language: str
) -> EvidenceItem | None:
    if not isinstance(resource, Mapping):
        return None
    identifier = resource.get("id")
    if not isinstance(identifier, str) or not identifier:
        return None
    link = resource.get("url")
    if isinstance(link, str) and link.strip():
        url = urljoin(f"{base}/", link.strip())
    else:
        url = f"{page_url}/resource/{quote(identifier, safe='')}"
    if not url.startswith(("http://", "https://")):
        url = f"{page_url}/resource/{quote(identifier, safe='')}"
    title = translations_of(resource.get("name_translated"), default=language) or translations_of(
        resource.get("name"), default=language
    )
    return EvidenceItem(
        fingerprint=sha256(f"ckan:{identifier}"),
        url=url,
        title=title or dataset_title,
        kind="DATASET",
        published_at=parse_timestamp(resource.get("created")) or parse_timestamp(resource.get("last_modified")),
    )


class CkanDatasetAdapter:
    """`CKAN_DATASET`: url is the portal (https://data.gov.ma), options.dataset its id or name."""

    kind = "CKAN_DATASET"
    options = ("dataset", "language")

    def __init__(self, *, max_bytes: int = DEFAULT_LIMIT) -> None:
        self.max_bytes = max_bytes

    def validate(self, config: SourceConfig) -> None:
        check_url(config)
        check_known(config, self.options)
        dataset = optional_text(config, "dataset", required=True)
        if dataset is None or not _NAME.match(dataset):
            raise OptionError("dataset", "must be a CKAN dataset id or name (lower case letters, digits, - and _)")
        check_language(config)

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        dataset = str(config.options["dataset"]).strip()
        fetched, result = await call(client, config, "package_show", {"id": dataset}, state, limit=self.max_bytes)
        if result is None:
            return not_modified_result(fetched)
        base = base_url(config)
        language = default_language(config)
        page = _dataset_item(base, result, language)
        if page is None:
            raise SourceError(f"CKAN at {where(base)} answered package_show without a dataset id or name")
        resources = result.get("resources")
        resources = resources if isinstance(resources, list) else []
        items = [
            item
            for resource in resources
            if (item := _resource_item(base, page.url, page.title, resource, language)) is not None
        ]
        warnings = []
        if len(items) < len(resources):
            warnings.append(f"{len(resources) - len(items)} resources without an id were skipped")
        count = result.get("num_resources")
        value = count if isinstance(count, int) and not isinstance(count, bool) else len(resources)
        observed_at = parse_timestamp(result.get("metadata_modified")) or now()
        return PollResult(
            items=[*items, page],
            observations=[Observation(value=float(value), observed_at=observed_at)],
            state=fetched.state,
            http_status=fetched.status,
            bytes_read=len(fetched.body),
            warnings=warnings,
        )


class CkanSearchAdapter:
    """`CKAN_SEARCH`: url is the portal; options.q (Solr query), options.fq (filter query) and/or
    options.organization (an organization name), at least one of them."""

    kind = "CKAN_SEARCH"
    options = ("q", "fq", "organization", "language")

    def __init__(
        self, *, max_bytes: int = DEFAULT_LIMIT, page_size: int = PAGE_SIZE, max_results: int = MAX_RESULTS
    ) -> None:
        self.max_bytes = max_bytes
        self.page_size = page_size
        self.max_results = max_results

    def validate(self, config: SourceConfig) -> None:
        check_url(config)
        check_known(config, self.options)
        q = optional_text(config, "q")
        fq = optional_text(config, "fq")
        organization = optional_text(config, "organization")
        if organization is not None and not _NAME.match(organization):
            raise OptionError("organization", "must be a CKAN organization name (lower case letters, digits, - and _)")
        if q is None and fq is None and organization is None:
            raise OptionError("q", "give at least one of q, fq or organization")
        check_language(config)

    @staticmethod
    def filter_query(config: SourceConfig) -> str | None:
        fq = optional_text(config, "fq")
        organization = optional_text(config, "organization")
        if organization is None:
            return fq
        by_organization = f"organization:{organization}"
        return f"{by_organization} AND ({fq})" if fq else by_organization

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        params: dict[str, str | int] = {"rows": self.page_size, "sort": "metadata_created desc"}
        if q := optional_text(config, "q"):
            params["q"] = q
        if fq := self.filter_query(config):
            params["fq"] = fq
        base = base_url(config)
        language = default_language(config)
        items: list[EvidenceItem] = []
        seen: set[str] = set()
        warnings: list[str] = []
        bytes_read = 0
        count = 0
        first: Fetched | None = None
        start = 0
        while True:
            # Only the first page is conditional: its validators stand for the whole search.
            fetched, result = await call(
                client,
                config,
                "package_search",
                {**params, "start": start},
                state if first is None else None,
                limit=self.max_bytes,
            )
            if result is None:
                return not_modified_result(fetched)
            first = first or fetched
            bytes_read += len(fetched.body)
            found = result.get("count")
            if not isinstance(found, int) or isinstance(found, bool):
                raise SourceError(f"CKAN at {where(base)} answered package_search without a count")
            count = found if start == 0 else count
            datasets = result.get("results")
            datasets = datasets if isinstance(datasets, list) else []
            for dataset in datasets:
                item = _dataset_item(base, dataset, language) if isinstance(dataset, Mapping) else None
                if item is not None and item.fingerprint not in seen and len(items) < self.max_results:
                    seen.add(item.fingerprint)
                    items.append(item)
            start += self.page_size
            if not datasets or start >= count or len(items) >= self.max_results:
                break
        if count > len(items) and len(items) >= self.max_results:
            warnings.append(f"{count} datasets found; only the {self.max_results} created last were read")
        return PollResult(
            items=items,
            observations=[Observation(value=float(count), observed_at=now())],
            state=first.state,
            http_status=first.status,
            bytes_read=bytes_read,
            warnings=warnings,
        )
