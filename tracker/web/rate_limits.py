"""Rate limits per token and per client address, shared by every replica that shares the storage.

`TRACKER_RATE_LIMIT_STORAGE` chooses where the counters live: `memory://` (this process only),
`redis://host:port` (through the `limits` library's async Redis storage), or `postgresql` (the
tracker's own database, see `rate_limit_storage`). Unset, nothing is limited.

A request with a bearer token counts against that token (`TRACKER_RATE_LIMIT_AUTHENTICATED`); one
without, against its client address (`TRACKER_RATE_LIMIT_ANONYMOUS`, lower). The address is the
ASGI client host: behind a reverse proxy, uvicorn's `--proxy-headers` and `--forwarded-allow-ips`
decide whether it is the proxy's or the client's. A token the server refuses (401) also counts
against its address at the anonymous rate, so guessing tokens is limited like anonymous use.

Over the limit: HTTP 429 with `Retry-After` and a GraphQL-shaped error, `extensions.code`
RATE_LIMITED. When the storage fails the request goes through (fail open) and a warning is
logged: an unreachable Redis must not take the API down.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import coredis
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.db import Database
from tracker.errors import ErrorCode
from tracker.settings import Settings
from tracker.web.clients import client_address, credential_of
from tracker.web.json_errors import send_error
from tracker.web.rate_limit_storage import DatabaseStorage

log = logging.getLogger("tracker.rate_limits")

# Probes are the orchestrator's, not clients': limiting them would restart healthy replicas.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
STORAGE_TIMEOUT_SECONDS = 0.5
# After a storage failure, requests go unlimited this long without trying it (a black-holed Redis
# would otherwise add its timeout to every request).
RETRY_STORAGE_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
T = TypeVar("T")


class CounterStorage:
    """The `limits` storage TRACKER_RATE_LIMIT_STORAGE names, opened in the application's lifespan
    (inside the event loop, which `limits`' memory storage needs; a wrong setting stops the start)
    and closed with it."""

    def __init__(self, setting: str, db: Database) -> None:
        self.setting = setting
        self.db = db
        self._storage: Storage | None = None
        self._pool: coredis.ConnectionPool | None = None

    @classmethod
    def configured(cls, settings: Settings, db: Database) -> CounterStorage | None:
        return cls(settings.rate_limit_storage, db) if settings.rate_limit_storage else None

    def open(self) -> Storage:
        if self._storage is None:
            self._storage = self._open()
        return self._storage

    def _open(self) -> Storage:
        if self.setting == "postgresql":
            return DatabaseStorage(self.db)
        setting = self.setting.removeprefix("async+")
        options: dict[str, Any] = {}
        if setting.startswith(("redis://", "rediss://")):
            # Our own pool, so that shutting down closes its connections.
            self._pool = coredis.ConnectionPool.from_url(setting)
            options["connection_pool"] = self._pool
        storage = storage_from_string(f"async+{setting}", **options)
        if not isinstance(storage, Storage):  # pragma: no cover - "async+" schemes build async storages
            raise ValueError(f"{self.setting!r} is not an async rate limit storage")
        return storage

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.disconnect()


class RateLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        storage: CounterStorage,
        anonymous: str,
        authenticated: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.storage = storage
        self._limiter: FixedWindowRateLimiter | None = None
        self.anonymous = parse_many(anonymous)
        self.authenticated = parse_many(authenticated)
        self.clock = clock
        self._warned_at = -math.inf
        self._down_until = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        credential = credential_of(Headers(scope=scope))
        address = client_address(scope)
        if credential is None:
            refused = await self._hit(self.anonymous, "address", address)
        else:
            # Refused tokens already spent this address's anonymous allowance: stop guessing.
            refused = await self._exhausted(self.anonymous, "refused", address) or await self._hit(
                self.authenticated, "token", credential
            )
        if refused is not None:
            await send_error(
                send,
                429,
                f"too many requests: retry in {refused} seconds",
                ErrorCode.RATE_LIMITED.value,
                headers=((b"retry-after", str(refused).encode()),),
                retryAfter=refused,
            )
            return
        if credential is None:
            await self.app(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await self._hit(self.anonymous, "refused", address)
            await send(message)

        await self.app(scope, receive, watch)

    @property
    def limiter(self) -> FixedWindowRateLimiter:
        if self._limiter is None:
            self._limiter = FixedWindowRateLimiter(self.storage.open())
        return self._limiter

    async def _hit(self, items: list[RateLimitItem], *identifiers: str) -> int | None:
        """Count the request; seconds to wait when a limit is exceeded."""
        return await self._first_refusal(self.limiter.hit, items, identifiers)

    async def _exhausted(self, items: list[RateLimitItem], *identifiers: str) -> int | None:
        """Seconds to wait if a limit is already reached, without counting the request."""
        return await self._first_refusal(self.limiter.test, items, identifiers)

    async def _first_refusal(
        self,
        probe: Callable[..., Awaitable[bool]],
        items: list[RateLimitItem],
        identifiers: tuple[str, ...],
    ) -> int | None:
        for item in items:
            if await self._storage_call(partial(probe, item, *identifiers)) is False:
                return await self._retry_after(item, *identifiers)
        return None

    async def _retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        stats = await self._storage_call(partial(self.limiter.get_window_stats, item, *identifiers))
        reset = stats.reset_time if stats is not None else self.clock() + item.get_expiry()
        return max(1, math.ceil(reset - self.clock()))

    async def _storage_call(self, call: Callable[[], Awaitable[T]]) -> T | None:
        """The storage's answer, or None when it failed, was too slow, or failed a moment ago (the
        request goes through)."""
        if self.clock() < self._down_until:
            return None
        try:
            async with asyncio.timeout(STORAGE_TIMEOUT_SECONDS):
                return await call()
        except Exception:
            now = self.clock()
            self._down_until = now + RETRY_STORAGE_AFTER_SECONDS
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning("rate limit storage failed; requests are not limited meanwhile", exc_info=True)
            return None


def rate_limit_middleware(settings: Settings, storage: CounterStorage | None) -> list[Middleware]:
    """The rate limit middleware, when TRACKER_RATE_LIMIT_STORAGE names a storage."""
    if storage is None:
        return []
    return [
        Middleware(
            RateLimits,
            storage=storage,
            anonymous=settings.rate_limit_anonymous,
            authenticated=settings.rate_limit_authenticated,
        )
    ]


class AttemptLimits:
    """Attempts at something guessable (signing in) per client address, in the rate limit storage
    or, without one, in this process's memory: such attempts are limited whatever the settings.
    Like the requests' limits, a failing storage lets the attempt through (and logs it)."""

    def __init__(self, storage: CounterStorage | None, db: Database, *, limits: str, name: str) -> None:
        self.limits = RateLimits(
            _refuse_all,
            storage=storage or CounterStorage("memory://", db),
            anonymous=limits,
            authenticated=limits,
        )
        self.name = name

    async def refused(self, address: str) -> int | None:
        """Count an attempt from `address`: seconds to wait when over the limit, else None."""
        return await self.limits._hit(self.limits.anonymous, self.name, address)


async def _refuse_all(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover - never called
    raise RuntimeError("AttemptLimits does not pass requests on")
