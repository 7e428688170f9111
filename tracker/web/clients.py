"""Who a request comes from, for counting and scoping: its token's public key id, or its address."""

from __future__ import annotations

import hashlib
import re

from starlette.datastructures import Headers
from starlette.types import Scope

_TOKEN_KEY_ID = re.compile(r"^\s*bearer\s+trk_([A-Za-z0-9]{12})_", re.IGNORECASE)


def credential_of(headers: Headers) -> str | None:
    """The token an Authorization header names: its public key id, or a digest of what was sent
    (never the secret itself, which would then sit in Redis or the database)."""
    header = headers.get("authorization")
    if not header:
        return None
    match = _TOKEN_KEY_ID.match(header)
    return match.group(1) if match else hashlib.sha256(header.encode()).hexdigest()[:32]


def client_address(scope: Scope) -> str:
    """The ASGI client host: behind a reverse proxy, uvicorn's --proxy-headers and
    --forwarded-allow-ips decide whether this is the proxy or the client."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
