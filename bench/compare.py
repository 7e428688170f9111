"""Do the tracker and PostGraphile answer the same data? The bench measures a pair only if so.

The peer's documents alias PostGraphile's fields to the tracker's names, so both answers have the
same shape once a few differences of spelling are folded away:
- IDs: the tracker's global IDs (base64 of `Type:hex`) and PostGraphile's node IDs (base64 of a
  JSON array ending with the key) both become the row's uuid;
- cursors (`cursor`, `startCursor`, `endCursor`) are each server's own and are left out;
- PostGraphile's `periodStart`/`periodEnd` become the tracker's `period { start end }`, and a
  mutation payload's `result` is merged into its parent (the peer aliases `result`);
- numbers are compared as floats rounded to 6 decimals, timestamps as UTC instants; progress
  figures at the precision the tracker publishes them (one decimal, `tracker.progress.published`),
  PostGraphile's computed ones being unrounded.

Different rows (list lengths, `totalCount`, an object on one side and null on the other, another
id in the same place) make a pair unfit to measure; other differences (a progress value, a title)
are reported and the pair is measured all the same.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.progress import published

CURSORS = frozenset({"cursor", "startCursor", "endCursor"})
PROGRESS = frozenset({"progress", "meanProgress"})
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Verdict:
    """What comparing two answers found."""

    errors: list[str] = field(default_factory=list)  # an answer with GraphQL errors or no data
    rows: list[str] = field(default_factory=list)  # row counts or ids that differ
    values: list[str] = field(default_factory=list)  # values that differ

    @property
    def same(self) -> bool:
        return not (self.errors or self.rows or self.values)

    @property
    def measurable(self) -> bool:
        """Both answered, with the same rows: a fair comparison even if a value differs."""
        return not (self.errors or self.rows)

    def summary(self, limit: int = 3) -> str:
        if self.same:
            return "same"
        found = [*self.errors, *self.rows, *self.values]
        more = f" (+{len(found) - limit} more)" if len(found) > limit else ""
        return "; ".join(found[:limit]) + more

    def as_dict(self, limit: int = 20) -> dict[str, Any]:
        return {
            "same": self.same,
            "errors": self.errors[:limit],
            "rows": self.rows[:limit],
            "values": self.values[:limit],
        }


def row_key(value: str) -> str:
    """The uuid inside a tracker global ID or a PostGraphile node ID; the value itself otherwise."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value
    try:
        if raw.startswith("["):
            parts = json.loads(raw)
            return str(uuid.UUID(str(parts[-1])))
        if ":" in raw:
            return str(uuid.UUID(hex=raw.partition(":")[2]))
    except (ValueError, IndexError, TypeError):
        return value
    return value


def _scalar(key: str, value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return published(float(value)) if key in PROGRESS else round(float(value), 6)
    if isinstance(value, str):
        if key == "id" or key.endswith("Id"):
            return row_key(value)
        if _DATETIME.match(value):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return value
    return value


def normalise(value: Any, key: str = "") -> Any:
    """An answer with the spelling differences of the two servers folded away."""
    if isinstance(value, list):
        return [normalise(item, key) for item in value]
    if not isinstance(value, dict):
        return _scalar(key, value)
    folded: dict[str, Any] = {}
    for name, item in value.items():
        if name in CURSORS:
            continue
        if name == "result" and isinstance(item, dict):
            folded.update(normalise(item))
        elif name in ("periodStart", "periodEnd"):
            folded.setdefault("period", {})[name.removeprefix("period").lower()] = normalise(item, name)
        else:
            folded[name] = normalise(item, name)
    return folded


def _walk(ours: Any, theirs: Any, path: str, verdict: Verdict, ignore: frozenset[str]) -> None:
    bare = re.sub(r"\[\d+\]", "", path)
    if bare in ignore:
        return
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for name in sorted(set(ours) | set(theirs)):
            where = f"{path}.{name}" if path else name
            if name not in ours or name not in theirs:
                verdict.values.append(f"{where}: only {'the tracker' if name in ours else 'PostGraphile'} has it")
                continue
            _walk(ours[name], theirs[name], where, verdict, ignore)
        return
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            verdict.rows.append(f"{path}: {len(ours)} rows against {len(theirs)}")
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=False)):
            _walk(mine, other, f"{path}[{index}]", verdict, ignore)
        return
    if ours == theirs:
        return
    key = bare.rsplit(".", 1)[-1]
    if key in ("totalCount", "id") or ours is None or theirs is None or isinstance(ours, dict | list):
        verdict.rows.append(f"{path}: {_short(ours)} against {_short(theirs)}")
    else:
        verdict.values.append(f"{path}: {_short(ours)} against {_short(theirs)}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(ours: dict[str, Any], theirs: dict[str, Any], *, ignore: frozenset[str] = frozenset()) -> Verdict:
    """Compare two GraphQL responses (the parsed JSON bodies). `ignore`: dotted paths (no list
    indexes) whose values may differ, such as the id of a row each server has just created."""
    verdict = Verdict()
    for side, answer in (("the tracker", ours), ("PostGraphile", theirs)):
        if answer.get("errors"):
            verdict.errors.append(f"{side} answered errors: {_short(answer['errors'])}")
        elif not isinstance(answer.get("data"), dict):
            verdict.errors.append(f"{side} answered no data")
    if verdict.errors:
        return verdict
    _walk(normalise(ours["data"]), normalise(theirs["data"]), "", verdict, ignore)
    return verdict
