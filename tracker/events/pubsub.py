"""Live events for GraphQL subscriptions, on every replica.

Each process runs one hub that follows the outbox as the dispatchers mark events dispatched.
On PostgreSQL the dispatcher's `NOTIFY tracker_events` (sent when its transaction commits) wakes
the hubs of all replicas at once; otherwise they look every poll interval. The same connection
hears `tracker_changes`, sent by every transaction that changed data, and passes it to the
database's change listeners (the read cache of this replica). Dispatchers may commit
out of sequence order, so a hub re-reads a short window back and skips what it has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import psycopg
from sqlmodel import col, select

from tracker.db import Database, parse_changes
from tracker.events.dispatcher import CHANNEL
from tracker.models import OutboxEvent
from tracker.models.base import utcnow

log = logging.getLogger("tracker.pubsub")

LOOKBACK = timedelta(seconds=30)
LISTEN_STARTUP_TIMEOUT = 5.0  # how long `start` waits for the LISTEN connection before going on without
SEEN_MEMORY = 10_000
QUEUE_SIZE = 1_000


class Overflow(Exception):
    """A subscriber fell too far behind and was dropped rather than slowing everyone."""


class Hub:
    def __init__(self, db: Database, *, poll_interval: float = 1.0) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self._subscribers: set[asyncio.Queue[OutboxEvent | None]] = set()
        self._seen: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._watermark: datetime = utcnow()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Set while the LISTEN connection is up: other replicas' changes are heard.
        self.listening = asyncio.Event()

    async def start(self) -> None:
        """Start following; on PostgreSQL, return once LISTEN is up (or after a few seconds without),
        so that nothing is read into the cache before the changes of other replicas can reach it."""
        self._tasks.append(asyncio.create_task(self._follow(), name="pubsub-follow"))
        if self.db.dialect == "postgresql":
            self._tasks.append(asyncio.create_task(self._listen(), name="pubsub-listen"))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LISTEN_STARTUP_TIMEOUT):
                    await self.listening.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        # Their cancellations are expected; a cancellation of this stop itself goes on up.
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for queue in self._subscribers:
            queue.put_nowait(None)

    def wake(self) -> None:
        """Called after a local dispatch commits (the NOTIFY does it across replicas)."""
        self._wake.set()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[OutboxEvent | None]]:
        """A queue of the events dispatched from now on (None: the hub stopped or dropped you)."""
        queue: asyncio.Queue[OutboxEvent | None] = asyncio.Queue(QUEUE_SIZE)
        if not self._subscribers:
            # Nobody listened until now: what is already in the window is the past, not news.
            await self._read_window(publish=False)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def _listen(self) -> None:
        # The engine's own connection arguments: a URL rendered back to text would turn the spaces of
        # `options` into "+", which libpq does not read as spaces.
        _, arguments = self.db.engine.dialect.create_connect_args(self.db.engine.url)
        arguments.pop("context", None)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(**arguments, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    await connection.execute(f'LISTEN "{self.db.changes_channel}"')
                    # Changes committed while not listening were not heard: forget every cached read.
                    self.db.announce(frozenset({None}))
                    self.listening.set()
                    async for notice in connection.notifies():
                        if notice.channel == self.db.changes_channel:
                            origin, changed = parse_changes(notice.payload)
                            if origin != self.db.origin:  # announced by this Database at commit
                                self.db.announce(changed)
                        else:
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.listening.clear()
                log.exception("LISTEN connection lost; polling until it is back")
                await asyncio.sleep(5)

    async def _follow(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallowed a cancellation that
            # came as its timeout fired, and this loop then ran on, `stop` waiting for it forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            if not self._subscribers:
                continue
            try:
                await self._read_window(publish=True)
            except Exception:
                log.exception("reading new events failed; trying again")

    async def _read_window(self, *, publish: bool) -> None:
        async with self.db.reader() as session:
            events = (
                await session.exec(
                    select(OutboxEvent)
                    .where(col(OutboxEvent.dispatched_at) >= self._watermark - LOOKBACK)
                    .order_by(col(OutboxEvent.dispatched_at), col(OutboxEvent.seq))
                )
            ).all()
        for event in events:
            if event.id in self._seen:
                continue
            self._remember(event.id)
            if event.dispatched_at is not None and event.dispatched_at > self._watermark:
                self._watermark = event.dispatched_at
            if not publish:
                continue
            for queue in list(self._subscribers):
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    self._subscribers.discard(queue)
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.get_nowait()
                        queue.put_nowait(None)

    def _remember(self, event_id: uuid.UUID) -> None:
        self._seen[event_id] = None
        while len(self._seen) > SEEN_MEMORY:
            self._seen.popitem(last=False)
