"""Evaluation indicators and their measurements."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime, derived_progress
from tracker.models.enums import Direction, MeasurementOrigin


class Indicator(Row, table=True):
    __tablename__ = "indicator"

    commitment_id: uuid.UUID = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    position: int = 0
    name: dict[str, str] = Field(sa_type=JSONType)
    unit: str = Field(max_length=40)
    baseline: float
    target: float
    direction: Direction = Field(sa_type=EnumText(Direction, 16))
    # Kept by tracker.services.derived whenever a measurement is recorded or the indicator changes:
    # its progress and its latest measurement (by observation, then recording time), none without.
    progress: float = derived_progress()
    latest_value: float | None = None
    latest_observed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # No foreign key: measurement already points here, and a cycle of keys would make the two
    # tables' creation and deletion order undecidable. Measurements go only with their indicator.
    latest_measurement_id: uuid.UUID | None = None


class Measurement(Row, table=True):
    __tablename__ = "measurement"
    # The latest measurement of an indicator, read on every dashboard, is one backward index scan.
    __table_args__ = (Index("ix_measurement_latest", "indicator_id", "observed_at", "created_at"),)

    indicator_id: uuid.UUID = Field(foreign_key="indicator.id", ondelete="CASCADE")
    value: float
    observed_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = None
    origin: MeasurementOrigin = Field(default=MeasurementOrigin.MANUAL, sa_type=EnumText(MeasurementOrigin, 16))
