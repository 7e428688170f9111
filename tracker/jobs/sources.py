"""The source runner: claims due evidence sources and polls them, a few at a time.

A due source is claimed by pushing its `next_run_at` one lease ahead (with `SKIP LOCKED` on
PostgreSQL, so two workers never poll the same source at once); its run then sets the real next
time. A source overdue at start is polled once, not once per missed slot.

The runs of a claim are recorded together, in one transaction, once its sources have been read
(a crash in between loses the reads, not the sources: their leases run out and they are polled
again). If that transaction fails, the runs are recorded one by one, so one run that cannot be
recorded holds back no other.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlmodel import col, select

from integrations.sources.base import Observation, PollResult, SourceConfig, SourceError
from integrations.sources.registry import ADAPTERS
from tracker.db import Database
from tracker.models import EvidenceSource, SourceKind, SourceRun, SourceState
from tracker.models.base import utcnow
from tracker.services import access_requests, sources

log = logging.getLogger("tracker.sources")

LEASE = timedelta(minutes=10)
BATCH = 50
PARALLEL = 8
PER_HOST = 2


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    collectivity_id: uuid.UUID
    kind: str
    config: SourceConfig
    state: dict[str, Any]


class SourceRunner:
    def __init__(self, db: Database, client: httpx.AsyncClient, *, holidays: Sequence[date] = ()) -> None:
        self.db = db
        self.client = client
        self.holidays = list(holidays)
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
            if rows:
                await session.exec(
                    update(EvidenceSource)
                    .where(col(EvidenceSource.id).in_([row.id for row in rows]))
                    .values(next_run_at=now + LEASE)
                    .execution_options(synchronize_session=False)
                )
            return [
                Claimed(
                    id=row.id,
                    collectivity_id=row.collectivity_id,
                    kind=row.kind.value,
                    config=SourceConfig(url=row.url, options=sources.adapter_options(row.options)),
                    state=dict(row.poll_state),
                )
                for row in rows
            ]

    async def fetch(self, claimed: Claimed) -> sources.Poll:
        """Read the source (no transaction held meanwhile); failures come back as the poll's error."""
        started: datetime = utcnow()
        host = urlsplit(claimed.config.url).hostname or ""
        result: PollResult | None = None
        error: str | None = None
        status: int | None = None
        # The host's gate first: a poll waiting for its host holds none of the global places.
        async with self._hosts[host], self._gate:
            try:
                if claimed.kind == SourceKind.ACCESS_REQUESTS.value:
                    result = await self._read_register(claimed)
                else:
                    result = await ADAPTERS[claimed.kind].poll(self.client, claimed.config, claimed.state)
            except SourceError as failure:
                error, status = failure.message, failure.http_status
            except Exception as failure:  # an adapter bug must not stop the others
                log.exception("source %s crashed", claimed.id)
                error = f"internal error while reading the source: {type(failure).__name__}"
        return sources.Poll(
            source_id=claimed.id,
            started_at=started,
            finished_at=utcnow(),
            result=result,
            error=error,
            http_status=status,
        )

    async def poll(self, claimed: Claimed) -> SourceRun:
        """Read one source and record its run."""
        return await self._record_one(await self.fetch(claimed))

    async def _record_one(self, poll: sources.Poll) -> SourceRun:
        async with self.db.transaction() as session:
            return (await sources.record_runs(session, [poll]))[0]

    async def record(self, polls: Sequence[sources.Poll]) -> None:
        """The runs of a claim in one transaction; if that fails, each in its own."""
        if len(polls) > 1:
            try:
                async with self.db.transaction() as session:
                    await sources.write_runs(session, polls)
                return
            except Exception:
                log.warning("recording %d runs together failed; recording them one by one", len(polls), exc_info=True)
        for poll in polls:
            try:
                await self._record_one(poll)
            except Exception:
                # The lease runs out and the source is polled again: nothing is lost.
                log.exception("recording the run of source %s failed", poll.source_id)

    async def _read_register(self, claimed: Claimed) -> PollResult:
        async with self.db.reader() as session:
            stats = await access_requests.register_stats(session, claimed.collectivity_id, holidays=self.holidays)
        value = access_requests.measure_value(stats, str(claimed.config.options.get("measure")))
        if value is None:
            return PollResult(warnings=["no request has been decided yet"])
        note = f"{stats.decided} decided, {stats.pending} pending ({stats.late} late) of {stats.total}"
        return PollResult(observations=[Observation(value=round(value, 2), observed_at=utcnow(), note=note)])

    async def run_once(self) -> int:
        """Poll one claim of due sources and record their runs; how many there were."""
        claimed = await self.claim()
        if claimed:
            await self.record(await asyncio.gather(*(self.fetch(item) for item in claimed)))
        return len(claimed)

    async def run_now(self, source_id: uuid.UUID) -> SourceRun | None:
        claimed = await self.claim(only=source_id)
        return await self.poll(claimed[0]) if claimed else None
