"""What consultative bodies say about a plan: comments (threaded) and published assessments."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text
from sqlmodel import Field

from tracker.models.base import EnumText, Row, UTCDateTime
from tracker.models.enums import (
    AssessmentStatus,
    CompletionLevel,
    OpenedGovernment,
    PotentialImpact,
    Role,
)


class Comment(Row, table=True):
    __tablename__ = "comment"

    commitment_id: uuid.UUID = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    # Set when the comment is about one milestone of the commitment.
    milestone_id: uuid.UUID | None = Field(default=None, foreign_key="milestone.id", index=True, ondelete="CASCADE")
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="comment.id", index=True, ondelete="CASCADE")
    author_role: Role = Field(sa_type=EnumText(Role, 16))
    author_name: str = Field(sa_type=String(120))
    body_id: uuid.UUID | None = Field(default=None, foreign_key="consultative_body.id", ondelete="SET NULL")
    # Stored exactly as written; rendered through the safe Markdown subset when shown.
    text: str = Field(sa_type=Text)
    hidden_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hidden_reason: str | None = None
    hidden_by_role: Role | None = Field(default=None, sa_type=EnumText(Role, 16))


class Assessment(Row, table=True):
    __tablename__ = "assessment"

    commitment_id: uuid.UUID = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    body_id: uuid.UUID = Field(foreign_key="consultative_body.id", index=True, ondelete="CASCADE")
    author_name: str = Field(sa_type=String(120))
    status: AssessmentStatus = Field(default=AssessmentStatus.DRAFT, sa_type=EnumText(AssessmentStatus, 16))
    completion: CompletionLevel = Field(sa_type=EnumText(CompletionLevel, 16))
    potential_impact: PotentialImpact = Field(sa_type=EnumText(PotentialImpact, 16))
    opened_government: OpenedGovernment = Field(sa_type=EnumText(OpenedGovernment, 16))
    rationale: str = Field(sa_type=Text)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
