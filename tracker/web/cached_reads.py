"""Cached anonymous reads answered in front of everything else.

A request without credentials for a persisted query whose answer is cached needs neither the
authentication middleware nor the router: this middleware, first in the stack, answers it (or a
304) from memory. Anything else, including every miss, goes on to the application unchanged,
where `PersistedReads` computes and stores the answer.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from tracker.i18n import parse_accept_language
from tracker.services.common import today
from tracker.web.persisted_http import (
    GraphQLRequest,
    PersistedReads,
    answer_key,
    media_type_for,
    parse_request,
    read_body,
    replay,
    send_cached,
)


class CachedReads:
    def __init__(self, app: ASGIApp, *, reads: PersistedReads, path: str = "/graphql") -> None:
        self.app = app
        self.reads = reads
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.reads.cache
        if (
            scope["type"] != "http"
            or scope["path"] != self.path
            or scope["method"] not in ("GET", "POST")
            or not cache.enabled
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "authorization" in headers:
            await self.app(scope, receive, send)
            return
        body = b"" if scope["method"] == "GET" else await read_body(receive)
        params = parse_request(scope, headers, body)
        if params is not None:
            request = GraphQLRequest(params)
            operation, error = request.persisted(self.reads.operations)
            variables = request.variables()
            if (
                operation is not None
                and error is None
                and variables is not None
                and operation.is_query
                # Refused further in, never looked up: no key is made of what the operation ignores.
                and self.reads.declared.undeclared(params, operation, variables) is None
            ):
                languages = parse_accept_language(headers.get("accept-language"))
                key = answer_key(operation, variables, languages, media_type_for(headers), today())
                answer = cache.get(key)
                if answer is not None:
                    await send_cached(send, answer, headers)
                    return
        await self.app(scope, replay(body, receive), send)
