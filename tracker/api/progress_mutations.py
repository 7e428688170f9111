"""Mutations on milestones, indicators, measurements and evidence."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models
from tracker.api.core.context import Info
from tracker.api.core.inputs import TranslatedTextInput, given, key, optional_key, required
from tracker.api.core.relay import encode_id
from tracker.api.core.writes import perform
from tracker.api.evidence import Evidence
from tracker.api.indicators import Indicator, Measurement
from tracker.api.milestones import Milestone
from tracker.api.plan_mutations import DeleteInput
from tracker.services import evidence, indicators, milestones
from tracker.services.common import get_or_404

# The answer of a mutation names rows the service has just read and written (a milestone's
# commitment, with its new progress; the indicator measured): taken from the service's session,
# where they are, rather than read again after the commit.


def with_commitment(
    service: Callable[..., Awaitable[models.Milestone]],
) -> Callable[..., Awaitable[tuple[models.Milestone, models.Commitment]]]:
    async def run(session: AsyncSession, **arguments: Any) -> tuple[models.Milestone, models.Commitment]:
        milestone = await service(session, **arguments)
        return milestone, await get_or_404(session, models.Commitment, milestone.commitment_id)

    return run


def with_indicator(
    service: Callable[..., Awaitable[models.Measurement]],
) -> Callable[..., Awaitable[tuple[models.Measurement, models.Indicator]]]:
    async def run(session: AsyncSession, **arguments: Any) -> tuple[models.Measurement, models.Indicator]:
        measurement = await service(session, **arguments)
        return measurement, await get_or_404(session, models.Indicator, measurement.indicator_id)

    return run


@strawberry.input(description="A new milestone of a commitment.")
class CreateMilestoneInput:
    commitment_id: strawberry.ID = strawberry.field(description="The commitment.")
    title: TranslatedTextInput = strawberry.field(description="Title in one or more languages.")
    due_on: date = strawberry.field(description="Due date, inside the plan period.")
    weight: float = strawberry.field(default=1.0, description="Relative weight (> 0) in the commitment's progress.")
    status: models.WorkStatus = strawberry.field(default=models.WorkStatus.NOT_STARTED, description="Initial status.")
    completed_on: date | None = strawberry.field(
        default=None, description="Completion date, for a COMPLETED milestone (default today)."
    )


@strawberry.input(description="Changes to a milestone; fields left out stay as they are.")
class UpdateMilestoneInput:
    id: strawberry.ID = strawberry.field(description="The milestone.")
    title: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    due_on: date | None = strawberry.field(default=strawberry.UNSET, description="New due date.")
    weight: float | None = strawberry.field(default=strawberry.UNSET, description="New weight.")
    status: models.WorkStatus | None = strawberry.field(default=strawberry.UNSET, description="New status.")
    completed_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Completion date (COMPLETED only; default today)."
    )


@strawberry.type(description="Result of createMilestone.")
class CreateMilestonePayload:
    milestone: Milestone = strawberry.field(description="The new milestone.")


@strawberry.type(description="Result of updateMilestone.")
class UpdateMilestonePayload:
    milestone: Milestone = strawberry.field(description="The milestone as changed.")


@strawberry.type(description="Result of deleteMilestone.")
class DeleteMilestonePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted milestone.")


@strawberry.input(description="A new evaluation indicator of a commitment.")
class CreateIndicatorInput:
    commitment_id: strawberry.ID = strawberry.field(description="The commitment.")
    name: TranslatedTextInput = strawberry.field(description="Name in one or more languages.")
    unit: str = strawberry.field(description="Unit of the values (%, datasets, days...).")
    baseline: float = strawberry.field(description="Value at the start.")
    target: float = strawberry.field(description="Value aimed at; must differ from the baseline.")
    direction: models.Direction | None = strawberry.field(
        default=None, description="Derived from baseline and target when left out."
    )


@strawberry.input(description="Changes to an indicator; fields left out stay as they are.")
class UpdateIndicatorInput:
    id: strawberry.ID = strawberry.field(description="The indicator.")
    name: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    unit: str | None = strawberry.field(default=strawberry.UNSET, description="New unit.")
    baseline: float | None = strawberry.field(default=strawberry.UNSET, description="New baseline.")
    target: float | None = strawberry.field(default=strawberry.UNSET, description="New target.")
    direction: models.Direction | None = strawberry.field(default=strawberry.UNSET, description="New direction.")


@strawberry.type(description="Result of createIndicator.")
class CreateIndicatorPayload:
    indicator: Indicator = strawberry.field(description="The new indicator.")


@strawberry.type(description="Result of updateIndicator.")
class UpdateIndicatorPayload:
    indicator: Indicator = strawberry.field(description="The indicator as changed.")


@strawberry.type(description="Result of deleteIndicator.")
class DeleteIndicatorPayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted indicator.")


@strawberry.input(description="A value observed for an indicator.")
class RecordMeasurementInput:
    indicator_id: strawberry.ID = strawberry.field(description="The indicator.")
    value: float = strawberry.field(description="The value, in the indicator's unit.")
    observed_at: datetime = strawberry.field(description="When the value was true (ISO 8601 with offset).")
    note: str | None = strawberry.field(default=None, description="A remark.")


@strawberry.type(description="Result of recordMeasurement.")
class RecordMeasurementPayload:
    measurement: Measurement = strawberry.field(description="The new measurement.")
    indicator: Indicator = strawberry.field(description="The indicator, with its new progress.")


@strawberry.input(description="Evidence to attach to a commitment.")
class AddEvidenceInput:
    commitment_id: strawberry.ID = strawberry.field(description="The commitment.")
    url: str = strawberry.field(description="Where the evidence is published (http or https).")
    title: TranslatedTextInput = strawberry.field(description="Title in one or more languages.")
    kind: models.EvidenceKind = strawberry.field(default=models.EvidenceKind.OTHER, description="What it is.")
    published_at: datetime | None = strawberry.field(default=None, description="When it was published.")
    milestone_id: strawberry.ID | None = strawberry.field(
        default=None, description="A milestone of the same commitment it proves."
    )


@strawberry.type(description="Result of addEvidence.")
class AddEvidencePayload:
    evidence: Evidence = strawberry.field(description="The new evidence.")


@strawberry.type(description="Result of deleteEvidence.")
class DeleteEvidencePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the removed evidence.")


@strawberry.type
class ProgressMutation:
    @strawberry.mutation(description="Add a milestone to a commitment.")
    async def create_milestone(self, info: Info, input: CreateMilestoneInput) -> CreateMilestonePayload:
        row = await perform(
            info,
            milestones.create_milestone,
            commitment_id=key(input.commitment_id, "Commitment", field="commitmentId"),
            title=input.title.as_dict(),
            due_on=input.due_on,
            weight=input.weight,
            status=input.status,
            completed_on=input.completed_on,
        )
        return CreateMilestonePayload(milestone=Milestone.from_row(row))

    @strawberry.mutation(description="Change a milestone: its status, completion date, due date...")
    async def update_milestone(self, info: Info, input: UpdateMilestoneInput) -> UpdateMilestonePayload:
        row, commitment = await perform(
            info,
            with_commitment(milestones.update_milestone),
            id=key(input.id, "Milestone", field="id"),
            title=required(input.title, "title"),
            due_on=required(input.due_on, "dueOn"),
            weight=required(input.weight, "weight"),
            status=required(input.status, "status"),
            completed_on=given(input.completed_on),
        )
        info.context.loaders.commitment.prime(commitment.id, commitment)
        return UpdateMilestonePayload(milestone=Milestone.from_row(row))

    @strawberry.mutation(description="Delete a milestone.")
    async def delete_milestone(self, info: Info, input: DeleteInput) -> DeleteMilestonePayload:
        row = await perform(info, milestones.delete_milestone, id=key(input.id, "Milestone", field="id"))
        return DeleteMilestonePayload(deleted_id=strawberry.ID(encode_id("Milestone", row.id)))

    @strawberry.mutation(description="Add an evaluation indicator to a commitment.")
    async def create_indicator(self, info: Info, input: CreateIndicatorInput) -> CreateIndicatorPayload:
        row = await perform(
            info,
            indicators.create_indicator,
            commitment_id=key(input.commitment_id, "Commitment", field="commitmentId"),
            name=input.name.as_dict(),
            unit=input.unit,
            baseline=input.baseline,
            target=input.target,
            direction=input.direction,
        )
        return CreateIndicatorPayload(indicator=Indicator.from_row(row))

    @strawberry.mutation(description="Change an indicator.")
    async def update_indicator(self, info: Info, input: UpdateIndicatorInput) -> UpdateIndicatorPayload:
        row = await perform(
            info,
            indicators.update_indicator,
            id=key(input.id, "Indicator", field="id"),
            name=required(input.name, "name"),
            unit=required(input.unit, "unit"),
            baseline=required(input.baseline, "baseline"),
            target=required(input.target, "target"),
            direction=required(input.direction, "direction"),
        )
        return UpdateIndicatorPayload(indicator=Indicator.from_row(row))

    @strawberry.mutation(description="Delete an indicator and its measurements.")
    async def delete_indicator(self, info: Info, input: DeleteInput) -> DeleteIndicatorPayload:
        row = await perform(info, indicators.delete_indicator, id=key(input.id, "Indicator", field="id"))
        return DeleteIndicatorPayload(deleted_id=strawberry.ID(encode_id("Indicator", row.id)))

    @strawberry.mutation(description="Record a value observed for an indicator.")
    async def record_measurement(self, info: Info, input: RecordMeasurementInput) -> RecordMeasurementPayload:
        row, indicator = await perform(
            info,
            with_indicator(indicators.record_measurement),
            indicator_id=key(input.indicator_id, "Indicator", field="indicatorId"),
            value=input.value,
            observed_at=input.observed_at,
            note=input.note,
        )
        info.context.loaders.measurement.prime(row.id, row)  # the indicator's latest, most often
        return RecordMeasurementPayload(measurement=Measurement.from_row(row), indicator=Indicator.from_row(indicator))

    @strawberry.mutation(description="Attach evidence to a commitment (and optionally one of its milestones).")
    async def add_evidence(self, info: Info, input: AddEvidenceInput) -> AddEvidencePayload:
        row = await perform(
            info,
            evidence.add_evidence,
            commitment_id=key(input.commitment_id, "Commitment", field="commitmentId"),
            url=input.url,
            title=input.title.as_dict(),
            kind=input.kind,
            published_at=input.published_at,
            milestone_id=optional_key(input.milestone_id, "Milestone", field="milestoneId"),
        )
        return AddEvidencePayload(evidence=Evidence.from_row(row))

    @strawberry.mutation(description="Remove evidence that was attached by mistake.")
    async def delete_evidence(self, info: Info, input: DeleteInput) -> DeleteEvidencePayload:
        row = await perform(info, evidence.remove_evidence, id=key(input.id, "Evidence", field="id"))
        return DeleteEvidencePayload(deleted_id=strawberry.ID(encode_id("Evidence", row.id)))
