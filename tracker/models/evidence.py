"""Evidence: published proof that a commitment or milestone moved."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime
from tracker.models.enums import EvidenceKind, MeasurementOrigin


class Evidence(Row, table=True):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("commitment_id", "fingerprint", name="uq_evidence_fingerprint"),)

    commitment_id: uuid.UUID = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    milestone_id: uuid.UUID | None = Field(default=None, foreign_key="milestone.id", index=True, ondelete="SET NULL")
    url: str = Field(max_length=2048)
    title: dict[str, str] = Field(sa_type=JSONType)
    kind: EvidenceKind = Field(default=EvidenceKind.OTHER, sa_type=EnumText(EvidenceKind, 16))
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fingerprint: str = Field(max_length=64)
    origin: MeasurementOrigin = Field(default=MeasurementOrigin.MANUAL, sa_type=EnumText(MeasurementOrigin, 16))
