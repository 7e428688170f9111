"""The scheduler: one per deployment, durable ticks whose state lives in our own tables.

With PostgreSQL several processes may run `tracker serve` or `tracker worker`; only the one
holding the advisory lock runs the scheduled ticks (the others keep trying to become leader).
The ticks themselves are idempotent, so a leader change never loses or doubles work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from integrations.http import create_client
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.events.pubsub import Hub
from tracker.jobs.deliveries import DeliveryWorker, Policy
from tracker.jobs.sources import SourceRunner
from tracker.services import derived, reminders, webhooks
from tracker.services.common import today
from tracker.settings import Settings

log = logging.getLogger("tracker.scheduler")
# APScheduler writes two INFO lines per run of a job ("Running job", "executed successfully"), and
# the dispatch and delivery ticks run every two seconds: most of a quiet server's log. Its
# warnings (a missed run) and errors still pass; what a tick did is logged at DEBUG below.
TICKS_LOGGER = "apscheduler.executors.default"

LEADER_RETRY_SECONDS = 15
# How long shutdown waits for a running tick to end, then for it to end once cancelled.
SHUTDOWN_GRACE_SECONDS = 5.0
# How long a wake-up after a commit waits for the commits that follow it (see `Scheduler.wake`).
WAKE_DELAY_SECONDS = 0.05


class Scheduler:
    """The ticks of one process: dispatch the outbox, send due webhooks (safe on every replica,
    thanks to SKIP LOCKED claims), and, on the leader only, the jobs that must run once."""

    def __init__(self, db: Database, settings: Settings, *, hub: Hub | None = None) -> None:
        self.db = db
        self.settings = settings
        self.dispatcher = Dispatcher(db, [webhooks.fan_out], after_commit=[hub.wake] if hub else [])
        self.client = create_client(allow_private=settings.allow_private_targets, page=settings.base_url)
        self.deliveries = DeliveryWorker(
            db, self.client, base_url=settings.base_url, policy=Policy.from_settings(settings)
        )
        # A wake-up that comes while the dispatch tick runs: APScheduler would skip that run
        # (one instance at a time), so the running tick goes round once more instead.
        self._dispatch_again = False
        self._dispatching = False
        self._wake_pending = False  # a wake-up is on its way (see `wake`)
        self._wake_deliveries = False  # and it looks for due deliveries as well
        self._running: set[asyncio.Task[Any]] = set()  # ticks running now (see `shutdown`)
        self.sources = SourceRunner(db, self.client, holidays=settings.holidays)
        self._scheduler = AsyncIOScheduler(timezone=settings.timezone)
        logging.getLogger(TICKS_LOGGER).setLevel(logging.WARNING)
        self._leader_connection: AsyncConnection | None = None

    @property
    def _lock_key(self) -> dict[str, int]:
        return {"key": self.settings.leader_lock_key}

    @property
    def is_leader(self) -> bool:
        return self.db.dialect != "postgresql" or self._leader_connection is not None

    async def start(self) -> None:
        defaults: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        self._scheduler.add_job(
            self._tracked(self._dispatch_tick),
            "interval",
            seconds=self.settings.dispatch_interval_seconds,
            id="dispatch",
            **defaults,
        )
        self._scheduler.add_job(
            self._tracked(self._delivery_tick),
            "interval",
            seconds=self.settings.delivery_interval_seconds,
            id="deliver",
            **defaults,
        )
        self._scheduler.add_job(
            self._tracked(self._source_tick),
            "interval",
            seconds=self.settings.source_interval_seconds,
            id="sources",
            next_run_time=datetime.now(UTC),  # overdue sources run once at start (coalesced)
            **defaults,
        )
        self._scheduler.add_job(
            self._tracked(self._reminder_tick),
            "interval",
            seconds=self.settings.reminder_interval_seconds,
            id="reminders",
            next_run_time=datetime.now(UTC),  # overdue reminders go out at start, not an hour later
            **defaults,
        )
        self._scheduler.add_job(
            self._tracked(self._overdue_tick),
            "cron",
            hour=0,
            minute=1,  # the day has changed in the tracker's time zone (the scheduler's)
            id="overdue",
            next_run_time=datetime.now(UTC),  # the days the process was down
            **defaults,
        )
        if self.db.dialect == "postgresql":
            self._scheduler.add_job(
                self._tracked(self.claim_leadership), "interval", seconds=LEADER_RETRY_SECONDS, id="leader", **defaults
            )
            await self.claim_leadership()
        self._scheduler.start()

    def _tracked(self, tick: Callable[[], Awaitable[None]]) -> Callable[[], Coroutine[Any, Any, None]]:
        """`tick` as a job whose run `shutdown` can wait for (APScheduler leaves running asyncio
        jobs behind when it shuts down)."""

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await tick()
            finally:
                if task is not None:
                    self._running.discard(task)

        return run

    async def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.pause()  # no new runs; APScheduler's shutdown would cancel the running ones
            await self._end_running_ticks()
            self._scheduler.shutdown(wait=False)
        await self.deliveries.close()
        await self.client.aclose()
        if self._leader_connection is not None:
            connection, self._leader_connection = self._leader_connection, None
            # The lock belongs to the database session, which the pool would keep alive: release it.
            try:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), self._lock_key)
                await connection.commit()
            finally:
                await connection.close()

    async def _end_running_ticks(self) -> None:
        """A tick still running ends before what it uses (the database, the HTTP client) closes:
        left behind, it was cancelled only when its event loop closed, and a transaction cancelled
        then could wait forever on a connection already gone. Ticks may be interrupted: each
        transaction rolls back, and what it was doing is found again by the next run."""
        running = set(self._running)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=SHUTDOWN_GRACE_SECONDS)

    async def claim_leadership(self) -> None:
        """Become the leader if no other process holds the lock (held until this process ends)."""
        if self._leader_connection is not None:
            return
        connection = await self.db.engine.connect()
        try:
            got = (await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), self._lock_key)).scalar()
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if got:
            log.info("this process is the scheduler leader")
            self._leader_connection = connection
        else:
            await connection.close()

    def wake(self) -> None:
        """Run the dispatch and delivery ticks soon: a change just committed (the interval is the
        safety net). The wake-ups of a burst of commits coalesce into one dispatch, which claims
        all their events at once, a moment (`WAKE_DELAY_SECONDS`) after the first."""
        self._wake(deliveries=True)

    def wake_dispatch(self) -> None:
        """`wake`, for a change that wrote events and made no delivery due: the dispatch alone
        (it wakes the deliveries itself when the events match subscriptions)."""
        self._wake(deliveries=False)

    def _wake(self, *, deliveries: bool) -> None:
        if not self._scheduler.running:
            return
        self._wake_deliveries = self._wake_deliveries or deliveries
        if self._wake_pending:
            return
        self._wake_pending = True
        asyncio.get_running_loop().call_later(WAKE_DELAY_SECONDS, self._woken)

    def _woken(self) -> None:
        self._wake_pending = False
        deliveries, self._wake_deliveries = self._wake_deliveries, False
        if not self._scheduler.running:
            return
        self._dispatch_again = True
        if not self._dispatching:
            job = self._scheduler.get_job("dispatch")
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))
        if deliveries:
            self.deliveries.poke()

    async def _dispatch_tick(self) -> None:
        # Dispatch is safe on every replica (SKIP LOCKED); it does not need leadership.
        self._dispatch_again, self._dispatching = True, True
        try:
            while self._dispatch_again:
                self._dispatch_again = False
                try:
                    dispatched = await self.dispatcher.drain()
                except Exception:
                    log.exception("dispatch tick failed; the events stay in the outbox for the next tick")
                    return
                if dispatched:
                    log.debug("dispatched %d event(s)", dispatched)
                if self.dispatcher.take_queued():  # the events matched subscriptions: deliveries are due
                    self.deliveries.poke()
        finally:
            self._dispatching = False

    async def _delivery_tick(self) -> None:
        # Starts lanes and returns: each lane sends on its own, and looks for more when it ends.
        try:
            await self.deliveries.start_due()
        except Exception:
            log.exception("delivery tick failed; due deliveries stay due for the next tick")

    async def _reminder_tick(self) -> None:
        # Once per deployment: the leader alone (the reminder table would also stop doubles).
        if not self.is_leader:
            return
        try:
            sent = reminders.BATCH
            while sent == reminders.BATCH:  # one transaction a batch: a backlog never sits in memory whole
                async with self.db.transaction() as session:
                    sent = await reminders.send_reminders(session, today=today())
        except Exception:
            log.exception("reminder tick failed; the next tick sends what is still due")

    async def overdue_tick(self) -> int:
        """Re-base the network's overdue figures on the new day (the leader alone: the figures are
        exact without it, readers count the plans whose figures lapsed, but more slowly)."""
        if not self.is_leader:
            return 0
        total = 0
        try:
            counted = derived.REBASE_BATCH
            while counted == derived.REBASE_BATCH:  # one transaction a batch: plans stay locked briefly
                async with self.db.transaction() as session:
                    counted = await derived.rebase_overdue(session, today=today())
                total += counted
        except Exception:
            log.exception("overdue tick failed; readers count the lapsed plans until the next one")
        return total

    async def _overdue_tick(self) -> None:
        counted = await self.overdue_tick()
        if counted:
            log.debug("counted the overdue milestones of %d plan(s) as of today", counted)

    async def _source_tick(self) -> None:
        # Safe on every replica: claims use SKIP LOCKED and a lease.
        try:
            polled = await self.sources.run_due()
        except Exception:
            log.exception("source tick failed; due sources stay due")
            return
        if polled:
            log.debug("polled %d evidence source(s)", polled)
