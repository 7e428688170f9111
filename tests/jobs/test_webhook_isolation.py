"""Acceptance: a receiver that never answers and one that trickles a byte a second hold back no one
else. The scheduler, dispatcher and delivery worker run as `tracker serve` runs them."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import orjson
from sqlmodel import col, select

from tests.support.builders import small_plan
from tests.support.receiver import hostile_receiver, receiver
from tests.support.webhooks import complete, subscribe
from tracker.db import Database
from tracker.jobs.scheduler import Scheduler
from tracker.models import Milestone
from tracker.settings import Settings

MILESTONES = 8  # completed one by one, three events each: 24 events for every subscription
COMPLETION = ("milestone.updated", "milestone.status_changed", "milestone.completed")  # not the reminders
LOCK_KEY = 0x6973_6F6C_6174_65  # a leader lock of its own: other tests may hold the default one


async def test_a_healthy_subscription_gets_every_event_within_two_seconds_beside_stalling_ones(
    db: Database, database_url: str
) -> None:
    await small_plan(db, commitments_count=MILESTONES)
    settings = Settings(database_url=database_url, allow_private_targets=True, leader_lock_key=LOCK_KEY)
    committed: list[float] = []
    with hostile_receiver() as silent, hostile_receiver(trickle_every=1.0) as trickling, receiver() as healthy:
        for url in (silent.url, trickling.url, healthy.url):
            await subscribe(db, url, types=COMPLETION)
        scheduler = Scheduler(db, settings)
        await scheduler.start()
        try:
            async with db.reader() as session:
                milestones = (await session.exec(select(Milestone).order_by(col(Milestone.id)))).all()
            for milestone in milestones:
                async with db.transaction() as session:
                    await complete(session, milestone)
                committed.append(time.time())
                scheduler.wake()  # what the API does after a mutation commits
                await asyncio.sleep(0.25)  # commits spread out: the hostile lanes are busy meanwhile
            deadline = time.monotonic() + 10
            # The receiver runs in a thread of its own: polling its list is the simple way to watch it.
            while len(healthy.received) < 3 * MILESTONES and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        finally:
            await scheduler.shutdown()
    assert silent.requests >= 1 and trickling.requests >= 1  # both held a lane the whole time
    assert len(healthy.received) == 3 * MILESTONES
    latencies = []
    for request in healthy.received:
        occurred = datetime.fromisoformat(orjson.loads(request.body)["timestamp"]).timestamp()
        commit = min(moment for moment in committed if moment >= occurred)
        latencies.append(request.at - commit)
    assert max(latencies) <= 2.0, sorted(latencies)
