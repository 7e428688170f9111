"""The plan aggregate: an action plan, its commitments and their milestones."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime, derived_progress, utcnow
from tracker.models.enums import PlanStatus, WorkStatus


class ActionPlan(Row, table=True):
    __tablename__ = "action_plan"

    collectivity_id: uuid.UUID = Field(foreign_key="collectivity.id", index=True, ondelete="CASCADE")
    title: dict[str, str] = Field(sa_type=JSONType)
    description: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    period_start: date
    period_end: date
    status: PlanStatus = Field(default=PlanStatus.DRAFT, sa_type=EnumText(PlanStatus, 32), index=True)
    adopted_on: date | None = None
    # Kept by tracker.services.derived, in the transaction of each change that moves it.
    progress: float = derived_progress()


class Commitment(Row, table=True):
    __tablename__ = "commitment"
    __table_args__ = (UniqueConstraint("plan_id", "reference", name="uq_commitment_reference"),)

    plan_id: uuid.UUID = Field(foreign_key="action_plan.id", index=True, ondelete="CASCADE")
    position: int = 0
    reference: str = Field(max_length=40)
    title: dict[str, str] = Field(sa_type=JSONType)
    description: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    ogp_values: list[str] = Field(default_factory=list, sa_type=JSONType)
    lead_unit: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    partners: list[str] = Field(default_factory=list, sa_type=JSONType)
    status: WorkStatus = Field(default=WorkStatus.NOT_STARTED, sa_type=EnumText(WorkStatus, 32), index=True)
    # Kept by tracker.services.derived, in the transaction of each change that moves it.
    progress: float = derived_progress()


class Milestone(Row, table=True):
    __tablename__ = "milestone"
    # Counts of milestones by status and due date read this index alone (migration 0019).
    __table_args__ = (Index("ix_milestone_status_due_on", "status", "due_on", postgresql_include=["commitment_id"]),)

    commitment_id: uuid.UUID = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    position: int = 0
    title: dict[str, str] = Field(sa_type=JSONType)
    due_on: date = Field(index=True)
    status: WorkStatus = Field(default=WorkStatus.NOT_STARTED, sa_type=EnumText(WorkStatus, 32))
    completed_on: date | None = None
    weight: float = 1.0


class MilestoneReminder(SQLModel, table=True):
    """A reminder already announced: once per milestone, threshold and due date."""

    __tablename__ = "milestone_reminder"
    __table_args__ = (UniqueConstraint("milestone_id", "kind", "due_on", name="uq_milestone_reminder"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    milestone_id: uuid.UUID = Field(foreign_key="milestone.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    due_on: date
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
