"""Territorial collectivities: regions, prefectures and provinces, communes."""

from __future__ import annotations

import uuid

from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row
from tracker.models.enums import CollectivityKind


class Collectivity(Row, table=True):
    __tablename__ = "collectivity"

    slug: str = Field(max_length=80, unique=True, index=True)
    kind: CollectivityKind = Field(sa_type=EnumText(CollectivityKind, 32), index=True)
    name: dict[str, str] = Field(sa_type=JSONType)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="collectivity.id", index=True, ondelete="SET NULL")
