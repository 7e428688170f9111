"""Deadline reminders: `milestone.due_soon` a week ahead and `milestone.overdue` the day after,
each once per milestone and due date, however often the job runs."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import SYSTEM
from tracker.events.types import EventType
from tracker.models import ActionPlan, Commitment, Milestone, MilestoneReminder
from tracker.progress import CLOSED_STATUSES
from tracker.services.plans import plan_event

DUE_SOON = timedelta(days=7)
KINDS = {"DUE_SOON": EventType.MILESTONE_DUE_SOON, "OVERDUE": EventType.MILESTONE_OVERDUE}


# A batch bounds the memory of a catch-up (a network imported with years of late milestones).
BATCH = 500


async def send_reminders(session: AsyncSession, *, today: date, limit: int = BATCH) -> int:
    """Emit at most `limit` reminders not sent yet, oldest due first; returns how many."""
    closed = [status.value for status in CLOSED_STATUSES]
    kind_due = case((col(Milestone.due_on) < today, "OVERDUE"), else_="DUE_SOON")
    already = (
        select(MilestoneReminder.id)
        .where(col(MilestoneReminder.milestone_id) == col(Milestone.id))
        .where(col(MilestoneReminder.due_on) == col(Milestone.due_on))
        .where(col(MilestoneReminder.kind) == kind_due)
    )
    rows = (
        await session.exec(
            select(Milestone, Commitment, ActionPlan)
            .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
            .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
            .where(col(Milestone.status).not_in(closed))
            .where(col(Milestone.due_on) <= today + DUE_SOON)
            .where(~already.exists())
            .order_by(col(Milestone.due_on), col(Milestone.id))
            .limit(limit)
        )
    ).all()
    emitted = 0
    for milestone, commitment, plan in rows:
        kind = "OVERDUE" if milestone.due_on < today else "DUE_SOON"
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
