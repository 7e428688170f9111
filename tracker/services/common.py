"""Helpers every service shares: the unset marker, lookups, dates and value checks."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.errors import BadInput, NotFound
from tracker.models import EvidenceSource
from tracker.models.base import utcnow
from tracker.settings import get_settings


class _Unset(Enum):
    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset.UNSET
"""Marks an argument the caller did not give (distinct from an explicit None)."""

T = TypeVar("T", bound=SQLModel)
E = TypeVar("E", bound=Enum)


async def get_or_404(session: AsyncSession, model: type[T], id: uuid.UUID, *, field: str = "id") -> T:
    row = await session.get(model, id)
    if row is None:
        raise NotFound(f"no {model.__name__} with this id", field=field)
    return row


async def delete_sources_feeding(session: AsyncSession, target_type: str, target_id: uuid.UUID) -> None:
    """The evidence sources feeding an indicator or a milestone about to be deleted: they go with it,
    as a commitment's go with the commitment (by foreign key), rather than fail at every poll."""
    await session.exec(
        delete(EvidenceSource).where(
            col(EvidenceSource.target_type) == target_type, col(EvidenceSource.target_id) == target_id
        )
    )


def today() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def touch(row: Any) -> None:
    row.updated_at = utcnow()


def finite(value: float, *, field: str) -> float:
    if not math.isfinite(value):
        raise BadInput(f"{field} must be a finite number", field=field)
    return float(value)


def enum_value(kind: type[E], value: Any, *, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise BadInput(f"{field} must be one of {allowed}", field=field) from None


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def camel_snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes keyed by their public (camelCase) names, for event data."""
    return {camel(name): getattr(row, name) for name in fields}
