"""Answers kept for requests sent with an Idempotency-Key, so a retry gets them instead of a second change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from tracker.models.base import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"

    # Whose key: `token:<key id>` or `anonymous:<client address>`; one client cannot replay another's answer.
    scope: str = Field(primary_key=True, max_length=120)
    key: str = Field(primary_key=True, max_length=255)
    # SHA-256 of the request (its JSON body, canonical): the same key with another request is a conflict.
    fingerprint: str = Field(max_length=64)
    # The answer as sent: null only inside the transaction that is still computing it.
    status_code: int | None = Field(default=None)
    media_type: str | None = Field(default=None, max_length=120)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
