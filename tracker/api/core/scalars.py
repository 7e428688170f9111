"""The Date and DateTime scalars, answering a malformed value in the client's terms.

strawberry's own definitions append the parser's exception text ("Invalid isoformat string",
"month must be in 1..12", dateutil's "Expected 4 digits"): Python talking to a frontend
developer. These run strawberry's parsers, so they accept exactly what those accept, and say
which form is expected instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from graphql import GraphQLError


def shown(value: object) -> str:
    """A value as the client wrote it in JSON or GraphQL (not Python's repr)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _told(definition: ScalarDefinition, expected: str) -> ScalarDefinition:
    parse = definition.parse_value
    assert parse is not None

    def parse_value(value: object) -> Any:
        try:
            return parse(value)
        except (GraphQLError, ValueError, TypeError, OverflowError):
            raise GraphQLError(f"{definition.name} cannot represent {shown(value)}: expected {expected}.") from None

    return dataclasses.replace(definition, parse_value=parse_value)


DATE = _told(DateDefinition, "an existing day written YYYY-MM-DD (ISO 8601)")
DATE_TIME = _told(DateTimeDefinition, "a date and time in ISO 8601, such as 2025-11-30T14:00:00+01:00")

SCALAR_OVERRIDES: Mapping[object, ScalarDefinition] = {dt.date: DATE, dt.datetime: DATE_TIME}
