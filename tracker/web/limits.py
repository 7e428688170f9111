"""Limits every HTTP request meets before any route, cache or authentication sees it.

Mounted outermost, so the cached-read fast path, the authentication middleware and every route
get only requests that passed:

* a path without U+0000 (no resource is named with it: 400) and a query string of at most
  `max_query_string_bytes` (414 otherwise);
* a body of at most `max_body_bytes`: a larger `Content-Length` is refused before anything is
  read, a chunked body as soon as the bytes counted pass the limit (413);
* a JSON body in UTF-8, well formed, nested at most `max_json_depth` deep (400);
* subscription messages over WebSocket within the same size and depth (the socket is closed);
* GraphQL-over-HTTP parameters (`query`, `variables`, `extensions`, from the body or the query
  string) that are well formed, not too deep, and without U+0000, which PostgreSQL cannot store
  and a client never needs (400, naming the variable).

It also turns whatever escapes the application before an answer started into a JSON error: a
database that does not answer is 503 with Retry-After, anything else a masked 500.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.errors import ErrorCode
from tracker.web.json_body import decode_json
from tracker.web.json_errors import send_error
from tracker.web.persisted_http import CHECKED_BODY_PARAMS, CHECKED_QUERY_PARAMS, replay
from tracker.web.unavailable import is_outage, send_unavailable

log = logging.getLogger("tracker.web")

# Deep enough for any input the schema takes (an evidence source's options included), far below
# what makes a recursive walk, here or in a library, costly.
MAX_JSON_DEPTH = 64
# A GET request carries an operation id and its variables, or a query text: 32 KiB is plenty,
# and keeps a long URL from costing more to parse than the body limit allows.
MAX_QUERY_STRING_BYTES = 32 * 1024
JSON_PARAMS = ("variables", "extensions")
BAD_USER_INPUT = ErrorCode.BAD_USER_INPUT.value
_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() takes "²", which int() refuses


class Refused(Exception):
    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


class TooDeep(Refused):
    pass


def is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def too_deep(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit`; iterative, so depth costs no stack."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _query_params(query_string: bytes, max_depth: int) -> dict[str, Any]:
    """The parameters, JSON ones decoded (U+0000 and other text rules are the GraphQL layer's,
    which names the field: tracker/api/core/text_rules.py)."""
    # Decoded as the GraphQL path decodes it, so what is checked is what it reads.
    params: dict[str, Any] = dict(parse_qsl(query_string.decode("latin-1")))
    for name in JSON_PARAMS:
        raw = params.get(name)
        if isinstance(raw, str):
            params[name] = _json(raw.encode(), name, max_depth)
    return params


def _json(body: bytes, field: str | None, max_depth: int) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not valid UTF-8", field=field) from None
    try:
        value = decode_json(text)
    except (ValueError, RecursionError) as error:
        message = error.msg if isinstance(error, orjson.JSONDecodeError) else str(error)
        if isinstance(error, RecursionError) or "depth" in message:
            raise TooDeep(400, f"JSON nested more than {max_depth} deep", field=field) from None
        raise Refused(400, f"not valid JSON: {message}", field=field) from None
    if too_deep(value, max_depth):
        if field is None and isinstance(value, dict):  # name the parameter at fault, `variables` say
            field = next((str(key) for key, child in value.items() if too_deep(child, max_depth - 1)), None)
        raise TooDeep(400, f"JSON nested more than {max_depth} deep", field=field)
    return value


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_json_depth: int = MAX_JSON_DEPTH,
        max_query_string_bytes: int = MAX_QUERY_STRING_BYTES,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.max_query_string_bytes = max_query_string_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._websocket_messages(receive, send), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            self._check_url(scope)
            body = await self._read_body(headers, receive)
            if body is None:
                return  # the client went away
            if body and is_json(headers.get("content-type")):
                params = _json(body, None, self.max_json_depth)
                if isinstance(params, dict):
                    scope[CHECKED_BODY_PARAMS] = (body, params)
        except Refused as refusal:
            # A refused body may be partly unread: the connection cannot carry another request.
            close = [(b"connection", b"close")] if refusal.status == 413 else []
            await send_error(send, refusal.status, refusal.message, BAD_USER_INPUT, field=refusal.field, headers=close)
            return
        await self._guarded(scope, replay(body, receive), send)

    def _websocket_messages(self, receive: Receive, send: Send) -> Receive:
        """Subscriptions' messages meet the body's limits: past them the socket is closed, with
        1009 (message too big) or 4400 (graphql-transport-ws: invalid message)."""

        async def receiving() -> Message:
            message = await receive()
            if message["type"] != "websocket.receive":
                return message
            data = message.get("bytes") or (message.get("text") or "").encode()
            code = None
            if len(data) > self.max_body_bytes:
                code = 1009
            else:
                try:
                    _json(data, None, self.max_json_depth)
                except TooDeep:
                    code = 4400
                except Refused:
                    pass  # not JSON: strawberry reports it
            if code is None:
                return message
            await send({"type": "websocket.close", "code": code})
            return {"type": "websocket.disconnect", "code": code}

        return receiving

    def _check_url(self, scope: Scope) -> None:
        if "\x00" in scope["path"]:
            raise Refused(400, "the path holds the character U+0000")
        query_string = scope.get("query_string", b"")
        if len(query_string) > self.max_query_string_bytes:
            raise Refused(414, f"the query string is longer than {self.max_query_string_bytes} bytes")
        if query_string:
            params = _query_params(query_string, self.max_json_depth)
            scope[CHECKED_QUERY_PARAMS] = (query_string, params)

    async def _read_body(self, headers: Headers, receive: Receive) -> bytes | None:
        lengths = headers.getlist("content-length")
        if lengths:
            if len(set(lengths)) > 1 or not _DIGITS.fullmatch(lengths[0].strip()):
                raise Refused(400, "Content-Length is not one number", field="Content-Length")
            if int(lengths[0]) > self.max_body_bytes:
                raise Refused(413, f"the body is larger than {self.max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise Refused(413, f"the body is larger than {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception as error:
            if started:
                raise
            if is_outage(error):
                log.warning("database unavailable: %s", type(error).__name__)
                await send_unavailable(send)
                return
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            await send_error(send, 500, "Internal error.", ErrorCode.INTERNAL.value)
