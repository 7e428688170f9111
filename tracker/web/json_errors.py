"""The one shape of an error answered over HTTP before or around GraphQL execution.

`{"errors": [{"message": ..., "extensions": {"code": ..., "field": ...}}]}`, the shape GraphQL
errors have, so a client reads a refused request the same way as a refused operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from tracker.errors import ErrorCode

JSON_UTF8 = b"application/json; charset=utf-8"


def error_document(message: str, code: str, *, field: str | None = None, **more: Any) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": code}
    if field is not None:
        extensions["field"] = field
    return {"errors": [{"message": message, "extensions": {**extensions, **more}}]}


async def send_error(
    send: Send,
    status: int,
    message: str,
    code: str,
    *,
    field: str | None = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
    **extensions: Any,
) -> None:
    """Answer with an error document on a raw ASGI `send` (`extensions`: more than code and field)."""
    body = orjson.dumps(error_document(message, code, field=field, **extensions))
    start = [(b"content-type", JSON_UTF8), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


def error_response(
    status: int, message: str, code: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(error_document(message, code, field=field)),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def http_error(_request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such route, method not allowed) in the same shape."""
    assert isinstance(error, HTTPException)
    status = error.status_code
    code = ErrorCode.NOT_FOUND if status == 404 else ErrorCode.BAD_USER_INPUT if status < 500 else ErrorCode.INTERNAL
    return error_response(status, error.detail, code.value, headers=dict(error.headers or {}))
