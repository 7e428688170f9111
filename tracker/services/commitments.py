"""Commitments of a plan."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput, Conflict
from tracker.events.outbox import camel_changes
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import ActionPlan, Commitment, Indicator, Measurement, OgpValue, WorkStatus
from tracker.progress import published
from tracker.services import derived
from tracker.services.common import UNSET, _Unset, camel_snapshot, enum_value, get_or_404, touch
from tracker.services.plans import plan_event

FIELDS = ("reference", "title", "description", "ogp_values", "lead_unit", "partners", "status")
MAX_PARTNERS = 50


def clean_reference(value: str) -> str:
    reference = value.strip()
    if not reference or len(reference) > 40:
        raise BadInput("reference must have 1 to 40 characters", field="reference")
    return reference


def clean_ogp_values(values: Sequence[OgpValue | str]) -> list[str]:
    cleaned = [enum_value(OgpValue, value, field="ogpValues").value for value in values]
    return list(dict.fromkeys(cleaned))


def clean_partners(values: Sequence[str]) -> list[str]:
    partners = [value.strip() for value in values if value and value.strip()]
    if len(partners) > MAX_PARTNERS or any(len(p) > 300 for p in partners):
        raise BadInput(f"partners: at most {MAX_PARTNERS} names of 300 characters", field="partners")
    return list(dict.fromkeys(partners))


async def _ensure_reference_free(session: AsyncSession, plan_id: uuid.UUID, reference: str) -> None:
    query = select(Commitment.id).where(Commitment.plan_id == plan_id, Commitment.reference == reference)
    if (await session.exec(query)).first() is not None:
        raise Conflict(f"reference {reference!r} is used by another commitment of this plan", field="reference")


async def plan_of(session: AsyncSession, commitment: Commitment) -> ActionPlan:
    return await get_or_404(session, ActionPlan, commitment.plan_id)


async def create_commitment(
    session: AsyncSession,
    *,
    actor: Principal,
    plan_id: uuid.UUID,
    reference: str,
    title: Mapping[str, str | None],
    description: Mapping[str, str | None] | None = None,
    ogp_values: Sequence[OgpValue | str] = (),
    lead_unit: Mapping[str, str | None] | None = None,
    partners: Sequence[str] = (),
    status: WorkStatus | str = WorkStatus.NOT_STARTED,
) -> Commitment:
    plan = await derived.locked_plan(session, plan_id, field="planId")
    ensure_can_edit(actor, plan.collectivity_id)
    commitment = Commitment(
        plan_id=plan.id,
        reference=clean_reference(reference),
        title=clean_translations(title, field="title", required=True),
        description=clean_translations(description, field="description", required=False),
        ogp_values=clean_ogp_values(ogp_values),
        lead_unit=clean_translations(lead_unit, field="leadUnit", required=False),
        partners=clean_partners(partners),
        status=enum_value(WorkStatus, status, field="status"),
    )
    await _ensure_reference_free(session, plan.id, commitment.reference)
    count = (await session.exec(select(func.count()).where(Commitment.plan_id == plan.id))).one()
    commitment.position = int(count)
    session.add(commitment)
    await session.flush()
    plan_event(
        session,
        plan,
        type=EventType.COMMITMENT_CREATED,
        actor=actor,
        subject_type="Commitment",
        subject_id=commitment.id,
        data={"commitment": camel_snapshot(commitment, FIELDS)},
    )
    await settle_progress(session, plan=plan, actor=actor, commitment_ids=[commitment.id], counts=True, announce=False)
    return commitment


async def update_commitment(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    reference: str | _Unset = UNSET,
    title: Mapping[str, str | None] | _Unset = UNSET,
    description: Mapping[str, str | None] | _Unset | None = UNSET,
    ogp_values: Sequence[OgpValue | str] | _Unset = UNSET,
    lead_unit: Mapping[str, str | None] | _Unset | None = UNSET,
    partners: Sequence[str] | _Unset = UNSET,
    status: WorkStatus | str | _Unset = UNSET,
) -> Commitment:
    commitment = await get_or_404(session, Commitment, id)
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    before = camel_snapshot(commitment, FIELDS)
    if not isinstance(reference, _Unset):
        new_reference = clean_reference(reference)
        if new_reference != commitment.reference:
            await _ensure_reference_free(session, plan.id, new_reference)
        commitment.reference = new_reference
    if not isinstance(title, _Unset):
        commitment.title = clean_translations(title, field="title", required=True)
    if not isinstance(description, _Unset):
        commitment.description = clean_translations(description, field="description", required=False)
    if not isinstance(ogp_values, _Unset):
        commitment.ogp_values = clean_ogp_values(ogp_values)
    if not isinstance(lead_unit, _Unset):
        commitment.lead_unit = clean_translations(lead_unit, field="leadUnit", required=False)
    if not isinstance(partners, _Unset):
        commitment.partners = clean_partners(partners)
    if not isinstance(status, _Unset):
        commitment.status = enum_value(WorkStatus, status, field="status")
    changed = camel_changes(before, camel_snapshot(commitment, FIELDS))
    if not changed:
        return commitment
    touch(commitment)
    session.add(commitment)
    await session.flush()
    plan_event(
        session,
        plan,
        type=EventType.COMMITMENT_UPDATED,
        actor=actor,
        subject_type="Commitment",
        subject_id=commitment.id,
        data={"changes": changed},
    )
    if "status" in changed:
        plan_event(
            session,
            plan,
            type=EventType.COMMITMENT_STATUS_CHANGED,
            actor=actor,
            subject_type="Commitment",
            subject_id=commitment.id,
            data={"status": changed["status"]},
        )
        # The only field of a commitment that the progress rule and the counts read.
        await settle_progress(session, plan=plan, actor=actor, commitment_ids=[commitment.id], counts=True)
    return commitment


async def settle_progress(
    session: AsyncSession,
    *,
    plan: ActionPlan,
    actor: Principal,
    commitment_ids: Iterable[uuid.UUID] = (),
    indicator_ids: Iterable[uuid.UUID] = (),
    counts: bool = False,
    milestone_moves: Iterable[tuple[WorkStatus, WorkStatus]] = (),
    measured: Iterable[tuple[Indicator, Measurement]] = (),
    overdue: bool = False,
    announce: bool = True,
) -> None:
    """Update the plan's stored progress and counts after a change (see `services.derived`), and
    emit `commitment.progress_changed` for each commitment whose progress the change moved."""
    moved = await derived.refresh(
        session,
        plan_id=plan.id,
        commitment_ids=commitment_ids,
        indicator_ids=indicator_ids,
        counts=counts,
        milestone_moves=milestone_moves,
        measured=measured,
        overdue=overdue,
    )
    if not announce:
        return
    for commitment_id, change in moved.items():
        # Events say progress as the API does: a move too small to show there is no news.
        before, after = published(change.before), published(change.after)
        if change.changed and before != after:
            plan_event(
                session,
                plan,
                type=EventType.COMMITMENT_PROGRESS_CHANGED,
                actor=actor,
                subject_type="Commitment",
                subject_id=commitment_id,
                data={"progress": {"before": before, "after": after}},
            )


async def delete_commitment(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> Commitment:
    commitment = await get_or_404(session, Commitment, id)
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    plan_event(
        session,
        plan,
        type=EventType.COMMITMENT_DELETED,
        actor=actor,
        subject_type="Commitment",
        subject_id=commitment.id,
        data={"commitment": camel_snapshot(commitment, FIELDS)},
    )
    await session.delete(commitment)
    await settle_progress(session, plan=plan, actor=actor, counts=True)
    return commitment
