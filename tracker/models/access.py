"""Who may act: API tokens (stored hashed) and the consultative bodies monitors belong to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row, UTCDateTime
from tracker.models.enums import BodyKind, Role


class ConsultativeBody(Row, table=True):
    __tablename__ = "consultative_body"

    collectivity_id: uuid.UUID = Field(foreign_key="collectivity.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=80, unique=True, index=True)
    kind: BodyKind = Field(sa_type=EnumText(BodyKind, 40))
    name: dict[str, str] = Field(sa_type=JSONType)
    description: dict[str, str] = Field(default_factory=dict, sa_type=JSONType)
    # Roles held in the body (e.g. rapporteur), with names as the body publishes them.
    members: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)


class ApiToken(Row, table=True):
    __tablename__ = "api_token"

    # The public half of a token (`trk_<key_id>_<secret>`): finds the row without the secret.
    key_id: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    name: str = Field(max_length=120)
    role: Role = Field(sa_type=EnumText(Role, 16))
    collectivity_id: uuid.UUID | None = Field(default=None, foreign_key="collectivity.id", ondelete="CASCADE")
    body_id: uuid.UUID | None = Field(default=None, foreign_key="consultative_body.id", ondelete="CASCADE")
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The person who made it from their account page; none for tokens made by `tracker token`.
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True, ondelete="CASCADE")
