"""Evaluation indicators and the measurements recorded against them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput
from tracker.events.outbox import camel_changes
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import Commitment, Direction, Indicator, Measurement, MeasurementOrigin
from tracker.models.base import utcnow
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
    touch,
)
from tracker.services.plans import plan_event

FIELDS = ("name", "unit", "baseline", "target", "direction")
MAX_NOTE = 2000
CLOCK_SKEW = timedelta(minutes=5)


def clean_unit(unit: str) -> str:
    value = unit.strip()
    if not value or len(value) > 40:
        raise BadInput("unit must have 1 to 40 characters", field="unit")
    return value


def settle_direction(indicator: Indicator, direction: Direction | str | None) -> None:
    """Target must differ from baseline; the direction, given or derived, must agree with them."""
    if indicator.target == indicator.baseline:
        raise BadInput("target must differ from baseline", field="target")
    derived = Direction.INCREASE if indicator.target > indicator.baseline else Direction.DECREASE
    if direction is None:
        indicator.direction = derived
        return
    wanted = enum_value(Direction, direction, field="direction")
    if wanted != derived:
        relation = "above" if wanted == Direction.INCREASE else "below"
        raise BadInput(f"a {wanted.value} indicator needs a target {relation} its baseline", field="target")
    indicator.direction = wanted


async def create_indicator(
    session: AsyncSession,
    *,
    actor: Principal,
    commitment_id: uuid.UUID,
    name: Mapping[str, str | None],
    unit: str,
    baseline: float,
    target: float,
    direction: Direction | str | None = None,
) -> Indicator:
    commitment = await get_or_404(session, Commitment, commitment_id, field="commitmentId")
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    indicator = Indicator(
        commitment_id=commitment.id,
        name=clean_translations(name, field="name", required=True),
        unit=clean_unit(unit),
        baseline=finite(baseline, field="baseline"),
        target=finite(target, field="target"),
        direction=Direction.INCREASE,
    )
    settle_direction(indicator, direction)
    count = (await session.exec(select(func.count()).where(Indicator.commitment_id == commitment.id))).one()
    indicator.position = int(count)
    session.add(indicator)
    await session.flush()
    plan_event(
        session,
        plan,
        type=EventType.INDICATOR_CREATED,
        actor=actor,
        subject_type="Indicator",
        subject_id=indicator.id,
        data={"indicator": camel_snapshot(indicator, FIELDS), "commitmentId": commitment.id},
    )
    await settle_progress(session, plan=plan, actor=actor, indicator_ids=[indicator.id])
    return indicator


async def update_indicator(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    name: Mapping[str, str | None] | _Unset = UNSET,
    unit: str | _Unset = UNSET,
    baseline: float | _Unset = UNSET,
    target: float | _Unset = UNSET,
    direction: Direction | str | _Unset = UNSET,
) -> Indicator:
    indicator = await get_or_404(session, Indicator, id)
    commitment = await get_or_404(session, Commitment, indicator.commitment_id)
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    before = camel_snapshot(indicator, FIELDS)
    if not isinstance(name, _Unset):
        indicator.name = clean_translations(name, field="name", required=True)
    if not isinstance(unit, _Unset):
        indicator.unit = clean_unit(unit)
    if not isinstance(baseline, _Unset):
        indicator.baseline = finite(baseline, field="baseline")
    if not isinstance(target, _Unset):
        indicator.target = finite(target, field="target")
    settle_direction(indicator, None if isinstance(direction, _Unset) else direction)
    changed = camel_changes(before, camel_snapshot(indicator, FIELDS))
    if not changed:
        return indicator
    touch(indicator)
    session.add(indicator)
    plan_event(
        session,
        plan,
        type=EventType.INDICATOR_UPDATED,
        actor=actor,
        subject_type="Indicator",
        subject_id=indicator.id,
        data={"changes": changed, "commitmentId": commitment.id},
    )
    if "baseline" in changed or "target" in changed:  # what the progress rule reads
        await settle_progress(session, plan=plan, actor=actor, indicator_ids=[indicator.id])
    return indicator


async def delete_indicator(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> Indicator:
    indicator = await get_or_404(session, Indicator, id)
    commitment = await get_or_404(session, Commitment, indicator.commitment_id)
    plan = await derived.locked_plan(session, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    plan_event(
        session,
        plan,
        type=EventType.INDICATOR_DELETED,
        actor=actor,
        subject_type="Indicator",
        subject_id=indicator.id,
        data={"indicator": camel_snapshot(indicator, FIELDS), "commitmentId": commitment.id},
    )
    await delete_sources_feeding(session, "Indicator", indicator.id)
    await session.delete(indicator)
    await settle_progress(session, plan=plan, actor=actor, commitment_ids=[commitment.id])
    return indicator


async def record_measurement(
    session: AsyncSession,
    *,
    actor: Principal,
    indicator_id: uuid.UUID,
    value: float,
    observed_at: datetime,
    note: str | None = None,
    origin: MeasurementOrigin = MeasurementOrigin.MANUAL,
) -> Measurement:
    plan, commitment, indicator = await derived.locked_with_plan(session, Indicator, indicator_id, field="indicatorId")
    ensure_can_edit(actor, plan.collectivity_id)
    if observed_at.tzinfo is None:
        raise BadInput("observedAt needs a time zone offset (for example Z)", field="observedAt")
    if observed_at > utcnow() + CLOCK_SKEW:
        raise BadInput("observedAt cannot be in the future", field="observedAt")
    cleaned_note = note.strip() if note else None
    if cleaned_note and len(cleaned_note) > MAX_NOTE:
        raise BadInput(f"note is longer than {MAX_NOTE} characters", field="note")
    measurement = Measurement(
        indicator_id=indicator.id,
        value=finite(value, field="value"),
        observed_at=observed_at,
        note=cleaned_note or None,
        origin=origin,
    )
    # Not added to the session: the refresh inserts it, with the indicator's update (one statement
    # on PostgreSQL), after the events.
    plan_event(
        session,
        plan,
        type=EventType.INDICATOR_MEASURED,
        actor=actor,
        subject_type="Indicator",
        subject_id=indicator.id,
        data={
            "measurementId": measurement.id,
            "value": measurement.value,
            "unit": indicator.unit,
            "observedAt": measurement.observed_at,
            "commitmentId": commitment.id,
        },
    )
    await settle_progress(session, plan=plan, actor=actor, measured=[(indicator, measurement)])
    return measurement
