"""The bench's two writes, `updateMilestone` and `recordMeasurement`, through the API: a bounded
number of SQL statements each (the token's check, the transaction, its audit and events, the
values kept on write), and the stored values right afterwards (`tracker verify`).

A write holds its plan's lock from its locked read to its commit, and the plan's other writers
wait for it: every statement counted here that runs under the lock makes a plan take fewer
writes a second. The bounds are today's counts: a change that adds one says so here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.derived import assert_no_drift
from tests.support.graphql import Client, admin_client, operation
from tests.support.sql import count_statements
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.ids import encode_id
from tracker.models import Milestone
from tracker.services import indicators, milestones
from tracker.settings import Settings

# Per dialect, the token's check included. PostgreSQL's BEGIN and COMMIT are the driver's, not
# counted; its NOTIFY is. SQLite counts its transaction's BEGIN IMMEDIATE and sends no NOTIFY.
# Two reads of the milestone (unlocked, then locked: see services.milestones), the update, its
# audit entry and events (one statement for the two events), the plan's counts moved, the NOTIFY.
OPEN_MOVE = {"postgresql": 8, "sqlite": 9}
# The same, and the commitment summed and set, the plan read and set, the progress_changed event.
COMPLETION = {"postgresql": 13, "sqlite": 15}
# The indicator with its plan, locked; the audit entry and the event; the measurement and the
# indicator set (one statement on PostgreSQL, see services.derived); the NOTIFY.
MEASUREMENT = {"postgresql": 6, "sqlite": 7}


@pytest.fixture
async def writer(settings: Settings, db: Database) -> AsyncIterator[Client]:
    """An ADMIN's client whose token is checked on every request (no token cache: each request
    counts the same)."""
    async with admin_client(settings, db, token_cache_seconds=0) as client:
        yield client


async def _statements(client: Client, name: str, variables: dict[str, Any]) -> int:
    with count_statements(client.app.state.db) as counter:
        await client.data(operation(name), variables, admin=True)
    return counter.count


async def _milestone_key(db: Database) -> str:
    await small_plan(db)
    async with db.reader() as session:
        milestone_id = (await session.exec(select(Milestone.id))).one()
    return encode_id("Milestone", milestone_id)


async def _indicator_key(db: Database) -> str:
    """An indicator of a commitment without milestones: its progress is its indicators'."""
    _plan, (commitment,) = await small_plan(db)
    async with db.transaction() as session:
        milestone = (await session.exec(select(Milestone).where(Milestone.commitment_id == commitment.id))).one()
        await milestones.delete_milestone(session, actor=SYSTEM, id=milestone.id)
        indicator = await indicators.create_indicator(
            session, actor=SYSTEM, commitment_id=commitment.id, name={"fr": "Taux"}, unit="%", baseline=0, target=10
        )
    return encode_id("Indicator", indicator.id)


async def test_a_milestone_moved_between_open_statuses_runs_its_bounded_statements(
    writer: Client, db: Database
) -> None:
    """NOT_STARTED to IN_PROGRESS moves the plan's counts, not its progress: the commitment's
    milestones are not summed again."""
    key = await _milestone_key(db)
    count = await _statements(writer, "UpdateMilestone", {"input": {"id": key, "status": "IN_PROGRESS"}})
    assert count <= OPEN_MOVE[db.dialect], (db.dialect, count)
    await assert_no_drift(db)


async def test_a_milestone_completed_runs_its_bounded_statements(writer: Client, db: Database) -> None:
    key = await _milestone_key(db)
    count = await _statements(writer, "UpdateMilestone", {"input": {"id": key, "status": "COMPLETED"}})
    assert count <= COMPLETION[db.dialect], (db.dialect, count)
    await assert_no_drift(db)


async def test_a_milestone_moved_back_to_an_open_status_answers_and_stores_the_same_progress(
    writer: Client, db: Database
) -> None:
    key = await _milestone_key(db)
    answers = []
    for status in ("IN_PROGRESS", "DELAYED", "COMPLETED", "IN_PROGRESS", "CANCELLED", "NOT_STARTED"):
        data = await writer.data(operation("UpdateMilestone"), {"input": {"id": key, "status": status}}, admin=True)
        answers.append(data["updateMilestone"]["milestone"]["commitment"]["progress"])
        await assert_no_drift(db)
    assert answers == [0.0, 0.0, 100.0, 0.0, 0.0, 0.0]


async def test_a_measurement_runs_its_bounded_statements(writer: Client, db: Database) -> None:
    key = await _indicator_key(db)
    variables = {"input": {"indicatorId": key, "value": 4.0, "observedAt": "2024-05-10T00:00:00Z"}}
    await writer.data(operation("RecordMeasurement"), variables, admin=True)
    again = await _statements(writer, "RecordMeasurement", variables)  # tied with the latest: it moves nothing
    later = {"input": {**variables["input"], "value": 6.0, "observedAt": "2024-05-11T00:00:00Z"}}
    moving = await _statements(writer, "RecordMeasurement", later)
    assert again <= MEASUREMENT[db.dialect], (db.dialect, again, moving)
    # The indicator's progress moved: its commitment (read, its indicators read, set) and plan (read,
    # set) follow, with the commitment's progress_changed event.
    assert moving <= MEASUREMENT[db.dialect] + 6, (db.dialect, again, moving)
    await assert_no_drift(db)
