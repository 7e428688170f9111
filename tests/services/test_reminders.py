"""Deadline reminders go out once per milestone, threshold and due date."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from tests.support.builders import small_plan
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.models import Milestone, OutboxEvent, WorkStatus
from tracker.services import milestones
from tracker.services.reminders import send_reminders

DUE = date(2024, 6, 30)  # the builders' milestone


async def _remind(db: Database, today: date) -> int:
    async with db.transaction() as session:
        return await send_reminders(session, today=today)


async def _reminder_types(db: Database) -> list[str]:
    async with db.reader() as session:
        rows = (
            await session.exec(
                select(OutboxEvent.type)
                .where(col(OutboxEvent.type).in_(["milestone.due_soon", "milestone.overdue"]))
                .order_by(col(OutboxEvent.seq))
            )
        ).all()
    return list(rows)


async def test_a_milestone_due_within_a_week_is_announced_once(db: Database) -> None:
    await small_plan(db)
    assert await _remind(db, date(2024, 6, 25)) == 1
    assert await _remind(db, date(2024, 6, 26)) == 0
    assert await _reminder_types(db) == ["milestone.due_soon"]


async def test_a_late_milestone_is_announced_overdue_once(db: Database) -> None:
    await small_plan(db)
    await _remind(db, date(2024, 6, 25))
    await _remind(db, date(2024, 7, 1))
    await _remind(db, date(2024, 7, 2))
    assert await _reminder_types(db) == ["milestone.due_soon", "milestone.overdue"]


async def test_nothing_is_announced_far_from_the_due_date(db: Database) -> None:
    await small_plan(db)
    assert await _remind(db, date(2024, 5, 1)) == 0


async def test_completed_milestones_are_not_announced(db: Database) -> None:
    await small_plan(db)
    async with db.transaction() as session:
        milestone = (await session.exec(select(Milestone))).one()
        await milestones.update_milestone(
            session, actor=SYSTEM, id=milestone.id, status=WorkStatus.COMPLETED, completed_on=date(2024, 6, 1)
        )
    assert await _remind(db, date(2024, 7, 5)) == 0


async def test_a_new_due_date_gets_its_own_reminders(db: Database) -> None:
    await small_plan(db)
    await _remind(db, date(2024, 7, 1))
    async with db.transaction() as session:
        milestone = (await session.exec(select(Milestone))).one()
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone.id, due_on=date(2024, 9, 30))
    assert await _remind(db, date(2024, 9, 28)) == 1
    assert await _reminder_types(db) == ["milestone.overdue", "milestone.due_soon"]


async def test_a_backlog_goes_out_in_batches_each_once(db: Database) -> None:
    await small_plan(db, commitments_count=3)
    today = date(2024, 7, 2)
    async with db.transaction() as session:
        assert await send_reminders(session, today=today, limit=2) == 2
    async with db.transaction() as session:
        assert await send_reminders(session, today=today, limit=2) == 1
    assert await _remind(db, today) == 0
    assert await _reminder_types(db) == ["milestone.overdue"] * 3
