"""The dispatcher hands every outbox event to its consumers once, in order, and marks it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.support.builders import small_plan
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.models import OutboxEvent


async def test_every_event_reaches_consumers_once_in_order(db: Database) -> None:
    await small_plan(db, commitments_count=2)
    seen: list[int] = []

    async def consumer(_session: AsyncSession, events: Sequence[OutboxEvent]) -> None:
        seen.extend(event.seq or 0 for event in events)

    dispatcher = Dispatcher(db, [consumer])
    handled = await dispatcher.drain()
    assert handled == len(seen) > 0
    assert seen == sorted(seen)
    assert await dispatcher.drain() == 0
    async with db.reader() as session:
        pending = (await session.exec(select(OutboxEvent).where(col(OutboxEvent.dispatched_at).is_(None)))).all()
    assert pending == []


async def test_a_failing_consumer_leaves_events_in_the_outbox(db: Database) -> None:
    await small_plan(db)

    async def broken(_session: AsyncSession, _events: Sequence[OutboxEvent]) -> None:
        raise RuntimeError("consumer down")

    with pytest.raises(RuntimeError):
        await Dispatcher(db, [broken]).dispatch_once()
    async with db.reader() as session:
        pending = (await session.exec(select(OutboxEvent).where(col(OutboxEvent.dispatched_at).is_(None)))).all()
    assert len(pending) > 0
