"""`DECIDIM`: the progress of the results of an accountability component on a Decidim platform.

- url: the platform's base URL ("https://participer.example.ma"); the GraphQL API is `POST {url}/api`
  (a URL already ending in "/api" is taken as the API's).
- options.componentId (required): the accountability component's id, the number in ".../f/<id>/"
  in its pages' addresses; an integer or a string of digits.
- options.language (optional): the language of titles whose locale the tracker does not have.

Decidim's schema changes between versions (`url` and `weight` on results, `nodes` besides `edges` on
connections, `translations` besides `translation(locale:)` on translated fields...), so each poll
first asks the schema, one type at a time from `Accountability` down to the result type, and queries
only fields it found. Results are read 50 a page, up to 20 pages.

One OTHER item per result: its `url` when the schema has one, else "{url}/api#result-<id>"; its
title in the tracker's languages when the result has them (ar, fr, en, and the Amazigh tags filed
under zgh), else its first title under options.language; its `updatedAt` as publication date.
The fingerprint is the SHA-256 of "decidim:<base url>:<result id>:<progress>", so a result whose
progress changes is new evidence.

The observation is the mean progress of the results, weighted by their `weight` when every result
has one and they do not sum to 0, else plain; when the schema gives each result's `parent`, only
top-level results count, as on Decidim's own component page (a parent's progress already comes
from its children's). A result without a progress counts the progress of its status, else 0 (as
Decidim counts it). It is dated by the latest `updatedAt`, else now.

GraphQL answers are POSTs: no conditional requests, so the state is returned as it came.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from integrations.sources.base import EvidenceItem, Observation, OptionError, PollResult, SourceConfig, SourceError
from integrations.sources.http_fetch import (
    DEFAULT_LIMIT,
    LANGUAGES,
    TAMAZIGHT_TAGS,
    StatusError,
    check_known,
    check_language,
    check_url,
    default_language,
    now,
    parse_timestamp,
    request,
    sha256,
    title_of,
    translations_of,
    where,
)

PAGE_SIZE = 50
MAX_PAGES = 20

_TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
_TYPE_FIELDS = f"fragment TypeFields on __Type {{ name kind fields {{ name type {{ {_TYPE_REF} }} }} }}"


def base_url(config: SourceConfig) -> str:
    """The platform's address, without a trailing "/" or "/api"."""
    url = config.url.strip().rstrip("/")
    return url[: -len("/api")] if url.endswith("/api") else url


def component_id(config: SourceConfig) -> int:
    """options.componentId as a positive integer; OptionError otherwise."""
    value = config.options.get("componentId")
    if value is None:
        raise OptionError("componentId", "is required: the id of the accountability component (the number in /f/<id>/)")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise OptionError("componentId", "must be the component's id, a positive whole number such as 12")
    return value


# The one request: a POST with the same conventions as http_fetch.fetch.


