"""People who sign in: their accounts, the roles they hold, and the invitations that bring them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from tracker.models.base import EnumText, Row, UTCDateTime
from tracker.models.enums import Role


class Person(Row, table=True):
    __tablename__ = "person"

    # Kept lower-cased (tracker/services/people.py), so that the unique index is case-insensitive.
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    # Part of every session cookie: moving it (sign out, a new password) ends every session.
    session_version: int = Field(default=1)


class PersonRole(Row, table=True):
    """A role a person holds, scoped as an API token's is (tracker/services/tokens.py)."""

    __tablename__ = "person_role"

    person_id: uuid.UUID = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_type=EnumText(Role, 16))
    collectivity_id: uuid.UUID | None = Field(default=None, foreign_key="collectivity.id", ondelete="CASCADE")
    body_id: uuid.UUID | None = Field(default=None, foreign_key="consultative_body.id", ondelete="CASCADE")


class Invitation(Row, table=True):
    __tablename__ = "invitation"

    token_hash: str = Field(max_length=64, unique=True, index=True)
    email: str = Field(max_length=254)
    role: Role = Field(sa_type=EnumText(Role, 16))
    collectivity_id: uuid.UUID | None = Field(default=None, foreign_key="collectivity.id", ondelete="CASCADE")
    body_id: uuid.UUID | None = Field(default=None, foreign_key="consultative_body.id", ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
