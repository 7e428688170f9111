"""Decoding a request's JSON, the same way wherever it is read."""

from __future__ import annotations

import json
from typing import Any

import orjson


def decode_json(text: str | bytes) -> Any:
    """JSON as every reader of a request decodes it. JSON may escape a lone surrogate ("\\ud800"),
    which orjson refuses: the standard library reads it, so that the text rules can refuse it
    naming the field (tracker/api/core/text_rules.py). ValueError when it is not JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if "surrogate" not in error.msg:
            raise
        return json.loads(text)


def encode_json(value: Any, *, sort_keys: bool = False) -> bytes:
    """JSON bytes for a request passed on: a lone surrogate read by `decode_json` is written back
    escaped (orjson refuses to encode it)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        return json.dumps(value, ensure_ascii=True, sort_keys=sort_keys).encode()
