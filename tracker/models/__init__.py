"""SQLModel tables. Importing this package registers every table on the metadata."""

from __future__ import annotations

from sqlmodel import SQLModel

from tracker.models.access import ApiToken, ConsultativeBody
from tracker.models.audit import AuditEntry
from tracker.models.collectivity import Collectivity
from tracker.models.enums import (
    BodyKind,
    CollectivityKind,
    Direction,
    EvidenceKind,
    MeasurementOrigin,
    OgpValue,
    PlanStatus,
    Role,
    WorkStatus,
)
from tracker.models.evidence import Evidence
from tracker.models.indicator import Indicator, Measurement
from tracker.models.outbox import OutboxEvent
from tracker.models.plan import ActionPlan, Commitment, Milestone

metadata = SQLModel.metadata

__all__ = [
    "ActionPlan",
    "ApiToken",
    "AuditEntry",
    "BodyKind",
    "Collectivity",
    "CollectivityKind",
    "Commitment",
    "ConsultativeBody",
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
    "Role",
    "WorkStatus",
    "metadata",
]
