"""The source runner: claims due evidence sources and polls them, a few at a time.

A due source is claimed by pushing its `next_run_at` one lease ahead (with `SKIP LOCKED` on
PostgreSQL, so two workers never poll the same source at once); its run then sets the real next
time. A source overdue at start is polled once, not once per missed slot.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import col, select

from integrations.sources.base import PollResult, SourceConfig, SourceError
from integrations.sources.registry import ADAPTERS
from tracker.db import Database
from tracker.models import EvidenceSource, SourceRun, SourceState
from tracker.models.base import utcnow
from tracker.services import sources

log = logging.getLogger("tracker.sources")

LEASE = timedelta(minutes=10)
BATCH = 50
PARALLEL = 8
PER_HOST = 2


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    kind: str
    config: SourceConfig
    state: dict[str, Any]


class SourceRunner:
    def __init__(self, db: Database, client: httpx.AsyncClient) -> None:
        self.db = db
        self.client = client
        self._gate = asyncio.Semaphore(PARALLEL)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))

    async def claim(self, *, limit: int = BATCH, only: uuid.UUID | None = None) -> list[Claimed]:
        async with self.db.transaction() as session:
            now = utcnow()
            query = select(EvidenceSource).order_by(col(EvidenceSource.next_run_at)).limit(limit)
            if only is not None:
                query = query.where(EvidenceSource.id == only)
            else:
                query = query.where(
                    col(EvidenceSource.state).in_([SourceState.ACTIVE.value, SourceState.FAILING.value]),
                    col(EvidenceSource.next_run_at) <= now,
                )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.exec(query)).all()
            for row in rows:
                row.next_run_at = now + LEASE
                session.add(row)
            return [
                Claimed(
                    row.id, row.kind.value, SourceConfig(url=row.url, options=dict(row.options)), dict(row.poll_state)
                )
                for row in rows
            ]

    async def poll(self, claimed: Claimed) -> SourceRun:
        started: datetime = utcnow()
        host = urlsplit(claimed.config.url).hostname or ""
        result: PollResult | None = None
        error: str | None = None
        status: int | None = None
        async with self._gate, self._hosts[host]:
            try:
                result = await ADAPTERS[claimed.kind].poll(self.client, claimed.config, claimed.state)
            except SourceError as failure:
                error, status = failure.message, failure.http_status
            except Exception as failure:  # an adapter bug must not stop the others
                log.exception("source %s crashed", claimed.id)
                error = f"internal error while reading the source: {type(failure).__name__}"
        async with self.db.transaction() as session:
            return await sources.record_run(
                session, source_id=claimed.id, started_at=started, result=result, error=error, http_status=status
            )

    async def run_once(self) -> int:
        claimed = await self.claim()
        await asyncio.gather(*(self._poll_logged(item) for item in claimed))
        return len(claimed)

    async def run_now(self, source_id: uuid.UUID) -> SourceRun | None:
        claimed = await self.claim(only=source_id)
        return await self.poll(claimed[0]) if claimed else None

    async def _poll_logged(self, claimed: Claimed) -> None:
        try:
            await self.poll(claimed)
        except Exception:
            # The lease runs out and the source is polled again: nothing is lost.
            log.exception("recording the run of source %s failed", claimed.id)
