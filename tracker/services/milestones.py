"""Milestones of a commitment: dated, weighted steps whose completion drives progress."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import progress
from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput
from tracker.events.outbox import camel_changes
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import ActionPlan, Commitment, Milestone, WorkStatus
from tracker.services import derived
from tracker.services.commitments import settle_progress
from tracker.services.common import (
    UNSET,
    _Unset,
    camel_snapshot,
    delete_sources_feeding,
    enum_value,
    finite,
    get_or_404,
    today,
    touch,
)
from tracker.services.plans import plan_event

FIELDS = ("title", "due_on", "status", "completed_on", "weight")
MAX_WEIGHT = 1000.0


def check_due_on(plan: ActionPlan, due_on: date) -> None:
    if not plan.period_start <= due_on <= plan.period_end:
        raise BadInput(
            f"dueOn must be inside the plan period {plan.period_start} to {plan.period_end}",
            field="dueOn",
        )


def check_weight(weight: float) -> float:
    value = finite(weight, field="weight")
    if not 0 < value <= MAX_WEIGHT:
        raise BadInput(f"weight must be greater than 0 and at most {MAX_WEIGHT:g}", field="weight")
    return value


def settle_completion(milestone: Milestone, completed_on: date | _Unset | None) -> None:
    """Completion date follows the status: required (today by default) when completed, else none."""
    if milestone.status == WorkStatus.COMPLETED:
        if not isinstance(completed_on, _Unset) and completed_on is not None:
            milestone.completed_on = completed_on
        elif milestone.completed_on is None:
            milestone.completed_on = today()
        if milestone.completed_on > today():
            raise BadInput("completedOn cannot be in the future", field="completedOn")
    else:
        if not isinstance(completed_on, _Unset) and completed_on is not None:
            raise BadInput("completedOn is only for a COMPLETED milestone", field="completedOn")
        milestone.completed_on = None


async def create_milestone(
    session: AsyncSession,
    *,
    actor: Principal,
    commitment_id: uuid.UUID,
    title: Mapping[str, str | None],
    due_on: date,
    weight: float = 1.0,
    status: WorkStatus | str = WorkStatus.NOT_STARTED,
    completed_on: date | None = None,
) -> Milestone:
    commitment = await get_or_404(session, Commitment, commitment_id, field="commitmentId")
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    milestone = Milestone(
        commitment_id=commitment.id,
        title=clean_translations(title, field="title", required=True),
        due_on=due_on,
        weight=check_weight(weight),
        status=enum_value(WorkStatus, status, field="status"),
    )
    check_due_on(plan, due_on)
    settle_completion(milestone, completed_on)
    count = (await session.exec(select(func.count()).where(Milestone.commitment_id == commitment.id))).one()
    milestone.position = int(count)
    session.add(milestone)
    await session.flush()
    plan_event(
        session,
        plan,
        type=EventType.MILESTONE_CREATED,
        actor=actor,
        subject_type="Milestone",
        subject_id=milestone.id,
        data={"milestone": camel_snapshot(milestone, FIELDS), "commitmentId": commitment.id},
    )
    await settle_progress(session, plan=plan, actor=actor, commitment_ids=[commitment.id], counts=True)
    return milestone


async def update_milestone(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    title: Mapping[str, str | None] | _Unset = UNSET,
    due_on: date | _Unset = UNSET,
    weight: float | _Unset = UNSET,
    status: WorkStatus | str | _Unset = UNSET,
    completed_on: date | _Unset | None = UNSET,
) -> Milestone:

    def change(plan: ActionPlan, milestone: Milestone) -> dict[str, dict[str, object]]:
        before = camel_snapshot(milestone, FIELDS)
        if not isinstance(title, _Unset):
            milestone.title = clean_translations(title, field="title", required=True)
        if not isinstance(due_on, _Unset):
            check_due_on(plan, due_on)
            milestone.due_on = due_on
        if not isinstance(weight, _Unset):
            milestone.weight = check_weight(weight)
        if not isinstance(status, _Unset):
            milestone.status = enum_value(WorkStatus, status, field="status")
        settle_completion(milestone, completed_on)
        return camel_changes(before, camel_snapshot(milestone, FIELDS))

    # First without the plan's lock: a change to what the milestone already is (a form sent
    # again, a retry) writes nothing, and then takes no lock that the plan's writers would wait for.
    plan, commitment, milestone = await derived.read_with_plan(session, Milestone, id)
    ensure_can_edit(actor, plan.collectivity_id)
    if not change(plan, milestone):
        return milestone
    # A change: made again from the row as it is once locked (a writer may have changed it since).
    session.expire(milestone)
    plan, commitment, milestone = await derived.locked_with_plan(session, Milestone, id)
    status_before = milestone.status
    changed = change(plan, milestone)
    if not changed:
        return milestone
    touch(milestone)
    session.add(milestone)
    data = {"changes": changed, "commitmentId": commitment.id}
    plan_event(
        session,
        plan,
        type=EventType.MILESTONE_UPDATED,
        actor=actor,
        subject_type="Milestone",
        subject_id=milestone.id,
        data=data,
    )
    if "status" in changed:
        plan_event(
            session,
            plan,
            type=EventType.MILESTONE_STATUS_CHANGED,
            actor=actor,
            subject_type="Milestone",
            subject_id=milestone.id,
            data={"status": changed["status"], "commitmentId": commitment.id},
        )
        if milestone.status == WorkStatus.COMPLETED:
            plan_event(
                session,
                plan,
                type=EventType.MILESTONE_COMPLETED,
                actor=actor,
                subject_type="Milestone",
                subject_id=milestone.id,
                data={"completedOn": milestone.completed_on, "commitmentId": commitment.id},
            )
    # The progress rule reads a milestone's weight, and of its status only whether it is completed
    # or cancelled: a move between open statuses (NOT_STARTED, IN_PROGRESS, DELAYED) moves the
    # plan's counts, not its progress.
    weighed = "weight" in changed or not progress.weighs_alike(status_before, milestone.status)
    if weighed or "status" in changed or "dueOn" in changed:  # the due date and status: what the counts read
        await settle_progress(
            session,
            plan=plan,
            actor=actor,
            commitment_ids=[commitment.id] if weighed else [],
            milestone_moves=[(status_before, milestone.status)],
            overdue="dueOn" in changed,
        )
    return milestone


async def delete_milestone(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> Milestone:
    milestone = await get_or_404(session, Milestone, id)
    commitment = await get_or_404(session, Commitment, milestone.commitment_id)
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    plan_event(
        session,
        plan,
        type=EventType.MILESTONE_DELETED,
        actor=actor,
        subject_type="Milestone",
        subject_id=milestone.id,
        data={"milestone": camel_snapshot(milestone, FIELDS), "commitmentId": commitment.id},
    )
    await delete_sources_feeding(session, "Milestone", milestone.id)
    await session.delete(milestone)
    await settle_progress(session, plan=plan, actor=actor, commitment_ids=[commitment.id], counts=True)
    return milestone
