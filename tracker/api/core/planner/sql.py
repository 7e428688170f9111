"""SQL text the planner composes: JSON objects and lists, scalars as strawberry prints them.

Each helper renders what the Python path renders for the same value, so that both answers parse
to the same JSON: `date.isoformat()`, `datetime.isoformat()` of UTC values, relay cursors.
Floats are printed by PostgreSQL's `float8out`, the shortest text that reads back as the same
double (as Python's `repr`) while `extra_float_digits` is above 0, the default since PostgreSQL 12;
each statement reports the setting (`EXACT_FLOATS`) and the resolvers answer when it is not.
"""

from __future__ import annotations

from tracker.ids import base64url_sql

# json_build_object takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS).
MAX_KEYS = 50
EMPTY_LIST = "CAST('[]' AS json)"
EXACT_FLOATS = "CAST(current_setting('extra_float_digits') AS integer) > 0"
FLOAT = "CAST({} AS float8)"


class TooWide(Exception):
    """A selection with more keys than one json_build_object takes."""


def literal(text: str) -> str:
    """A string constant of the schema (a response key, a type name): never a client's value."""
    return "'" + text.replace("'", "''") + "'"


def json_object(pairs: list[tuple[str, str]]) -> str:
    if len(pairs) > MAX_KEYS:
        raise TooWide(len(pairs))
    return "json_build_object(" + ", ".join(f"{literal(key)}, {value}" for key, value in pairs) + ")"


def json_list(element: str, source: str, order: str) -> str:
    """`[element for each row of source]`, [] for none."""
    return f"COALESCE((SELECT json_agg({element} ORDER BY {order}) {source}), {EMPTY_LIST})"


def iso_date(value: str) -> str:
    """`date.isoformat()` (NULL stays NULL)."""
    return f"to_char(CAST({value} AS timestamp), 'YYYY-MM-DD')"


def iso_datetime(value: str) -> str:
    """`datetime.isoformat()` of the UTC value: microseconds only when there are some."""
    utc = f"({value} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, CASE WHEN date_trunc('second', {utc}) = {utc}"
        " THEN 'YYYY-MM-DD\"T\"HH24:MI:SS' ELSE 'YYYY-MM-DD\"T\"HH24:MI:SS.US' END) || '+00:00')"
    )


def cursor(offset: str) -> str:
    """`relay.cursor_of(offset)`."""
    return base64url_sql(f"convert_to('offset:' || CAST({offset} AS text), 'UTF8')")
