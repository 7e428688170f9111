"""Refusals sent by middlewares before GraphQL runs, shaped like GraphQL errors (`extensions.code`)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Send

from tracker.errors import ErrorCode


async def send_refusal(
    send: Send,
    status: int,
    message: str,
    code: ErrorCode,
    *,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    **extensions: Any,
) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]})
    start = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})
