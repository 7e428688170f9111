"""The Indicator and Measurement types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from tracker import models, progress
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.lang import within
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.api.core.relay import Connection, Node, PageArgs, encode_id, page_of_list
from tracker.api.history import Audited


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