async def post_json(client: httpx.AsyncClient, url: str, payload: object, *, limit: int) -> tuple[int, bytes]:
    """POST `payload` as JSON; the status and the body read up to `limit`. Raises SourceError."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    answer = await request(client, "POST", url, headers=headers, content=orjson.dumps(payload), limit=limit)
    return answer.status, answer.body


def _graphql_error(payload: object) -> str | None:
    """The first message of a GraphQL `errors` list, with how many others there were."""
    if not isinstance(payload, Mapping):
        return None
    errors = payload.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    first = errors[0]
    message = first.get("message") if isinstance(first, Mapping) else first
    text = message.strip() if isinstance(message, str) and message.strip() else "no message given"
    others = len(errors) - 1
    return f"{text} (and {others} other error{'s' if others > 1 else ''})" if others else text


@dataclass(slots=True)
class GraphQL:
    """The platform's API, counting what was read."""

    client: httpx.AsyncClient
    endpoint: str
    limit: int
    bytes_read: int = 0
    status: int | None = None

    async def query(self, query: str, variables: Mapping[str, object]) -> dict[str, Any]:
        """The `data` of the answer; SourceError on a transport, HTTP or GraphQL error."""
        source = where(self.endpoint)
        try:
            status, body = await post_json(
                self.client, self.endpoint, {"query": query, "variables": dict(variables)}, limit=self.limit
            )
        except StatusError as error:
            try:
                reason = _graphql_error(orjson.loads(error.body)) if error.body else None
            except orjson.JSONDecodeError:
                reason = None
            if reason is None:
                raise
            raise SourceError(f"{error.message}: {reason}", http_status=error.http_status) from error
        self.bytes_read += len(body)
        self.status = status
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise SourceError(f"{source} did not answer with valid JSON: {error}", http_status=status) from error
        reason = _graphql_error(payload)
        if reason is not None:
            raise SourceError(f"the Decidim API at {source} refused the query: {reason}", http_status=status)
        data = payload.get("data") if isinstance(payload, Mapping) else None
        if not isinstance(data, dict):
            raise SourceError(f"{source} is not a GraphQL API (no data in its answer)", http_status=status)
        return data

    async def types(self, names: Sequence[str]) -> dict[str, dict[str, str | None] | None]:
        """Each named type's fields, field name -> the name of its type unwrapped from lists and
        non-nulls; None for a type the schema does not have."""
        aliases = [f"t{index}" for index in range(len(names))]
        declared = ", ".join(f"${alias}: String!" for alias in aliases)
        selections = " ".join(f"{alias}: __type(name: ${alias}) {{ ...TypeFields }}" for alias in aliases)
        data = await self.query(
            f"query DecidimTypes({declared}) {{ {selections} }} {_TYPE_FIELDS}", dict(zip(aliases, names, strict=True))
        )
        found: dict[str, dict[str, str | None] | None] = {}
        for alias, name in zip(aliases, names, strict=True):
            described = data.get(alias)
            if not isinstance(described, Mapping):
                found[name] = None
                continue
            fields = described.get("fields")
            found[name] = {
                str(entry["name"]): _named(entry.get("type"))
                for entry in (fields if isinstance(fields, list) else [])
                if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)
            }
        return found

    async def fields_of(self, name: str | None) -> dict[str, str | None]:
        """One type's fields ({} for a type the schema does not have)."""
        if not name:
            return {}
        return (await self.types([name]))[name] or {}


def _named(reference: object) -> str | None:
    """The named type under LIST and NON_NULL wrappers."""
    for _ in range(8):
        if not isinstance(reference, Mapping):
            return None
        name = reference.get("name")
        if isinstance(name, str) and name:
            return name
        reference = reference.get("ofType")
    return None


# What the schema allows, and the query built from it.


@dataclass(frozen=True, slots=True)
class Plan:
    """How results are read on this platform."""

    edges: bool  # results are under edges { node } rather than nodes
    paginated: bool  # the connection has pageInfo
    selection: str  # the fields of a result
    title_locale: bool  # titles are read with translation(locale:), which needs $locale

    def query(self) -> str:
        variables = ["$id: ID!", "$first: Int!"]
        arguments = ["first: $first"]
        if self.paginated:
            variables.append("$after: String")
            arguments.append("after: $after")
        if self.title_locale:
            variables.append("$locale: String!")
        results = f"edges {{ node {{ {self.selection} }} }}" if self.edges else f"nodes {{ {self.selection} }}"
        page_info = "pageInfo { hasNextPage endCursor } " if self.paginated else ""
        return (
            f"query DecidimResults({', '.join(variables)}) {{ component(id: $id) {{ __typename "
            f"... on Accountability {{ results({', '.join(arguments)}) {{ {page_info}{results} }} }} }} }}"
        )


