"""Evaluation indicators and their measurements."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime
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


class Measurement(Row, table=True):
    __tablename__ = "measurement"
    # The latest measurement of an indicator, read on every dashboard, is one backward index scan.
    __table_args__ = (Index("ix_measurement_latest", "indicator_id", "observed_at", "created_at"),)

    indicator_id: uuid.UUID = Field(foreign_key="indicator.id", ondelete="CASCADE")
    value: float
    observed_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = None
    origin: MeasurementOrigin = Field(default=MeasurementOrigin.MANUAL, sa_type=EnumText(MeasurementOrigin, 16))
