"""Strawberry's HTTP view with the answers of the rest of the edge.

* A request strawberry refuses (bad JSON, wrong content type, no query...) gets the JSON error
  document with a code, not strawberry's plain text.
* A subscription sent as a plain HTTP request is refused (400), not failed as INTERNAL.
* An operation that failed because the database is busy (SQLite's write lock) or does not answer
  (an INTERNAL error while the database is down) is UNAVAILABLE: 503 with Retry-After, whoever
  asked.
* GraphiQL gets a policy of its own: it is a script application loaded from unpkg, with one
  inline script, which gets a fresh nonce per page.
"""

from __future__ import annotations

import re
import secrets

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from tracker.api.core.context import Context
from tracker.db import Database
from tracker.errors import ErrorCode
from tracker.web.json_errors import error_response
from tracker.web.unavailable import MESSAGE as UNAVAILABLE_MESSAGE
from tracker.web.unavailable import RETRY_AFTER_SECONDS, database_answers, has_code

GRAPHIQL_ORIGIN = "https://unpkg.com"
_OPENING_TAG = re.compile(r"<script\b")


def graphiql_policy(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}' {GRAPHIQL_ORIGIN}; "
        # GraphiQL's editor sets style attributes itself, which no nonce can cover.
        f"style-src 'unsafe-inline' {GRAPHIQL_ORIGIN}; font-src data: {GRAPHIQL_ORIGIN}; "
        f"img-src 'self' data: {GRAPHIQL_ORIGIN}; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _is_subscription(request_data: GraphQLRequestData) -> bool:
    query = request_data.query
    if not query or "subscription" not in query:  # most requests: no parse
        return False
    try:
        operation = get_operation_ast(parse(query, no_location=True), request_data.operation_name)
    except GraphQLError:
        return False  # strawberry reports the syntax error
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


def _internal_as_unavailable(result: ExecutionResult) -> None:
    """The database was down: what failed was not a bug, and the client may try again."""
    unavailable = {"code": ErrorCode.UNAVAILABLE.value, "retryAfter": RETRY_AFTER_SECONDS}
    result.errors = [
        GraphQLError(UNAVAILABLE_MESSAGE, nodes=error.nodes, path=error.path, extensions=unavailable)
        if (error.extensions or {}).get("code") == ErrorCode.INTERNAL.value
        else error
        for error in result.errors or ()
    ]


class GraphQLView(GraphQL[Context, None]):
    db: Database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as refusal:
            code = ErrorCode.NOT_FOUND if refusal.status_code == 404 else ErrorCode.BAD_USER_INPUT
            response = error_response(refusal.status_code, refusal.reason, code.value)
        await response(scope, receive, send)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if _is_subscription(request_data):
            # Executed as a single result, a subscription fails inside strawberry as INTERNAL.
            raise HTTPException(400, "subscriptions are served over WebSocket (graphql-transport-ws)")
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)
        if has_code(result.errors, ErrorCode.INTERNAL) and not await database_answers(self.db):
            _internal_as_unavailable(result)
        if has_code(result.errors, ErrorCode.UNAVAILABLE):
            sub_response.status_code = 503
            sub_response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        return result

    async def render_graphql_ide(self, request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        html = _OPENING_TAG.sub(f'<script nonce="{nonce}"', self.graphql_ide_html)
        return HTMLResponse(html, headers={"content-security-policy": graphiql_policy(nonce)})
