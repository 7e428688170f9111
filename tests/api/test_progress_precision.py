"""Every progress the API answers has one decimal place, by the rule's rounding, on every read path.

Stored values keep full precision (tracker verify checks them); the resolvers, the planner and the
path without strawberry (the same text sent again) round them alike on the way out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import select

from tests.support.builders import ait_melloul
from tests.support.planner import Paths
from tracker import models, progress
from tracker.db import Database
from tracker.ids import encode_id

QUERY = """{ collectivity(slug: "ait-melloul") { currentPlan { id progress
    commitments(first: 20) { nodes { id progress milestones(first: 1) { nodes { progress } }
        indicators(first: 20) { nodes { id progress } } } } } }
  network { meanProgress byKind { meanProgress } } }"""


def _progresses(data: Any) -> Iterator[float]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("progress", "meanProgress"):
                yield value
            else:
                yield from _progresses(value)
    elif isinstance(data, list):
        for item in data:
            yield from _progresses(item)


async def _stored(db: Database) -> dict[str, float]:
    """The stored progress of each plan, commitment and indicator, by global ID."""
    found: dict[str, float] = {}
    async with db.reader() as session:
        for model, type_name in ((models.ActionPlan, "ActionPlan"), (models.Commitment, "Commitment")):
            for key, value in (await session.exec(select(model.id, model.progress))).all():
                found[encode_id(type_name, key)] = value
        for key, value in (await session.exec(select(models.Indicator.id, models.Indicator.progress))).all():
            found[encode_id("Indicator", key)] = value
    return found


def _by_id(data: Any) -> Iterator[tuple[str, float]]:
    if isinstance(data, dict):
        if "id" in data and "progress" in data:
            yield data["id"], data["progress"]
        for value in data.values():
            yield from _by_id(value)
    elif isinstance(data, list):
        for item in data:
            yield from _by_id(item)


async def test_every_progress_answered_is_the_stored_value_published_to_one_decimal(db: Database) -> None:
    await ait_melloul(db)
    paths = Paths(db)
    planned, resolved = await paths.both(QUERY)
    assert planned == resolved
    if db.dialect == "postgresql":
        assert await paths.ready(QUERY) == planned
    data = resolved["data"]
    stored = await _stored(db)
    answered = dict(_by_id(data))
    assert answered
    assert all(value == progress.published(stored[key]) for key, value in answered.items())
    # The demo has values that need rounding (80.27210884353742...), and every one was rounded.
    assert any(stored[key] != value for key, value in answered.items())
    assert all(value == round(value, 1) for value in _progresses(data))
