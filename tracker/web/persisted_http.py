"""Persisted operations over HTTP: by id or by text, cached when public.

In front of the GraphQL endpoint. A request naming a persisted operation (`documentId`,
Apollo's `extensions.persistedQuery`, or the exact text of one) is answered here:

* anonymous queries are cached per operation, variables, languages, media type and day, with an
  `ETag`; `If-None-Match` gets a 304 from memory, without the database;
* the others go to strawberry with their text, where the read planner answers what it covers
  (tracker/api/core/planner), as for any query.

Any query, persisted or not, that the planner answered whole before is answered again without
strawberry (`tracker/api/core/planner/ready.py`).

Everything else passes through untouched.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.access import Principal
from tracker.api.core.context import Context
from tracker.api.core.persisted import PersistedOperation, PersistedOperations
from tracker.api.core.planner.ready import ReadyReads
from tracker.db import Database
from tracker.errors import ErrorCode
from tracker.i18n import parse_accept_language
from tracker.services.common import today
from tracker.settings import Settings
from tracker.web.auth import principal_of
from tracker.web.graphql_http import GRAPHQL_RESPONSE, accepts
from tracker.web.json_body import decode_json, encode_json
from tracker.web.json_errors import error_document, send_error
from tracker.web.read_cache import CachedAnswer, ReadCache, etag_matches
from tracker.web.unavailable import is_outage, send_unavailable
from tracker.web.variables import DeclaredVariables

log = logging.getLogger("tracker.persisted")

JSON = "application/json"
BAD_USER_INPUT = ErrorCode.BAD_USER_INPUT.value
# Scope keys of (query string or body, its GraphQL parameters) as the edge's limits parsed them:
# the readers after it (cached reads, persisted reads, idempotency keys) take them from there.
CHECKED_QUERY_PARAMS = "tracker.query_params"
CHECKED_BODY_PARAMS = "tracker.body_params"
CACHE_HEADERS = [
    (b"cache-control", b"public, no-cache"),
    (b"vary", b"Accept, Accept-Language, Authorization"),
]


class GraphQLRequest:
    """What a GraphQL request asks, from its query string or its JSON body."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def persisted(self, operations: PersistedOperations) -> tuple[PersistedOperation | None, dict[str, Any] | None]:
        """The operation named, or an error body when an unknown id was sent."""
        document_id = self.params.get("documentId")
        if isinstance(document_id, str):
            operation = operations.by_document_id(document_id)
            if operation is None:
                return None, _error("documentId is not a persisted document of this server", "BAD_USER_INPUT")
            return operation, None
        query = self.params.get("query")
        if isinstance(query, str):
            return operations.by_text(query), None
        extensions = self.params.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            operation = operations.by_sha256(persisted["sha256Hash"])
            if operation is None:
                return None, _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return operation, None
        return None, None

    def variables(self) -> dict[str, Any] | None:
        value = self.params.get("variables")
        return value if isinstance(value, dict) else {} if value is None else None

    def standard(self, operation: PersistedOperation) -> dict[str, Any]:
        """The same request with the document's text instead of its id."""
        rest = {k: v for k, v in self.params.items() if k not in ("documentId", "extensions", "query")}
        return {**rest, "query": operation.text}


def _error(message: str, code: str) -> dict[str, Any]:
    return error_document(message, code, field="documentId" if code == BAD_USER_INPUT else None)


def _json_params(raw: str) -> Any:
    try:
        return decode_json(raw)
    except (ValueError, RecursionError):
        return raw  # strawberry reports it


def _query_params(scope: Scope) -> dict[str, Any]:
    query_string = scope.get("query_string", b"")
    checked = scope.get(CHECKED_QUERY_PARAMS)
    if checked is not None and checked[0] is query_string:
        return dict(checked[1])  # parsed (and checked) once already, by the edge's limits
    params: dict[str, Any] = dict(parse_qsl(query_string.decode("latin-1")))
    for name in ("variables", "extensions"):
        if name in params:
            params[name] = _json_params(params[name])
    return params


