"""The Indicator and Measurement types: their fields, their mutations (recordMeasurement among
them) and their SQL spelling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models, progress
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.inputs import DeleteInput, TranslatedTextInput, key, required
from tracker.api.core.lang import within
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.api.core.relay import Connection, Node, PageArgs, encode_id, page_of_list
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.services import indicators
from tracker.services.common import get_or_404


@strawberry.type(description="A value observed for an indicator at a point in time.")
class Measurement(Node):
    row: strawberry.Private[models.Measurement]
    value: float = strawberry.field(description="The observed value, in the indicator's unit.")
    observed_at: datetime = strawberry.field(description="When the value was true.")
    note: str | None = strawberry.field(description="Remark of whoever recorded it.")
    origin: models.MeasurementOrigin = strawberry.field(description="Entered by hand, imported or pulled by a source.")
    recorded_at: datetime = strawberry.field(description="When it was recorded in the tracker.")

    @classmethod
    def from_row(cls, row: models.Measurement) -> Measurement:
        return cls(
            id=strawberry.ID(encode_id("Measurement", row.id)),
            row=row,
            value=row.value,
            observed_at=row.observed_at,
            note=row.note,
            origin=row.origin,
            recorded_at=row.created_at,
        )


@strawberry.type(description="An evaluation indicator of a commitment, from a baseline to a target.")
class Indicator(Node, Audited):
    row: strawberry.Private[models.Indicator]
    unit: str = strawberry.field(description="Unit of the values (%, datasets, days...).")
    baseline: float = strawberry.field(description="Value at the start.")
    target: float = strawberry.field(description="Value aimed at by the end of the plan.")
    direction: models.Direction = strawberry.field(description="Whether the value should go up or down.")

    @classmethod
    def from_row(cls, row: models.Indicator) -> Indicator:
        return cls(
            id=strawberry.ID(encode_id("Indicator", row.id)),
            row=row,
            unit=row.unit,
            baseline=row.baseline,
            target=row.target,
            direction=row.direction,
        )

    @strawberry.field(description="Name in the language asked for (see `lang`).")
    def name(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.name, within(info, lang))

    @strawberry.field(description="The most recent measurement, if any.")
    async def latest(self, info: Info) -> Measurement | None:
        if self.row.latest_measurement_id is None:  # kept on write by services.derived
            return None
        row = await info.context.loaders.measurement.load(self.row.latest_measurement_id)
        return Measurement.from_row(row) if row else None

    @strawberry.field(
        description="Share of the way from baseline to target, 0 to 100, to one decimal place (see the progress rule)."
    )
    def progress(self) -> float:
        return progress.published(self.row.progress)  # kept on write by services.derived

    @strawberry.field(description="Measurements, newest first.")
    async def measurements(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Measurement]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.measurements_by_indicator.load(self.row.id)
        return page_of_list([Measurement.from_row(row) for row in rows], args)


# The answer of recordMeasurement names the indicator the service has just measured, with its new
# progress: taken from the service's session, where it is, rather than read again after the commit.
def with_indicator(
    service: Callable[..., Awaitable[models.Measurement]],
) -> Callable[..., Awaitable[tuple[models.Measurement, models.Indicator]]]:
    async def run(session: AsyncSession, **arguments: Any) -> tuple[models.Measurement, models.Indicator]:
        measurement = await service(session, **arguments)
        return measurement, await get_or_404(session, models.Indicator, measurement.indicator_id)

    return run


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


@strawberry.type
class IndicatorMutation:
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


# How the read planner spells these types in SQL (tracker/api/core/planner), beside their fields.
planner.spell(
    "Measurement",
    id=planner.GlobalId("Measurement"),
    value=planner.Column("value"),
    observed_at=planner.Column("observed_at", sql.iso_datetime),
    note=planner.Column("note"),
    origin=planner.Column("origin"),
    recorded_at=planner.Column("created_at", sql.iso_datetime),
)
# Newest first, as Loaders.measurements_by_indicator reads them.
MEASUREMENT_ORDER = "{to}.observed_at DESC, {to}.created_at DESC, {to}.id"
planner.spell(
    "Indicator",
    id=planner.GlobalId("Indicator"),
    unit=planner.Column("unit"),
    baseline=planner.Column("baseline"),
    target=planner.Column("target"),
    direction=planner.Column("direction"),
    name=planner.Translated("name"),
    # Both kept on write by services.derived, by the rule of tracker.progress.
    latest=planner.ToOne(
        "Measurement", "measurement", lambda row, to, target, plan: f"{to}.id = {row}.latest_measurement_id"
    ),
    progress=planner.Column("progress", planned_progress.published),
    measurements=planner.Connection(
        "Measurement",
        "measurement",
        lambda row, to, target, plan: f"{to}.indicator_id = {row}.id",
        planner.static_order(MEASUREMENT_ORDER),
    ),
)
