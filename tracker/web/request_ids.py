"""Request ids: every response carries `X-Request-Id`, every log line of the request names it.

A well-formed id sent by the client or a proxy in front is kept, so one request can be followed
across systems; anything else is replaced by a new one (log lines must not be forged through it).
"""

from __future__ import annotations

import re

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

HEADER = "X-Request-Id"
# UUIDs, nginx's $request_id, trace ids and the like: letters, digits and a few separators.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")


def is_well_formed(value: str) -> bool:
    return _WELL_FORMED.fullmatch(value) is not None


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Starlette answers a crash outside the middleware stack: the header is added here.
    return PlainTextResponse("Internal Server Error", status_code=500, headers={HEADER: correlation_id.get() or ""})


def add_request_ids(app: Starlette) -> None:
    """The request-id middleware, put in front of those already added so refusals and cached
    answers carry the id too; and the same header on the answer to a crash."""
    app.add_middleware(CorrelationIdMiddleware, header_name=HEADER, validator=is_well_formed)
    app.add_exception_handler(500, _internal_error)