class PersistedReads:
    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database,
        operations: PersistedOperations,
        cache: ReadCache,
        settings: Settings,
        ready: ReadyReads | None = None,
        max_tokens: int = 5000,
        max_document_bytes: int = 100_000,
    ) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.ready = ready
        self.operations = operations
        self.declared = DeclaredVariables(operations, max_tokens=max_tokens, max_document_bytes=max_document_bytes)
        self.cache = cache
        db.change_listeners.append(cache.changed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or method not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        body = b"" if method == "GET" else await read_body(receive)
        params = parse_request(scope, headers, body)
        if params is None:
            if method == "POST" and _media_type(headers) == JSON:
                # Valid JSON (the edge checked), but not an object: strawberry would crash on it.
                await send_error(send, 400, "the body must be a JSON object", BAD_USER_INPUT)
                return
            await self.app(scope, replay(body, receive), send)
            return
        request = GraphQLRequest(params)
        operation, error = request.persisted(self.operations)
        if error is not None:
            status = 400 if error["errors"][0]["extensions"]["code"] == BAD_USER_INPUT else 200
            await _send(send, status, orjson.dumps(error), JSON, [])
            return
        variables = request.variables()
        undeclared = None if variables is None else self.declared.undeclared(params, operation, variables)
        if undeclared is not None:
            message = f"the operation declares no variable ${undeclared}"
            await send_error(send, 400, message, BAD_USER_INPUT, field=undeclared)
            return
        if operation is None or variables is None:
            if await self._ready(scope, send, headers, params.get("query"), params.get("operationName"), variables):
                return
            await self.app(scope, replay(body, receive), send)
            return
        if not operation.is_query and method == "GET":
            message = "mutations must be sent with POST"
            await send_error(send, 405, message, BAD_USER_INPUT, headers=[(b"allow", b"POST")])
            return
        await self._answer(scope, send, headers, request, operation, variables)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        headers: Headers,
        request: GraphQLRequest,
        operation: PersistedOperation,
        variables: dict[str, Any],
    ) -> None:
        principal = principal_of_scope(scope)
        media_type = media_type_for(headers)
        languages = parse_accept_language(headers.get("accept-language"))
        day = today()
        cacheable = operation.is_query and not principal.is_authenticated and self.cache.enabled
        key = b""
        started = self.cache.version
        if cacheable:
            key = answer_key(operation, variables, languages, media_type, day)
            cached = self.cache.get(key)
            if cached is not None:
                await send_cached(send, cached, headers)
                return
        name = request.params.get("operationName")
        if operation.is_query and await self._ready(
            scope, send, headers, operation.text, name, variables, cache_key=key if cacheable else None, started=started
        ):
            return
        await self._normal(scope, send, request, operation, key if cacheable else None, started)

    async def _ready(
        self,
        scope: Scope,
        send: Send,
        headers: Headers,
        query: Any,
        operation_name: Any,
        variables: dict[str, Any] | None,
        *,
        cache_key: bytes | None = None,
        started: int = 0,
    ) -> bool:
        """Answers a query the planner answered whole before; False: the normal path answers."""
        if self.ready is None or not isinstance(query, str) or variables is None:
            return False
        if not (operation_name is None or isinstance(operation_name, str)):
            return False
        known = self.ready.find(query, operation_name)
        if known is None:
            return False
        reading = Context(
            db=self.db,
            settings=self.settings,
            principal=principal_of_scope(scope),
            accept_languages=parse_accept_language(headers.get("accept-language")),
            answer_as_json=True,
        )
        try:
            body = await self.ready.answer(known, query, operation_name, variables, reading)
        except Exception as failure:
            if is_outage(failure):
                await send_unavailable(send)
                return True
            # The normal path answers instead, and says what went wrong in its own words.
            log.warning("the ready read of %s failed; strawberry answers", operation_name, exc_info=True)
            return False
        if body is None:
            return False
        media_type = media_type_for(headers)
        if cache_key is None:
            await _send(send, 200, body, media_type, [])
        else:
            answer = self.cache.put(cache_key, body, media_type=media_type, collectivities=None, started_at=started)
            await send_cached(send, answer, headers)
        return True

    async def _normal(
        self,
        scope: Scope,
        send: Send,
        request: GraphQLRequest,
        operation: PersistedOperation,
        key: bytes | None,
        started: int,
    ) -> None:
        params = request.standard(operation)
        body = b""
        if scope["method"] == "GET":
            query = {
                name: value if isinstance(value, str) else encode_json(value).decode() for name, value in params.items()
            }
            scope = {**scope, "query_string": urlencode(query).encode()}
        else:
            body = encode_json(params)
            scope = {
                **scope,
                "headers": [(n, v) for n, v in scope["headers"] if n != b"content-length"]
                + [(b"content-length", str(len(body)).encode())],
            }
        if key is None:
            await self.app(scope, replay(body), send)
            return
        captured = _Captured()
        await self.app(scope, replay(body), captured)
        if captured.status != 200 or not captured.answered():
            await captured.replay(send)
            return
        media_type = captured.header(b"content-type") or JSON
        answer = self.cache.put(key, captured.body, media_type=media_type, collectivities=None, started_at=started)
        await send_cached(send, answer, Headers(scope=scope))


