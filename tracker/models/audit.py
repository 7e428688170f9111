"""The audit trail: who changed what, when, with the values before and after. Append-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from tracker.models.base import EnumText, JSONType, UTCDateTime, utcnow
from tracker.models.enums import Role


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_subject", "subject_id", "seq"),)

    seq: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
        sa_column_kwargs={"autoincrement": True},
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    action: str = Field(sa_type=String(64), index=True)
    subject_type: str = Field(sa_type=String(32))
    subject_id: uuid.UUID
    collectivity_id: uuid.UUID | None = Field(default=None, index=True)
    plan_id: uuid.UUID | None = Field(default=None, index=True)
    public: bool = True
    actor_role: Role = Field(sa_type=EnumText(Role, 16))
    # The token's name: shown to administrators and the collectivity's own people, never publicly.
    actor_name: str = Field(sa_type=String(120))
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