async def discover(api: GraphQL) -> Plan:
    """Walk the schema from Accountability to its results' fields. Raises SourceError."""
    source = where(api.endpoint)
    accountability = (await api.types(["Accountability"]))["Accountability"]
    if accountability is None:
        raise SourceError(f"the GraphQL schema at {source} has no Accountability type: is it a Decidim platform?")
    connection = await api.fields_of(accountability.get("results"))
    if "nodes" in connection:
        edges, node_type = False, connection["nodes"]
    elif "edges" in connection:
        edges, node_type = True, (await api.fields_of(connection["edges"])).get("node")
    else:
        raise SourceError(f"the Decidim API at {source} lists no results for accountability components")
    result = await api.fields_of(node_type)
    if "id" not in result:
        raise SourceError(f"the results of the Decidim API at {source} have no id")
    wanted = [name for name in (result.get("title"), result.get("status")) if name]
    described = await api.types(list(dict.fromkeys(wanted))) if wanted else {}
    title = described.get(result.get("title") or "") or {}
    status = described.get(result.get("status") or "") or {}
    selection = ["id"]
    if "translations" in title:
        selection.append("title { translations { locale text } }")
    elif "translation" in title:
        selection.append("title { translation(locale: $locale) }")
    selection += [name for name in ("progress", "weight", "url", "updatedAt") if name in result]
    if "progress" in status:
        selection.append("status { progress }")
    if "parent" in result:
        selection.append("parent { id }")
    return Plan(
        edges=edges,
        paginated="pageInfo" in connection,
        selection=" ".join(selection),
        title_locale="translation" in title and "translations" not in title,
    )


# Results.


@dataclass(frozen=True, slots=True)
class Result:
    id: str
    title: dict[str, str]
    url: str | None
    progress: float | None
    weight: float | None
    updated_at: datetime | None
    top_level: bool


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _tracker_locale(locale: str) -> bool:
    tag = locale.strip().lower().replace("_", "-").split("-", 1)[0]
    return tag in LANGUAGES or tag in TAMAZIGHT_TAGS


def titles(value: object, language: str) -> dict[str, str]:
    """A result's title: its texts in the tracker's languages, else its first under `language`."""
    if not isinstance(value, Mapping):
        return {}
    single = value.get("translation")
    if isinstance(single, str):
        return title_of(single, declared=language, default=language)
    entries = value.get("translations")
    texts: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            locale, text = entry.get("locale"), entry.get("text")
            if isinstance(locale, str) and isinstance(text, str) and text.strip():
                texts.setdefault(locale, text)
    matching = {locale: text for locale, text in texts.items() if _tracker_locale(locale)}
    if matching:
        return translations_of(matching, default=language)
    for text in texts.values():
        return title_of(text, default=language)
    return {}


def read_result(node: Mapping[str, Any], language: str) -> Result | None:
    identifier = node.get("id")
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        identifier = str(identifier)
    if not isinstance(identifier, str) or not identifier.strip():
        return None
    progress = _number(node.get("progress"))
    status = node.get("status")
    if progress is None and isinstance(status, Mapping):
        progress = _number(status.get("progress"))
    url = node.get("url")
    return Result(
        id=identifier.strip(),
        title=titles(node.get("title"), language),
        url=url.strip() if isinstance(url, str) and url.strip().startswith(("http://", "https://")) else None,
        progress=progress,
        weight=_number(node.get("weight")),
        updated_at=parse_timestamp(node.get("updatedAt")),
        top_level=node.get("parent") is None,
    )


def fingerprint(base: str, result: Result) -> str:
    progress = "" if result.progress is None else repr(result.progress)
    return sha256(f"decidim:{base}:{result.id}:{progress}")


def item_of(base: str, result: Result, language: str) -> EvidenceItem:
    url = result.url or f"{base}/api#result-{quote(result.id, safe='')}"
    return EvidenceItem(
        fingerprint=fingerprint(base, result),
        url=url,
        title=result.title or title_of(url, default=language),
        kind="OTHER",
        published_at=result.updated_at,
    )


def mean_progress(results: Sequence[Result]) -> float:
    """The weighted mean of the results' progress (unknown progress counts 0); plain without weights."""
    weights = [result.weight for result in results]
    usable = [weight for weight in weights if weight is not None and weight >= 0]
    if len(usable) == len(results) and sum(usable) > 0:
        return sum((result.progress or 0.0) * weight for result, weight in zip(results, usable, strict=True)) / sum(
            usable
        )
    return sum(result.progress or 0.0 for result in results) / len(results)


