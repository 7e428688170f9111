"""Input types shared by mutations, and their conversion to service arguments."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

import strawberry

from tracker.api.core.relay import decode_key
from tracker.errors import BadInput
from tracker.services.common import UNSET

T = TypeVar("T")


@strawberry.input(description="A text in one or more languages; at least one must be given.")
class TranslatedTextInput:
    ar: str | None = strawberry.field(default=None, description="Arabic.")
    fr: str | None = strawberry.field(default=None, description="French.")
    en: str | None = strawberry.field(default=None, description="English.")
    zgh: str | None = strawberry.field(default=None, description="Tamazight (Tifinagh).")

    def as_dict(self) -> dict[str, str | None]:
        return {"ar": self.ar, "fr": self.fr, "en": self.en, "zgh": self.zgh}


@strawberry.input(description="A span of dates, both ends included.")
class PeriodInput:
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day.")


@strawberry.input(description="What to delete.")
class DeleteInput:
    id: strawberry.ID = strawberry.field(description="Global ID of the object to delete.")


def given(value: Any) -> Any:
    """A field the client left out becomes the services' UNSET; an explicit null stays None."""
    if value is strawberry.UNSET:
        return UNSET
    if isinstance(value, TranslatedTextInput):
        return value.as_dict()
    return value


def required(value: Any, field: str) -> Any:
    """An explicit null for a field that cannot be empty is a mistake, not a deletion."""
    if value is None:
        raise BadInput(f"{field} cannot be null", field=field)
    return given(value)


def text(value: TranslatedTextInput | None) -> dict[str, str | None] | None:
    return value.as_dict() if value is not None else None


def key(value: strawberry.ID, expect: str, *, field: str) -> Any:
    return decode_key(value, expect, field=field)


def optional_key(value: strawberry.ID | None, expect: str, *, field: str) -> Any:
    if value is strawberry.UNSET:
        return UNSET
    return None if value is None else decode_key(value, expect, field=field)
