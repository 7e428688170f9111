"""The transactional outbox: one row per state change, written with the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlmodel import Field, SQLModel

from tracker.models.base import JSONType, UTCDateTime, utcnow


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_undispatched", "dispatched_at", "seq"),)

    # The sequence gives consumers a total order and the dispatcher a cheap cursor.
    seq: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
        sa_column_kwargs={"autoincrement": True},
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    type: str = Field(sa_type=String(64), index=True)
    subject_type: str = Field(sa_type=String(32))
    subject_id: uuid.UUID = Field(index=True)
    collectivity_id: uuid.UUID | None = Field(default=None, index=True)
    plan_id: uuid.UUID | None = Field(default=None, index=True)
    public: bool = True
    actor: str = Field(default="system", sa_type=String(120))
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # When the change was committed: what cursors follow (`events(filter: {since})`, a
    # subscription's start), so a late-recorded fact is never behind a consumer's cursor.
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # When the fact happened, set only when that is not `occurred_at`: an imported or seeded
    # completion, measurement or publication keeps its own date (docs/events.md).
    happened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # False for what loading the demo or a plan file created (the plan, its commitments, their
    # milestones...): kept for the history and the audit trail, but not news for feeds and webhooks.
    announced: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
