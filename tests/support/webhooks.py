"""Subscribing receivers and making events for them, as the webhook tests do it."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import SYSTEM
from tracker.db import Database
from tracker.models import Milestone, WebhookFormat, WebhookSubscription, WorkStatus
from tracker.services import milestones, webhooks


async def subscribe(
    db: Database, url: str, *, fmt: WebhookFormat = WebhookFormat.STANDARD, types: tuple[str, ...] = ("milestone.*",)
) -> tuple[WebhookSubscription, str]:
    async with db.transaction() as session:
        return await webhooks.create_subscription(
            session, actor=SYSTEM, url=url, format=fmt, event_types=types, allow_private=True
        )


async def complete_every_milestone(db: Database) -> None:
    """One transaction; three events per milestone (updated, status_changed, completed)."""
    async with db.transaction() as session:
        for milestone in (await session.exec(select(Milestone))).all():
            await complete(session, milestone)


async def complete(session: AsyncSession, milestone: Milestone) -> None:
    await milestones.update_milestone(
        session,
        actor=SYSTEM,
        id=milestone.id,
        status=WorkStatus.COMPLETED,
        completed_on=date(2024, 6, 1),
    )
