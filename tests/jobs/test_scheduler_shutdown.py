"""Shutting the scheduler down ends the ticks still running, before the database closes."""

from __future__ import annotations

import asyncio

import pytest

from tracker.db import Database
from tracker.jobs import scheduler as scheduling
from tracker.jobs.scheduler import Scheduler
from tracker.settings import Settings


async def test_shutdown_waits_for_a_running_tick_to_end(db: Database, settings: Settings) -> None:
    running, ended = asyncio.Event(), asyncio.Event()
    made = Scheduler(db, settings)

    async def slow_sources() -> int:
        running.set()
        await asyncio.sleep(0.3)
        ended.set()
        return 0

    made.sources.run_due = slow_sources  # type: ignore[method-assign]
    await made.start()
    await asyncio.wait_for(running.wait(), timeout=20)
    await made.shutdown()
    assert ended.is_set()


async def test_shutdown_cancels_a_tick_that_outlasts_the_grace(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduling, "SHUTDOWN_GRACE_SECONDS", 0.2)
    running, cancelled = asyncio.Event(), asyncio.Event()
    made = Scheduler(db, settings)

    async def stuck_sources() -> int:
        running.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    made.sources.run_due = stuck_sources  # type: ignore[method-assign]
    await made.start()
    await asyncio.wait_for(running.wait(), timeout=20)
    await made.shutdown()
    assert cancelled.is_set()
    assert not made._running
