"""On PostgreSQL exactly one scheduler leads; another takes over when it goes."""

from __future__ import annotations

import random

from sqlalchemy import text

from tests.support.builders import small_plan
from tests.support.derived import assert_no_drift
from tracker.db import Database
from tracker.jobs.scheduler import Scheduler
from tracker.settings import Settings

# A key of its own, so that another test run on the same server never holds it.
LOCK_KEY = random.randrange(1, 2**62)


def _scheduler(url: str) -> Scheduler:
    db = Database(url)
    return Scheduler(db, Settings(database_url=url, leader_lock_key=LOCK_KEY))


async def test_only_one_scheduler_leads_and_another_takes_over(postgres_url: str) -> None:
    first, second = _scheduler(postgres_url), _scheduler(postgres_url)
    try:
        await first.start()
        await second.start()
        assert first.is_leader
        assert not second.is_leader
        await first.shutdown()
        await second.claim_leadership()
        assert second.is_leader
    finally:
        await first.shutdown()
        await second.shutdown()
        await first.db.dispose()
        await second.db.dispose()


async def test_sqlite_scheduler_always_leads(sqlite_url: str) -> None:
    scheduler = _scheduler(sqlite_url)
    try:
        await scheduler.start()
        assert scheduler.is_leader
    finally:
        await scheduler.shutdown()
        await scheduler.db.dispose()


async def test_the_scheduler_counts_lapsed_overdue_figures_as_of_today(sqlite_url: str) -> None:
    scheduler = _scheduler(sqlite_url)
    db = scheduler.db
    try:
        await small_plan(db)  # its milestone was due on 2024-06-30
        async with db.engine.begin() as connection:  # as if counted on a day before it fell due
            await connection.execute(
                text(
                    "UPDATE network_stats SET overdue_as_of = '2024-06-01', overdue_count = 0,"
                    " next_overdue_on = '2024-06-30'"
                )
            )
        await assert_no_drift(db)
        assert await scheduler.overdue_tick() == 1
        assert await scheduler.overdue_tick() == 0
        await assert_no_drift(db)
    finally:
        await scheduler.shutdown()
        await db.dispose()
