"""Evidence source adapters against real loopback servers serving recorded-style payloads.

Shared here: reading fixtures (tests/fixtures/<source>/<endpoint>__<variant>.<ext>), answering
with an ETag and honouring If-None-Match, a server too slow for a short client timeout, and the
short-timeout client itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import Response

from integrations.http import create_client

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SLOW_SECONDS = 1.0
SHORT_TIMEOUT = httpx.Timeout(0.5)


def fixture(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:20]}"'


def recorded(request: Request, body: bytes, content_type: str, *, status: int = 200) -> Response:
    """`body` with a strong ETag; 304 when the client already has it."""
    etag = etag_of(body)
    if status == 200 and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, status_code=status, headers={"Content-Type": content_type, "ETag": etag})


async def slow(_request: Request) -> Response:
    await anyio.sleep(SLOW_SECONDS)
    return Response(b"{}", headers={"Content-Type": "application/json"})


async def server_error(_request: Request) -> Response:
    return Response(
        b"<html><body><h1>500 Internal Server Error</h1></body></html>",
        status_code=500,
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def client() -> httpx.AsyncClient:
    return create_client(allow_private=True)


def impatient_client() -> httpx.AsyncClient:
    return create_client(allow_private=True, timeout=SHORT_TIMEOUT)
