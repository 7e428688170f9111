"""SQLModel tables. Importing this package registers every table on the metadata."""

from __future__ import annotations

from sqlmodel import SQLModel

from tracker.models.collectivity import Collectivity
from tracker.models.enums import (
    CollectivityKind,
    Direction,
    EvidenceKind,
    MeasurementOrigin,
    OgpValue,
    PlanStatus,
    WorkStatus,
)
from tracker.models.evidence import Evidence
from tracker.models.indicator import Indicator, Measurement
from tracker.models.outbox import OutboxEvent
from tracker.models.plan import ActionPlan, Commitment, Milestone

metadata = SQLModel.metadata

__all__ = [
    "ActionPlan",
    "Collectivity",
    "CollectivityKind",
    "Commitment",
    "Direction",
    "Evidence",
    "EvidenceKind",
    "Indicator",
    "Measurement",
    "MeasurementOrigin",
    "Milestone",
    "OgpValue",
    "OutboxEvent",
    "PlanStatus",
    "WorkStatus",
    "metadata",
]
