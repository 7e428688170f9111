"""Sending one webhook request and judging the answer: success, retry later, or give up."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum

import anyio
import httpx

from integrations.http import BlockedTarget, ResponseTooLarge, read_capped

RESPONSE_EXCERPT = 4096
RETRYABLE_STATUSES = frozenset({408, 429})
MAX_RETRY_AFTER = 6 * 3600


class Verdict(StrEnum):
    SUCCESS = "SUCCESS"
    RETRYABLE = "RETRYABLE"
    PERMANENT = "PERMANENT"


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    duration_ms: int
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False  # 410: the receiver asks us to stop for good


def judge(status: int) -> Verdict:
    """2xx succeed; 408, 429 and 5xx are worth retrying; other 3xx and 4xx will not improve."""
    if 200 <= status < 300:
        return Verdict.SUCCESS
    if status in RETRYABLE_STATUSES or status >= 500:
        return Verdict.RETRYABLE
    return Verdict.PERMANENT


def retry_after_seconds(value: str | None, now: float) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        seconds = float(value.strip())
    else:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    content_type: str,
    deadline: float | None = None,
) -> Outcome:
    """POST the body; the whole exchange (connect, send, every byte of the answer) within `deadline`
    seconds. A per-read timeout alone would let a receiver trickling a byte a second hold on forever."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with anyio.fail_after(deadline):
            return await _exchange(client, url, body, {**headers, "Content-Type": content_type}, elapsed)
    except TimeoutError:
        within = f" within {deadline:g} s" if deadline is not None else ""
        return Outcome(verdict=Verdict.RETRYABLE, duration_ms=elapsed(), error=f"no full answer{within}")
    except httpx.ConnectError as error:
        if isinstance(error.__cause__, BlockedTarget):
            return Outcome(verdict=Verdict.PERMANENT, duration_ms=elapsed(), error=str(error.__cause__))
        return Outcome(verdict=Verdict.RETRYABLE, duration_ms=elapsed(), error=f"connection failed: {error}")
    except httpx.TimeoutException as error:
        return Outcome(verdict=Verdict.RETRYABLE, duration_ms=elapsed(), error=f"timed out: {type(error).__name__}")
    except httpx.HTTPError as error:
        return Outcome(verdict=Verdict.RETRYABLE, duration_ms=elapsed(), error=f"{type(error).__name__}: {error}")
    except (httpx.InvalidURL, UnicodeError) as error:
        # A URL stored before the checks of today: it will not improve by waiting.
        return Outcome(verdict=Verdict.PERMANENT, duration_ms=elapsed(), error=f"invalid URL: {error}")


async def _exchange(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], elapsed: Callable[[], int]
) -> Outcome:
    async with client.stream("POST", url, content=body, headers=headers) as response:
        try:
            raw = await read_capped(response, limit=64 * 1024)
        except ResponseTooLarge:
            raw = b"(response body larger than 64 KiB, not kept)"
        excerpt = raw[:RESPONSE_EXCERPT].decode("utf-8", errors="replace")
        return Outcome(
            verdict=judge(response.status_code),
            duration_ms=elapsed(),
            status_code=response.status_code,
            response_body=excerpt,
            retry_after=retry_after_seconds(response.headers.get("retry-after"), time.time()),
            gone=response.status_code == 410,
        )
