"""Standard Webhooks signatures, made by the `standardwebhooks` library."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook


def new_secret() -> str:
    """`whsec_` and the base64 of 32 random bytes, as the specification suggests."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def headers(*, message_id: str, timestamp: datetime, body: str, secrets_: Sequence[str]) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per secret (two during a rotation)."""
    signatures = " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
