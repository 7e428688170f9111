"""The source runner: claims due evidence sources and polls them, a few at a time.

A due source is claimed by pushing its `next_run_at` one lease ahead (with `SKIP LOCKED` on
PostgreSQL, so two workers never poll the same source at once); its run then sets the real next
time. A source overdue at start is polled once, not once per missed slot.

`run_due` keeps the gates busy: the next claim is taken while the last sources of the previous one
are still being read, and finished reads are recorded by one writer while the next are read, a
claim's worth per transaction (or what is left at the end): a transaction's cost is mostly fixed. A
crash in between loses reads, not sources: their leases run out and they are polled again. If a
transaction of several runs fails, they are recorded one by one, so a run that cannot be recorded
holds back no other.
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
REFILL = 2 * PARALLEL  # claim again when fewer sources than this are left to read


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    collectivity_id: uuid.UUID
    kind: str
    config: SourceConfig
    state: dict[str, Any]


class SourceRunner:
    def __init__(
        self, db: Database, client: httpx.AsyncClient, *, holidays: Sequence[date] = (), batch: int = BATCH
    ) -> None:
        self.db = db
        self.batch = batch
        self.client = client
        self.holidays = list(holidays)
        self._gate = asyncio.Semaphore(PARALLEL)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))

    async def claim(self, *, only: uuid.UUID | None = None) -> list[Claimed]:
        """Up to a batch of due sources (or `only` that one, due or not), leased: one UPDATE ... RETURNING."""
        now = utcnow()
        due = select(EvidenceSource.id).order_by(col(EvidenceSource.next_run_at)).limit(self.batch)
        if only is not None:
            due = due.where(EvidenceSource.id == only)
        else:
            due = due.where(
                col(EvidenceSource.state).in_([SourceState.ACTIVE.value, SourceState.FAILING.value]),
                col(EvidenceSource.next_run_at) <= now,
            )
        if self.db.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        leased = (
            update(EvidenceSource)
            .where(col(EvidenceSource.id).in_(due.scalar_subquery()))
            .values(next_run_at=now + LEASE)
            .returning(
                col(EvidenceSource.id),
                col(EvidenceSource.collectivity_id),
                col(EvidenceSource.kind),
                col(EvidenceSource.url),
                col(EvidenceSource.options),
                col(EvidenceSource.poll_state),
            )
            .execution_options(synchronize_session=False)
        )
        async with self.db.transaction() as session:
            rows = (await session.exec(leased)).all()
        return [
            Claimed(
                id=id,
                collectivity_id=collectivity_id,
                kind=kind.value,
                config=SourceConfig(url=url, options=sources.adapter_options(options)),
                state=dict(poll_state),
            )
            for id, collectivity_id, kind, url, options, poll_state in rows
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

    async def run_due(self) -> int:
        """Poll every source due now, and those falling due meanwhile; how many were polled."""
        finished: asyncio.Queue[sources.Poll] = asyncio.Queue()
        polled = reading = 0
        more = True
        unrecorded: list[sources.Poll] = []
        writer: asyncio.Task[None] | None = None
        async with asyncio.TaskGroup() as tasks:
            while more or reading or unrecorded:
                if more and reading < REFILL:
                    claimed = await self.claim()
                    more = len(claimed) == self.batch
                    polled += len(claimed)
                    reading += len(claimed)
                    for item in claimed:
                        tasks.create_task(self._read(item, finished))
                if reading:
                    read = [await finished.get()]
                    while not finished.empty():
                        read.append(finished.get_nowait())
                    reading -= len(read)
                    unrecorded += read
                elif writer is not None:
                    await writer  # nothing left to read: the rest goes once this transaction is over
                # A transaction's cost is mostly fixed: runs wait for a claim's worth, or for the last reads.
                enough = len(unrecorded) >= self.batch or not (more or reading)
                if unrecorded and enough and (writer is None or writer.done()):
                    writer = tasks.create_task(self.record(unrecorded))
                    unrecorded = []
        return polled

    async def _read(self, claimed: Claimed, finished: asyncio.Queue[sources.Poll]) -> None:
        finished.put_nowait(await self.fetch(claimed))

    async def run_now(self, source_id: uuid.UUID) -> SourceRun | None:
        claimed = await self.claim(only=source_id)
        return await self.poll(claimed[0]) if claimed else None
