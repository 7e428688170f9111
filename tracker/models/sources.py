"""Evidence sources: where evidence is pulled from, on which schedule, and every run's record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime
from tracker.models.enums import ProposalStatus, RunOutcome, SourceKind, SourceState


class EvidenceSource(Row, table=True):
    __tablename__ = "evidence_source"
    __table_args__ = (Index("ix_source_due", "state", "next_run_at"),)

    kind: SourceKind = Field(sa_type=EnumText(SourceKind, 16))
    url: str = Field(max_length=2048)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # An ISO 8601 duration (PT6H) or a five-field cron expression.
    schedule: str = Field(max_length=120)
    # What it feeds: an indicator (measurements), a milestone or a commitment (evidence).
    target_type: str = Field(sa_type=String(32))
    target_id: uuid.UUID
    commitment_id: uuid.UUID = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    collectivity_id: uuid.UUID = Field(foreign_key="collectivity.id", index=True, ondelete="CASCADE")
    state: SourceState = Field(default=SourceState.ACTIVE, sa_type=EnumText(SourceState, 16))
    next_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    # What the adapter keeps between runs: ETag, Last-Modified, fingerprints.
    poll_state: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class SourceRun(Row, table=True):
    __tablename__ = "source_run"

    source_id: uuid.UUID = Field(foreign_key="evidence_source.id", index=True, ondelete="CASCADE")
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime = Field(sa_type=UTCDateTime)
    outcome: RunOutcome = Field(sa_type=EnumText(RunOutcome, 16))
    items_found: int = 0
    items_new: int = 0
    measurements: int = 0
    http_status: int | None = None
    bytes_read: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    warnings: list[str] = Field(default_factory=list, sa_type=JSONType)


class MilestoneProposal(Row, table=True):
    """A source's suggestion that a milestone is done, waiting for staff to accept or reject it."""

    __tablename__ = "milestone_proposal"

    milestone_id: uuid.UUID = Field(foreign_key="milestone.id", index=True, ondelete="CASCADE")
    source_id: uuid.UUID | None = Field(default=None, foreign_key="evidence_source.id", ondelete="SET NULL")
    status: ProposalStatus = Field(default=ProposalStatus.PENDING, sa_type=EnumText(ProposalStatus, 16))
    reason: str = Field(sa_type=Text)
    value: float | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, sa_type=String(120))
    decision_note: str | None = Field(default=None, sa_type=Text)