def answer_key(
    operation: PersistedOperation, variables: dict[str, Any], languages: tuple[str, ...], media_type: str, day: date
) -> bytes:
    """What an anonymous answer depends on besides the data: the same key, the same bytes.

    A digest of fixed size whatever the variables weigh, so an entry's key costs the cache
    the same few bytes whoever chose it."""
    digest = hashlib.blake2b(digest_size=32)
    for part in (operation.sha256, ",".join(languages), media_type, day.isoformat()):
        digest.update(part.encode() + b"\x00")
    digest.update(encode_json(variables, sort_keys=True))
    return digest.digest()


def parse_request(scope: Scope, headers: Headers, body: bytes) -> dict[str, Any] | None:
    """The parameters of a GraphQL request (query string or JSON body); None when not JSON."""
    if scope["method"] == "GET":
        return _query_params(scope)
    if _media_type(headers) != JSON:
        return None
    checked = scope.get(CHECKED_BODY_PARAMS)
    if checked is not None and checked[0] == body:
        return dict(checked[1])  # parsed (and checked) once already, by the edge's limits
    try:
        params = decode_json(body)
    except (ValueError, RecursionError):
        return None
    return params if isinstance(params, dict) else None


def _media_type(headers: Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def media_type_for(headers: Headers) -> str:
    return GRAPHQL_RESPONSE if accepts(headers, GRAPHQL_RESPONSE) else JSON


def principal_of_scope(scope: Scope) -> Principal:
    return principal_of(HTTPConnection(scope))


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, then: Receive | None = None) -> Receive:
    """The body read already, then what `then` receives (the client's disconnect, which a
    streamed answer listens for), or at once a disconnect without `then`."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _send(send: Send, status: int, body: bytes, media_type: str, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [
        (b"content-type", media_type.encode() + (b"" if b"charset" in media_type.encode() else b"; charset=utf-8")),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_cached(send: Send, answer: CachedAnswer, request_headers: Headers) -> None:
    extra = [(b"etag", answer.etag.encode()), *CACHE_HEADERS]
    if etag_matches(request_headers.get("if-none-match"), answer.etag):
        await send({"type": "http.response.start", "status": 304, "headers": extra})
        await send({"type": "http.response.body", "body": b""})
        return
    await _send(send, 200, answer.body, answer.media_type, extra)


class _Captured:
    """The normal path's response, held back to be cached before it is sent."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: bytes) -> str | None:
        return next((value.decode() for key, value in self.headers if key.lower() == name), None)

    def answered(self) -> bool:
        """A full answer without errors: the only kind worth keeping."""
        try:
            document = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return False
        return isinstance(document, dict) and "errors" not in document and document.get("data") is not None

    async def replay(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})
