"""Opaque global IDs: base64 of "TypeName:uuid", shared by the API and the event consumers."""

from __future__ import annotations

import base64
import binascii
import uuid

from tracker.errors import BadInput


def encode_id(type_name: str, id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id.hex}".encode()).decode().rstrip("=")


def encode_id_sql(type_name: str, key: str) -> str:
    """`encode_id(type_name, key)` in PostgreSQL, for the read planner: base64url without padding
    of "TypeName:<uuid hex>" (`key` is SQL for a uuid; `type_name` a name of the schema)."""
    if not type_name.isidentifier():
        raise ValueError(type_name)
    raw = f"convert_to('{type_name}:' || replace(CAST({key} AS text), '-', ''), 'UTF8')"
    return base64url_sql(raw)


def base64url_sql(raw: str) -> str:
    """`base64.urlsafe_b64encode(raw).rstrip("=")` of SQL bytea (encode() wraps lines at 76)."""
    return f"rtrim(translate(encode({raw}, 'base64'), E'+/\\n', '-_'), '=')"


def decode_id(value: str, *, field: str = "id", expect: str | tuple[str, ...] | None = None) -> tuple[str, uuid.UUID]:
    """The type name and key of a global ID; a malformed or unexpected one names the field."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _, key = raw.partition(":")
        parsed = uuid.UUID(hex=key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadInput(f"{field} is not a valid ID", field=field) from None
    expected = (expect,) if isinstance(expect, str) else expect
    if expected and type_name not in expected:
        raise BadInput(f"{field} must be the ID of a {' or '.join(expected)}", field=field)
    return type_name, parsed


def decode_key(value: str, expect: str | tuple[str, ...], *, field: str) -> uuid.UUID:
    return decode_id(str(value), field=field, expect=expect)[1]
