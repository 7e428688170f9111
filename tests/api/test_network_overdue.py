"""The network's overdue milestones, kept per plan as of a day (`network_stats`), are what the
resolvers count from the milestones on every day: after a write, and on the days after it without
one (PostgreSQL: the planner's path beside the resolvers'). The list of overdue milestones across
the network counts them from there too (its totalCount), for the network and for a collectivity."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.derived import assert_no_drift
from tests.support.planner import Paths
from tracker import models
from tracker.access import ANONYMOUS, SYSTEM, Principal
from tracker.db import Database
from tracker.models import NetworkStats, Role, WorkStatus
from tracker.services import commitments, milestones, plans

QUERY = """{ network { overdueMilestoneCount } listed: milestones(filter: { overdue: true }, first: 1) { totalCount }
    kept: milestones(filter: { overdue: true }, collectivitySlug: "kept", first: 0) { totalCount } }"""
# Where the tracker's today is read: by name in the modules that imported it.
TODAY = ("tracker.services.common.today", "tracker.api.core.context.today", "tracker.services.milestones.today")


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, day: date) -> None:
        for name in TODAY:
            self.monkeypatch.setattr(name, lambda: day)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def paths(pg: Database) -> Paths:
    return Paths(pg)


async def _overdue(paths: Paths, principal: Principal = ANONYMOUS) -> int:
    planned, resolved = await paths.both(QUERY, principal=principal)
    assert planned == resolved
    count: int = planned["data"]["network"]["overdueMilestoneCount"]
    assert planned["data"]["listed"]["totalCount"] == count
    return count


async def _stats(db: Database, plan: models.ActionPlan) -> NetworkStats:
    async with db.reader() as session:
        row = await session.get(NetworkStats, plan.id)
    assert row is not None
    return row


async def _milestone(db: Database, commitment: models.Commitment) -> uuid.UUID:
    async with db.reader() as session:
        return (
            await session.exec(select(models.Milestone.id).where(models.Milestone.commitment_id == commitment.id))
        ).one()


async def test_a_milestone_falling_due_is_overdue_the_next_day_without_a_write(
    pg: Database, paths: Paths, clock: Clock
) -> None:
    clock.set(date(2024, 6, 29))
    plan, _ = await small_plan(pg)  # one milestone due on 2024-06-30
    assert await _overdue(paths) == 0
    clock.set(date(2024, 6, 30))
    assert await _overdue(paths) == 0  # due today: not yet overdue
    clock.set(date(2024, 7, 1))
    assert await _overdue(paths) == 1
    stats = await _stats(pg, plan)
    assert (stats.overdue_as_of, stats.overdue_count, stats.next_overdue_on) == (
        date(2024, 6, 29),
        0,
        date(2024, 6, 30),
    )
    await assert_no_drift(pg)  # counted as of its own day, the row is still right


async def test_a_day_before_the_one_counted_for_gets_the_milestones_count(
    pg: Database, paths: Paths, clock: Clock
) -> None:
    clock.set(date(2024, 7, 1))
    await small_plan(pg)
    assert await _overdue(paths) == 1
    clock.set(date(2024, 6, 1))  # a clock set back, or a reader in another time zone
    assert await _overdue(paths) == 0


async def test_completing_and_reopening_a_milestone_moves_the_count(pg: Database, paths: Paths, clock: Clock) -> None:
    clock.set(date(2024, 7, 10))
    _plan, made = await small_plan(pg, commitments_count=2)
    assert await _overdue(paths) == 2
    milestone_id = await _milestone(pg, made[0])
    async with pg.transaction() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, status=WorkStatus.COMPLETED)
    assert await _overdue(paths) == 1
    await assert_no_drift(pg)
    async with pg.transaction() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, status=WorkStatus.IN_PROGRESS)
    assert await _overdue(paths) == 2
    await assert_no_drift(pg)


async def test_moving_a_due_date_moves_the_count_and_the_day_it_changes(
    pg: Database, paths: Paths, clock: Clock
) -> None:
    clock.set(date(2024, 7, 10))
    plan, made = await small_plan(pg)
    milestone_id = await _milestone(pg, made[0])
    async with pg.transaction() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, due_on=date(2024, 8, 1))
    assert await _overdue(paths) == 0
    stats = await _stats(pg, plan)
    assert (stats.overdue_count, stats.next_overdue_on) == (0, date(2024, 8, 1))
    await assert_no_drift(pg)
    clock.set(date(2024, 8, 2))
    assert await _overdue(paths) == 1
    async with pg.transaction() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, due_on=date(2024, 9, 1))
    assert await _overdue(paths) == 0
    await assert_no_drift(pg)


async def test_deleting_a_milestone_or_a_commitment_leaves_the_count(pg: Database, paths: Paths, clock: Clock) -> None:
    clock.set(date(2024, 7, 10))
    _plan, made = await small_plan(pg, commitments_count=3)
    async with pg.transaction() as session:
        await milestones.delete_milestone(session, actor=SYSTEM, id=await _milestone(pg, made[0]))
    assert await _overdue(paths) == 2
    async with pg.transaction() as session:
        await commitments.delete_commitment(session, actor=SYSTEM, id=made[1].id)
    assert await _overdue(paths) == 1
    await assert_no_drift(pg)


async def test_a_deleted_plans_milestones_leave_the_count(pg: Database, paths: Paths, clock: Clock) -> None:
    clock.set(date(2024, 7, 10))
    gone, _ = await small_plan(pg, slug="gone", commitments_count=2)
    await small_plan(pg, slug="kept")
    assert await _overdue(paths) == 3
    async with pg.transaction() as session:
        await plans.delete_plan(session, actor=SYSTEM, id=gone.id)
    assert await _overdue(paths) == 1
    await assert_no_drift(pg)


@pytest.mark.parametrize("day", [date(2024, 6, 29), date(2024, 7, 10)], ids=["stored", "recounted"])
async def test_a_draft_plans_overdue_milestones_count_only_for_its_readers(
    pg: Database, paths: Paths, clock: Clock, day: date
) -> None:
    clock.set(date(2024, 6, 29))
    draft, _ = await small_plan(pg, slug="draft", status=models.PlanStatus.DRAFT, commitments_count=2)
    await small_plan(pg, slug="published")
    clock.set(date(2024, 7, 10))
    if day == date(2024, 7, 10):
        async with pg.transaction() as session:  # a write on the day: the counts are stored for it
            await commitments.update_commitment(
                session, actor=SYSTEM, id=(await _commitments(pg, draft))[0], status=WorkStatus.IN_PROGRESS
            )
    editor = Principal(role=Role.EDITOR, name="editor", collectivity_id=draft.collectivity_id)
    assert await _overdue(paths) == 1
    assert await _overdue(paths, Principal(role=Role.ADMIN, name="admin")) == 3
    assert await _overdue(paths, editor) == 3


async def _commitments(db: Database, plan: models.ActionPlan) -> list[uuid.UUID]:
    async with db.reader() as session:
        return list(
            (await session.exec(select(models.Commitment.id).where(models.Commitment.plan_id == plan.id))).all()
        )
