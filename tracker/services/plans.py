"""Action plans: adopted by a council for a period, made of commitments."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput
from tracker.events.outbox import camel_changes, emit
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import ActionPlan, Collectivity, Commitment, Milestone, PlanStatus
from tracker.services import derived
from tracker.services.common import UNSET, _Unset, camel_snapshot, enum_value, get_or_404, touch

FIELDS = ("title", "description", "period_start", "period_end", "status", "adopted_on")


def check_period(start: date, end: date) -> None:
    if end < start:
        raise BadInput("period.end must not be before period.start", field="period.end")


def plan_event(
    session: AsyncSession,
    plan: ActionPlan,
    *,
    type: EventType,
    actor: Principal,
    subject_type: str,
    subject_id: uuid.UUID,
    data: dict[str, object],
) -> None:
    """An event about something inside a plan; public once the plan is no longer a draft."""
    emit(
        session,
        type=type,
        actor=actor,
        subject_type=subject_type,
        subject_id=subject_id,
        collectivity_id=plan.collectivity_id,
        plan_id=plan.id,
        public=plan.status != PlanStatus.DRAFT,
        data=data,
    )


async def create_plan(
    session: AsyncSession,
    *,
    actor: Principal,
    collectivity_id: uuid.UUID,
    title: Mapping[str, str | None],
    period_start: date,
    period_end: date,
    description: Mapping[str, str | None] | None = None,
    status: PlanStatus | str = PlanStatus.DRAFT,
    adopted_on: date | None = None,
) -> ActionPlan:
    await get_or_404(session, Collectivity, collectivity_id, field="collectivityId")
    ensure_can_edit(actor, collectivity_id)
    check_period(period_start, period_end)
    plan = ActionPlan(
        collectivity_id=collectivity_id,
        title=clean_translations(title, field="title", required=True),
        description=clean_translations(description, field="description", required=False),
        period_start=period_start,
        period_end=period_end,
        status=enum_value(PlanStatus, status, field="status"),
        adopted_on=adopted_on,
    )
    session.add(plan)
    await session.flush()
    await derived.refresh(session, plan_id=plan.id, counts=True)  # its row of counts, all zero
    plan_event(
        session,
        plan,
        type=EventType.PLAN_CREATED,
        actor=actor,
        subject_type="ActionPlan",
        subject_id=plan.id,
        data={"plan": camel_snapshot(plan, FIELDS)},
    )
    return plan


async def _milestones_outside(session: AsyncSession, plan_id: uuid.UUID, start: date, end: date) -> int:
    query = (
        select(func.count())
        .select_from(Milestone)
        .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
        .where(Commitment.plan_id == plan_id)
        .where((col(Milestone.due_on) < start) | (col(Milestone.due_on) > end))
    )
    return int((await session.exec(query)).one())


async def update_plan(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    title: Mapping[str, str | None] | _Unset = UNSET,
    description: Mapping[str, str | None] | _Unset | None = UNSET,
    period_start: date | _Unset = UNSET,
    period_end: date | _Unset = UNSET,
    status: PlanStatus | str | _Unset = UNSET,
    adopted_on: date | _Unset | None = UNSET,
) -> ActionPlan:
    plan = await derived.locked_plan(session, id)
    ensure_can_edit(actor, plan.collectivity_id)
    before = camel_snapshot(plan, FIELDS)
    if not isinstance(title, _Unset):
        plan.title = clean_translations(title, field="title", required=True)
    if not isinstance(description, _Unset):
        plan.description = clean_translations(description, field="description", required=False)
    if not isinstance(period_start, _Unset):
        plan.period_start = period_start
    if not isinstance(period_end, _Unset):
        plan.period_end = period_end
    check_period(plan.period_start, plan.period_end)
    if (before["periodStart"], before["periodEnd"]) != (plan.period_start, plan.period_end):
        outside = await _milestones_outside(session, plan.id, plan.period_start, plan.period_end)
        if outside:
            raise BadInput(
                f"{outside} milestone(s) would fall outside the new period; move them first",
                field="period",
            )
    if not isinstance(status, _Unset):
        plan.status = enum_value(PlanStatus, status, field="status")
    if not isinstance(adopted_on, _Unset):
        plan.adopted_on = adopted_on
    changed = camel_changes(before, camel_snapshot(plan, FIELDS))
    if not changed:
        return plan
    touch(plan)
    session.add(plan)
    plan_event(
        session,
        plan,
        type=EventType.PLAN_UPDATED,
        actor=actor,
        subject_type="ActionPlan",
        subject_id=plan.id,
        data={"changes": changed},
    )
    if "status" in changed:
        plan_event(
            session,
            plan,
            type=EventType.PLAN_STATUS_CHANGED,
            actor=actor,
            subject_type="ActionPlan",
            subject_id=plan.id,
            data={"status": changed["status"]},
        )
    return plan


async def delete_plan(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> ActionPlan:
    plan = await derived.locked_plan(session, id)
    ensure_can_edit(actor, plan.collectivity_id)
    plan_event(
        session,
        plan,
        type=EventType.PLAN_DELETED,
        actor=actor,
        subject_type="ActionPlan",
        subject_id=plan.id,
        data={"plan": camel_snapshot(plan, FIELDS)},
    )
    await session.delete(plan)
    await session.flush()
    return plan