@dataclass(slots=True)
class Page:
    nodes: list[Mapping[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def read_page(data: Mapping[str, Any], plan: Plan, component: int, source: str, cursor: str | None) -> Page:
    found = data.get("component")
    if not isinstance(found, Mapping):
        raise SourceError(
            f"componentId {component}: the Decidim API at {source} has no such component (or it is not published)"
        )
    kind = found.get("__typename")
    if kind != "Accountability":
        raise SourceError(
            f"componentId {component}: component {component} at {source} is a {kind or 'different'} component, "
            "not an accountability one"
        )
    results = found.get("results")
    if not isinstance(results, Mapping):
        raise SourceError(f"componentId {component}: the Decidim API at {source} answered without its results")
    listed = results.get("edges" if plan.edges else "nodes")
    nodes: list[Mapping[str, Any]] = []
    for entry in listed if isinstance(listed, list) else []:
        node = entry.get("node") if plan.edges and isinstance(entry, Mapping) else entry
        if isinstance(node, Mapping):
            nodes.append(node)
    info = results.get("pageInfo")
    end = info.get("endCursor") if isinstance(info, Mapping) else None
    more = isinstance(info, Mapping) and info.get("hasNextPage") is True and isinstance(end, str) and end != cursor
    return Page(nodes=nodes, next_cursor=end if more and isinstance(end, str) else None)


class DecidimAdapter:
    """`DECIDIM`: url is the platform's address; options.componentId its accountability component."""

    kind = "DECIDIM"
    options = ("componentId", "language")

    def __init__(
        self, *, max_bytes: int = DEFAULT_LIMIT, page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES
    ) -> None:
        self.max_bytes = max_bytes
        self.page_size = page_size
        self.max_pages = max_pages

    def validate(self, config: SourceConfig) -> None:
        check_url(config)
        check_known(config, self.options)
        component_id(config)
        check_language(config)

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        base = base_url(config)
        component = component_id(config)
        language = default_language(config)
        api = GraphQL(client, f"{base}/api", self.max_bytes)
        source = where(api.endpoint)
        plan = await discover(api)
        query = plan.query()
        variables: dict[str, object] = {"id": str(component), "first": self.page_size}
        if plan.title_locale:
            variables["locale"] = language
        results: list[Result] = []
        seen: set[str] = set()
        skipped = 0
        cursor: str | None = None
        capped = False
        for number in range(self.max_pages):
            if plan.paginated:
                variables["after"] = cursor
            page = read_page(await api.query(query, variables), plan, component, source, cursor)
            for node in page.nodes:
                result = read_result(node, language)
                if result is None:
                    skipped += 1
                elif result.id not in seen:
                    seen.add(result.id)
                    results.append(result)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            capped = number == self.max_pages - 1
        warnings: list[str] = []
        if capped:
            warnings.append(
                f"component {component} has more results than {self.max_pages} pages of {self.page_size}: "
                f"only the first {len(results)} were read"
            )
        if skipped:
            warnings.append(f"{skipped} results without an id were skipped")
        return PollResult(
            items=[item_of(base, result, language) for result in results],
            observations=self._observations(results, component, warnings),
            state=dict(state),
            http_status=api.status,
            bytes_read=api.bytes_read,
            warnings=warnings,
        )

    @staticmethod
    def _observations(results: list[Result], component: int, warnings: list[str]) -> list[Observation]:
        if not results:
            warnings.append(f"component {component} has no results: no progress was observed")
            return []
        counted = [result for result in results if result.top_level] or results
        dates = [result.updated_at for result in results if result.updated_at is not None]
        if len(counted) == len(results):
            note = f"mean progress of {len(results)} results"
        else:
            note = f"mean progress of the {len(counted)} top-level results, out of {len(results)} results"
        return [Observation(value=mean_progress(counted), observed_at=max(dates) if dates else now(), note=note)]
