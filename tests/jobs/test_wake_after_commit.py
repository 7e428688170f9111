"""A mutation wakes the dispatcher only when it queued work (the deliveries only when it made
some due), and a burst of commits wakes it once."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.webhooks import subscribe
from tracker.access import SYSTEM
from tracker.api.core.context import Context
from tracker.db import Database
from tracker.events.dispatcher import BATCH
from tracker.jobs import scheduler as scheduling
from tracker.jobs.scheduler import Scheduler
from tracker.models import Milestone, OutboxEvent, WorkStatus
from tracker.services import milestones, webhooks
from tracker.settings import Settings


async def _milestone(db: Database) -> Milestone:
    await small_plan(db)
    async with db.reader() as session:
        return (await session.exec(select(Milestone))).first()  # type: ignore[return-value]


async def test_a_mutation_that_changes_nothing_wakes_no_one(db: Database, settings: Settings) -> None:
    milestone = await _milestone(db)
    wakes: list[str] = []
    context = Context(db=db, settings=settings, principal=SYSTEM, after_commit=lambda: wakes.append("wake"))
    async with context.writing() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone.id, status=milestone.status)
    assert wakes == []
    async with context.writing() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone.id, status=WorkStatus.IN_PROGRESS)
    assert wakes == ["wake"]


async def test_a_failed_mutation_wakes_no_one(db: Database, settings: Settings) -> None:
    milestone = await _milestone(db)
    wakes: list[str] = []
    context = Context(db=db, settings=settings, principal=SYSTEM, after_commit=lambda: wakes.append("wake"))
    try:
        async with context.writing() as session:
            await milestones.update_milestone(session, actor=SYSTEM, id=milestone.id, status=WorkStatus.IN_PROGRESS)
            raise RuntimeError("the rest of the mutation failed")
    except RuntimeError:
        pass
    assert wakes == []


def _waking_context(db: Database, settings: Settings, wakes: list[str]) -> Context:
    return Context(
        db=db,
        settings=settings,
        principal=SYSTEM,
        after_commit=lambda: wakes.append("dispatch and deliveries"),
        after_events=lambda: wakes.append("dispatch"),
    )


async def test_a_mutation_that_only_writes_events_wakes_the_dispatcher_alone(db: Database, settings: Settings) -> None:
    milestone = await _milestone(db)
    wakes: list[str] = []
    async with _waking_context(db, settings, wakes).writing() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone.id, status=WorkStatus.IN_PROGRESS)
    assert wakes == ["dispatch"]


async def test_a_mutation_that_makes_a_delivery_due_wakes_the_deliveries_too(db: Database, settings: Settings) -> None:
    subscription, _secret = await subscribe(db, "http://127.0.0.1:9/hook")
    wakes: list[str] = []
    async with _waking_context(db, settings, wakes).writing() as session:
        await webhooks.ping(session, actor=SYSTEM, id=subscription.id)
    assert wakes == ["dispatch and deliveries"]


async def test_a_wake_for_events_alone_dispatches_without_looking_for_due_deliveries(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatch wakes the deliveries itself once it has written some: a look at the wake-up
    would find none."""
    settings = Settings(database_url=database_url, dispatch_interval_seconds=3600, delivery_interval_seconds=3600)
    monkeypatch.setattr(scheduling, "WAKE_DELAY_SECONDS", 0.05)
    scheduler = Scheduler(db, settings)
    looks: list[str] = []
    poke = scheduler.deliveries.poke

    def counted() -> None:
        looks.append("look")
        poke()

    scheduler.deliveries.poke = counted  # type: ignore[method-assign]
    await scheduler.start()
    try:
        scheduler.wake_dispatch()
        await asyncio.sleep(0.3)
        assert looks == []
        scheduler.wake()
        await asyncio.sleep(0.3)
        assert looks == ["look"]
    finally:
        await scheduler.shutdown()


async def test_the_wake_ups_of_a_burst_of_commits_make_one_claim_of_all_their_events(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await small_plan(db)
    async with db.transaction() as session:  # the plan's own events are not this test's
        for event in (await session.exec(select(OutboxEvent))).all():
            event.dispatched_at = event.occurred_at
            session.add(event)
    async with db.reader() as session:
        milestone_id = (await session.exec(select(Milestone.id))).first()
    assert milestone_id is not None
    for status in (WorkStatus.IN_PROGRESS, WorkStatus.DELAYED, WorkStatus.IN_PROGRESS):
        async with db.transaction() as session:
            await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, status=status)
    # Ticks an hour apart: only the wake-ups dispatch.
    settings = Settings(database_url=database_url, dispatch_interval_seconds=3600, delivery_interval_seconds=3600)
    monkeypatch.setattr(scheduling, "WAKE_DELAY_SECONDS", 0.2)
    scheduler = Scheduler(db, settings)
    claims: list[int] = []
    claim = scheduler.dispatcher.dispatch_once

    async def counted(limit: int = BATCH) -> int:
        claims.append(await claim(limit))
        return claims[-1]

    scheduler.dispatcher.dispatch_once = counted  # type: ignore[method-assign]
    await scheduler.start()
    try:
        for _ in range(3):  # what the API does after each of the three commits
            scheduler.wake()
            await asyncio.sleep(0)
        while not claims or scheduler._dispatching or scheduler._wake_pending:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    finally:
        await scheduler.shutdown()
    async with db.reader() as session:
        events = (await session.exec(select(OutboxEvent).where(OutboxEvent.subject_id == milestone_id))).all()
    assert claims == [len(events) - 1]  # all but the milestone's creation, in one claim
