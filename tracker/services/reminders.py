"""Deadline reminders: `milestone.due_soon` a week ahead and `milestone.overdue` the day after,
each once per milestone and due date, however often the job runs."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import SYSTEM
from tracker.events.types import EventType
from tracker.models import ActionPlan, Commitment, Milestone, MilestoneReminder
from tracker.progress import CLOSED_STATUSES
from tracker.services.plans import plan_event

DUE_SOON = timedelta(days=7)
KINDS = {"DUE_SOON": EventType.MILESTONE_DUE_SOON, "OVERDUE": EventType.MILESTONE_OVERDUE}


async def send_reminders(session: AsyncSession, *, today: date) -> int:
    """Emit the reminders not sent yet; returns how many were emitted."""
    closed = [status.value for status in CLOSED_STATUSES]
    rows = (
        await session.exec(
            select(Milestone, Commitment, ActionPlan)
            .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
            .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
            .where(col(Milestone.status).not_in(closed))
            .where(col(Milestone.due_on) <= today + DUE_SOON)
        )
    ).all()
    if not rows:
        return 0
    sent = {
        (reminder.milestone_id, reminder.kind, reminder.due_on)
        for reminder in (
            await session.exec(
                select(MilestoneReminder).where(
                    col(MilestoneReminder.milestone_id).in_([milestone.id for milestone, _, _ in rows])
                )
            )
        ).all()
    }
    emitted = 0
    for milestone, commitment, plan in rows:
        kind = "OVERDUE" if milestone.due_on < today else "DUE_SOON"
        if (milestone.id, kind, milestone.due_on) in sent:
            continue
        session.add(MilestoneReminder(milestone_id=milestone.id, kind=kind, due_on=milestone.due_on))
        plan_event(
            session,
            plan,
            type=KINDS[kind],
            actor=SYSTEM,
            subject_type="Milestone",
            subject_id=milestone.id,
            data={
                "dueOn": milestone.due_on,
                "daysLate" if kind == "OVERDUE" else "daysLeft": abs((milestone.due_on - today).days),
                "status": milestone.status,
                "commitmentId": commitment.id,
            },
        )
        emitted += 1
    return emitted
