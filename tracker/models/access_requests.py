"""The register of requests for information (law 31-13): no requester identity is kept."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field

from tracker.models.base import EnumText, Row
from tracker.models.enums import AccessRequestStatus


class AccessRequest(Row, table=True):
    __tablename__ = "access_request"
    __table_args__ = (UniqueConstraint("collectivity_id", "reference", name="uq_access_request_reference"),)

    collectivity_id: uuid.UUID = Field(foreign_key="collectivity.id", index=True, ondelete="CASCADE")
    reference: str = Field(max_length=40)
    received_on: date
    subject: str | None = Field(default=None, sa_type=Text)
    status: AccessRequestStatus = Field(default=AccessRequestStatus.RECEIVED, sa_type=EnumText(AccessRequestStatus, 16))
    extended_on: date | None = None
    answered_on: date | None = None
    refusal_reason: str | None = Field(default=None, sa_type=Text)
