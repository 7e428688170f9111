"""Several dispatchers on PostgreSQL share the outbox without doubling anything."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.cleanup import truncate_all
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.events.dispatcher import Dispatcher
from tracker.models import Milestone, OutboxEvent, WebhookDelivery, WebhookFormat, WorkStatus
from tracker.services import milestones, webhooks


async def test_two_dispatchers_never_create_a_delivery_twice(postgres_url: str) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        await small_plan(first, commitments_count=30)
        async with first.transaction() as session:
            for number in range(3):
                await webhooks.create_subscription(
                    session,
                    actor=SYSTEM,
                    url=f"http://127.0.0.1:9/{number}",
                    format=WebhookFormat.STANDARD,
                    allow_private=True,
                )
        async with first.transaction() as session:
            for milestone in (await session.exec(select(Milestone))).all():
                await milestones.update_milestone(
                    session, actor=SYSTEM, id=milestone.id, status=WorkStatus.COMPLETED, completed_on=date(2024, 6, 1)
                )
        handled = await asyncio.gather(
            Dispatcher(first, [webhooks.fan_out]).drain(), Dispatcher(second, [webhooks.fan_out]).drain()
        )
        async with first.reader() as session:
            events = (await session.exec(select(func.count()).select_from(OutboxEvent))).one()
            deliveries = (await session.exec(select(func.count()).select_from(WebhookDelivery))).one()
            distinct = (
                await session.exec(
                    select(func.count()).select_from(
                        select(WebhookDelivery.subscription_id, WebhookDelivery.event_id).distinct().subquery()
                    )
                )
            ).one()
        assert sum(handled) == events
        assert deliveries == distinct > 0
    finally:
        await truncate_all(first)
        await first.dispose()
        await second.dispose()
