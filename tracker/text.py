"""The one rule for text from outside: no NUL, no lone surrogate, kept in Unicode NFC.

PostgreSQL refuses NUL in text columns and a lone surrogate (U+D800 to U+DFFF) cannot be encoded
in UTF-8: either would fail deep in a write, as an internal error. NFC makes the same title typed
on two keyboards (a precomposed "é" or "e" and a combining accent) one stored string.
Every entry point (the API, plan files) goes through this module.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")

Path = tuple[str | int, ...]


class TextError(ValueError):
    """A text that cannot be stored; `reason` says why and `path` where, inside a JSON value."""

    def __init__(self, reason: str, path: Path = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


def clean_text(value: str) -> str:
    """`value` in NFC, or TextError for a NUL character or a lone surrogate."""
    if "\x00" in value:
        raise TextError("text cannot contain the NUL character (U+0000)")
    if value.isascii():
        return value
    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        code = f"U+{ord(surrogate.group()):04X}"
        raise TextError(f"text cannot contain a lone surrogate ({code}), which is not a character")
    return unicodedata.normalize("NFC", value)


def clean_json(value: Any) -> Any:
    """`value` (parsed JSON) with every string, keys included, through `clean_text`.

    Lists and objects are cleaned in place. The walk keeps its own stack: a deeply nested value
    sent by a client must not exhaust Python's recursion limit."""
    root = [value]
    stack: list[tuple[Any, Any, Path]] = [(root, 0, ())]
    while stack:
        container, key, path = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = _clean_at(item, path)
        elif isinstance(item, list):
            stack.extend((item, index, (*path, index)) for index in reversed(range(len(item))))
        elif isinstance(item, dict):
            cleaned = {_clean_at(name, (*path, name)) if isinstance(name, str) else name: v for name, v in item.items()}
            if list(cleaned) != list(item):
                item.clear()
                item.update(cleaned)
            stack.extend((item, name, (*path, name)) for name in reversed(list(item)))
    return root[0]


def dotted(path: Path) -> str:
    """A path as clients write it: `plan.commitments[0].title.fr`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _clean_at(value: str, path: Path) -> str:
    try:
        return clean_text(value)
    except TextError as error:
        raise TextError(error.reason, path) from None
