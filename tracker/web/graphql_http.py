"""GraphQL over HTTP details strawberry leaves out: 405 for a mutation sent with GET, and the
`application/graphql-response+json` media type with 4xx for requests that never executed."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from tracker.errors import ErrorCode
from tracker.web.json_errors import error_response

GRAPHQL_RESPONSE = "application/graphql-response+json"


def _is_get_mutation(request: Request) -> bool:
    query = request.query_params.get("query")
    if request.method != "GET" or not query:
        return False
    try:
        operation = get_operation_ast(parse(query), request.query_params.get("operationName"))
    except GraphQLError:
        return False  # strawberry reports the syntax error itself
    return operation is not None and operation.operation is not OperationType.QUERY


def accepts(headers: Headers, media_type: str) -> bool:
    return any(part.split(";")[0].strip() == media_type for part in headers.get("accept", "").split(","))


def _request_error(body: dict[str, Any]) -> bool:
    """Parse, validation and variable errors: nothing executed, so no error has a path."""
    errors = body.get("errors") or []
    return body.get("data") is None and bool(errors) and all("path" not in error for error in errors)


class GraphQLOverHTTP:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if _is_get_mutation(request):
            message, code = "mutations must be sent with POST", ErrorCode.BAD_USER_INPUT.value
            await error_response(405, message, code, headers={"Allow": "POST"})(scope, receive, send)
            return
        if not accepts(request.headers, GRAPHQL_RESPONSE):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Rewriter(send))


class _Rewriter:
    """Buffers a JSON GraphQL response and sends it back with the graphql-response media type."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        start, body = self.start, b"".join(self.chunks)
        headers = MutableHeaders(raw=list(start["headers"]))
        if headers.get("content-type", "").startswith("application/json"):
            document = orjson.loads(body)
            status = start["status"]
            if isinstance(document, dict) and _request_error(document):
                document.pop("data", None)
                status = 400
            body = orjson.dumps(document)
            headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            headers["content-length"] = str(len(body))
            start = {**start, "status": status, "headers": headers.raw}
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body})
