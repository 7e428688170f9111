"""Territorial collectivities: regions, prefectures and provinces, communes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlmodel import Field

from tracker.models.base import EnumText, JSONType, Row
from tracker.models.enums import CollectivityKind
from tracker.natural import name_keys, search_text


def _inserted_name_keys(context: DefaultExecutionContext) -> dict[str, str]:
    # Inserts that build no object (the synthetic network's bulk insert) get their keys here.
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return name_keys(parameters.get("name"))


def _inserted_search_text(context: DefaultExecutionContext) -> str:
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return search_text(parameters.get("slug"), parameters.get("name"))


class Collectivity(Row, table=True):
    __tablename__ = "collectivity"

    slug: str = Field(max_length=80, unique=True, index=True)
    kind: CollectivityKind = Field(sa_type=EnumText(CollectivityKind, 32), index=True)
    name: dict[str, str] = Field(sa_type=JSONType)
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="collectivity.id", index=True, ondelete="SET NULL")
    # The natural-order key of the name for each reader's language (tracker.natural), kept on write.
    name_key: dict[str, str] | None = Field(
        default=None, sa_type=JSONType, sa_column_kwargs={"default": _inserted_name_keys}
    )
    # Slug and names folded for search (tracker.natural.search_text), kept on write.
    search_text: str | None = Field(default=None, sa_column_kwargs={"default": _inserted_search_text})


@event.listens_for(Collectivity, "before_insert")
@event.listens_for(Collectivity, "before_update")
def _keep_name_keys_and_search_text(mapper: Any, connection: Any, target: Collectivity) -> None:
    target.name_key = name_keys(target.name)
    target.search_text = search_text(target.slug, target.name)
