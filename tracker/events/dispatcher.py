"""The dispatcher: claims undispatched outbox events in order and hands them to consumers.

On PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so several processes can dispatch at
once without handing the same event out twice; the claim, the fan-out rows consumers write and
the `dispatched_at` mark commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.db import Database
from tracker.events.outbox import queued_deliveries
from tracker.models import OutboxEvent
from tracker.models.base import utcnow

CHANNEL = "tracker_events"

log = logging.getLogger("tracker.dispatcher")

Consumer = Callable[[AsyncSession, Sequence[OutboxEvent]], Awaitable[None]]
BATCH = 200


class Dispatcher:
    def __init__(
        self, db: Database, consumers: Sequence[Consumer] = (), after_commit: Sequence[Callable[[], None]] = ()
    ) -> None:
        self.db = db
        self.consumers = list(consumers)
        self.after_commit = list(after_commit)
        # Whether a dispatch since `take_queued` gave the consumers work to do after its commit
        # (`tracker.events.outbox.queue_work`: webhook deliveries to send).
        self._queued = False

    async def dispatch_once(self, limit: int = BATCH) -> int:
        """Dispatch one batch; returns how many events it handled."""
        async with self.db.transaction() as session:
            query = (
                select(OutboxEvent)
                .where(col(OutboxEvent.dispatched_at).is_(None))
                .order_by(col(OutboxEvent.seq))
                .limit(limit)
            )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            events = list((await session.exec(query)).all())
            if not events:
                return 0
            for consumer in self.consumers:
                await consumer(session, events)
            await session.exec(
                update(OutboxEvent)
                .where(col(OutboxEvent.seq).in_([event.seq for event in events]))
                .values(dispatched_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if self.db.dialect == "postgresql":
                # Delivered when this transaction commits: wakes the live-event hubs of all replicas.
                await session.exec(text(f"NOTIFY {CHANNEL}"))  # type: ignore[call-overload]
            queued = queued_deliveries(session)
        self._queued = self._queued or queued
        for callback in self.after_commit:
            callback()
        return len(events)

    def take_queued(self) -> bool:
        """Whether a dispatch since the last call queued work for after its commit."""
        queued, self._queued = self._queued, False
        return queued

    async def drain(self) -> int:
        """Dispatch until a batch comes back short: what commits after that batch's claim is for
        the wake-up its commit sends (or the next tick), not for one more empty claim here."""
        total = 0
        while True:
            handled = await self.dispatch_once()
            total += handled
            if handled < BATCH:
                return total
