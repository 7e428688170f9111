"""Values kept on write: bounded work per change, right under concurrent writers, and `tracker verify`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.derived import assert_no_drift
from tests.support.graphql import Client
from tests.support.processes import run_tracker
from tests.support.sql import count_statements
from tracker.access import SYSTEM
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import ActionPlan, Commitment, Indicator, Milestone, NetworkStats, WorkStatus
from tracker.services import commitments, common, derived, indicators, milestones


async def _milestone_of(db: Database, commitment: Commitment) -> uuid.UUID:
    async with db.reader() as session:
        return (await session.exec(select(Milestone.id).where(Milestone.commitment_id == commitment.id))).one()


async def _statements_of_a_milestone_update(db: Database, commitments: int) -> int:
    _plan, made = await small_plan(db, slug=f"plan-{commitments}", commitments_count=commitments)
    milestone_id = await _milestone_of(db, made[0])
    with count_statements(db) as counter:
        async with db.transaction() as session:
            await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, status=WorkStatus.COMPLETED)
    return counter.count


async def test_a_milestone_update_runs_as_many_statements_in_a_plan_of_3_or_300_commitments(db: Database) -> None:
    few = await _statements_of_a_milestone_update(db, 3)
    many = await _statements_of_a_milestone_update(db, 300)
    assert few == many
    # 12: two reads of the milestone, its commitment and its plan (the first unlocked, to find
    # whether anything changes; the second locked); the update, its audit rows and its events;
    # two statements each for its commitment and its plan; one moving the plan's counts; the
    # commitment's progress_changed event; the NOTIFY. SQLite counts two more, its transaction's
    # own BEGIN IMMEDIATE (tracker/db.py) among them.
    assert many <= (14 if db.dialect == "sqlite" else 12)


async def test_a_milestone_update_that_changes_nothing_reads_once_and_writes_nothing(db: Database) -> None:
    _plan, made = await small_plan(db)
    milestone_id = await _milestone_of(db, made[0])
    async with db.reader() as session:
        milestone = await session.get(Milestone, milestone_id)
    assert milestone is not None
    with count_statements(db) as counter:
        async with db.transaction() as session:
            await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, status=milestone.status)
    # The read, unlocked: nothing for the plan's writers to wait for (SQLite counts its BEGIN).
    assert counter.count == (2 if db.dialect == "sqlite" else 1)


async def test_a_milestone_update_moves_its_commitment_plan_and_counts(db: Database) -> None:
    plan, made = await small_plan(db, commitments_count=2)
    milestone_id = await _milestone_of(db, made[0])
    async with db.transaction() as session:
        await milestones.update_milestone(session, actor=SYSTEM, id=milestone_id, status=WorkStatus.COMPLETED)
    async with db.reader() as session:
        commitments = dict((await session.exec(select(Commitment.id, Commitment.progress))).all())
        stored_plan = await session.get(ActionPlan, plan.id)
        stats = await session.get(NetworkStats, plan.id)
    assert commitments == {made[0].id: 100.0, made[1].id: 0.0}
    assert stored_plan is not None and stored_plan.progress == 50.0
    assert stats is not None and (stats.milestones_completed, stats.milestones_not_started) == (1, 1)
    assert stats.commitments_not_started == 2


@pytest.fixture
async def named_db(db: Database) -> AsyncIterator[Database]:
    """A second pool on the test database whose connections are named, to find them in pg_locks."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: no concurrent writers to keep apart")
    name = f"derived-{uuid.uuid4().hex[:8]}"
    url = make_url(db.url).update_query_dict({"application_name": name})
    named = Database(url.render_as_string(hide_password=False))
    named.info_name = name  # type: ignore[attr-defined]
    try:
        yield named
    finally:
        await named.dispose()


async def _wait_until_one_waits_for_a_lock(db: Database, name: str) -> None:
    query = text(
        "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
        " WHERE NOT pg_locks.granted AND pg_stat_activity.application_name = :name"
    )
    for _ in range(200):
        async with db.engine.connect() as connection:
            if (await connection.execute(query, {"name": name})).scalar_one():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the second writer never waited for the first")


async def _one_after_the_other(
    db: Database, named_db: Database, first: tuple[uuid.UUID, WorkStatus], second: tuple[uuid.UUID, WorkStatus]
) -> None:
    """Two transactions set a milestone's status each, the second starting while the first has
    written but not committed (and so waiting for the plan's lock)."""
    written = asyncio.Event()
    release = asyncio.Event()

    async def one() -> None:
        async with named_db.transaction() as session:
            await milestones.update_milestone(session, actor=SYSTEM, id=first[0], status=first[1])
            written.set()
            await release.wait()

    async def other() -> None:
        await written.wait()
        async with named_db.transaction() as session:
            await milestones.update_milestone(session, actor=SYSTEM, id=second[0], status=second[1])

    writers = asyncio.gather(one(), other())
    try:
        await _wait_until_one_waits_for_a_lock(db, named_db.info_name)  # type: ignore[attr-defined]
    finally:
        release.set()
        await writers


async def test_two_writers_of_one_plan_leave_its_counts_and_progress_right(db: Database, named_db: Database) -> None:
    """Two transactions complete a milestone each, in two commitments of one plan, the second
    starting while the first has written but not committed: both changes are in the counts and
    in the plan's progress (a writer recomputing from what it saw before the other committed
    would leave one out)."""
    plan, made = await small_plan(db, commitments_count=2)
    first_id, second_id = [await _milestone_of(db, commitment) for commitment in made]
    await _one_after_the_other(db, named_db, (first_id, WorkStatus.COMPLETED), (second_id, WorkStatus.COMPLETED))
    async with db.reader() as session:
        stats = await session.get(NetworkStats, plan.id)
        stored_plan = await session.get(ActionPlan, plan.id)
    assert stats is not None and (stats.milestones_completed, stats.milestones_not_started) == (2, 0)
    assert stored_plan is not None and stored_plan.progress == 100.0
    await assert_no_drift(db)


async def test_a_move_between_open_statuses_and_a_completion_in_one_commitment_both_land(
    db: Database, named_db: Database
) -> None:
    """The first writer moves a milestone from NOT_STARTED to IN_PROGRESS (its commitment's
    progress is not recomputed: the move does not change what the rule reads) while the second,
    waiting for the plan's lock, completes the commitment's other milestone: the counts have both
    moves, the progress the completion."""
    plan, (commitment,) = await small_plan(db)
    first_id = await _milestone_of(db, commitment)
    async with db.transaction() as session:
        second = await milestones.create_milestone(
            session, actor=SYSTEM, commitment_id=commitment.id, title={"fr": "Deuxième"}, due_on=date(2025, 6, 30)
        )
    await _one_after_the_other(db, named_db, (first_id, WorkStatus.IN_PROGRESS), (second.id, WorkStatus.COMPLETED))
    async with db.reader() as session:
        stats = await session.get(NetworkStats, plan.id)
        stored_plan = await session.get(ActionPlan, plan.id)
    assert stats is not None
    assert (stats.milestones_not_started, stats.milestones_in_progress, stats.milestones_completed) == (0, 1, 1)
    assert stored_plan is not None and stored_plan.progress == 50.0
    await assert_no_drift(db)


async def _corrupt(db: Database, statement: str, *, id: uuid.UUID, **params: object) -> None:
    """Write behind the services' back; `id` is bound as a uuid, as each dialect stores one."""
    async with db.engine.begin() as connection:
        await connection.execute(text(statement).bindparams(bindparam("id", type_=Uuid)), {"id": id, **params})


async def test_verify_names_a_stored_progress_that_drifted_and_exits_1(db: Database) -> None:
    _plan, made = await small_plan(db)
    await _corrupt(db, "UPDATE commitment SET progress = 42.5 WHERE id = :id", id=made[0].id)
    result = run_tracker("verify", env={"TRACKER_DATABASE_URL": db.url})
    assert result.returncode == 1, result.stderr
    assert f"commitment {made[0].id} progress: stored 42.5, computed 0.0" in result.stdout.splitlines()


async def test_verify_names_a_count_that_drifted(db: Database) -> None:
    plan, _made = await small_plan(db)
    await _corrupt(db, "UPDATE network_stats SET milestones_delayed = 3 WHERE plan_id = :id", id=plan.id)
    result = run_tracker("verify", env={"TRACKER_DATABASE_URL": db.url})
    assert result.returncode == 1, result.stderr
    assert f"network_stats {plan.id} milestones_delayed: stored 3, computed 0" in result.stdout.splitlines()


async def test_verify_fix_writes_the_rules_values_and_then_verify_is_clean(db: Database) -> None:
    plan, _made = await small_plan(db)
    await _corrupt(db, "UPDATE action_plan SET progress = 7 WHERE id = :id", id=plan.id)
    await _corrupt(db, "DELETE FROM network_stats WHERE plan_id = :id", id=plan.id)
    env = {"TRACKER_DATABASE_URL": db.url}
    fixed = run_tracker("verify", "--fix", env=env)
    assert fixed.returncode == 0, fixed.stderr
    assert f"action_plan {plan.id} progress: stored 7.0, computed 0.0" in fixed.stdout.splitlines()
    clean = run_tracker("verify", env=env)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.splitlines() == ["every stored progress, latest measurement and count agrees with the rows"]


async def test_check_lists_what_a_change_made_outside_the_services_left_behind(db: Database) -> None:
    _plan, made = await small_plan(db)
    await _corrupt(
        db,
        "UPDATE milestone SET status = 'COMPLETED', completed_on = :day WHERE commitment_id = :id",
        day=date(2024, 6, 1),
        id=made[0].id,
    )
    async with db.reader() as session:
        drifts = await derived.check(session)
    assert {(drift.table, drift.column, drift.stored, drift.computed) for drift in drifts} == {
        ("commitment", "progress", 0.0, 100.0),
        ("action_plan", "progress", 0.0, 100.0),
        ("network_stats", "milestones_completed", 0, 1),
        ("network_stats", "milestones_not_started", 1, 0),
        ("network_stats", "overdue_count", 1, 0),  # due 2024-06-30, overdue until completed
    }


UPDATE_INDICATOR = """
mutation($input: UpdateIndicatorInput!) { updateIndicator(input: $input) { indicator { progress latest { value } } } }
"""
UPDATE_COMMITMENT = """
mutation($input: UpdateCommitmentInput!) {
  updateCommitment(input: $input) { commitment { progress plan { progress } } }
}
"""


async def test_a_mutation_answers_with_the_values_its_change_moved(client: Client, db: Database) -> None:
    plan, (commitment,) = await small_plan(db)
    async with db.transaction() as session:
        indicator = await indicators.create_indicator(
            session, actor=SYSTEM, commitment_id=commitment.id, name={"fr": "Taux"}, unit="%", baseline=0, target=10
        )
        await indicators.record_measurement(
            session, actor=SYSTEM, indicator_id=indicator.id, value=4.0, observed_at=datetime(2024, 5, 1, tzinfo=UTC)
        )
        bare = await commitments.create_commitment(
            session, actor=SYSTEM, plan_id=plan.id, reference="B", title={"fr": "B"}
        )
    moved = await client.data(
        UPDATE_INDICATOR, {"input": {"id": encode_id("Indicator", indicator.id), "target": 5}}, admin=True
    )
    assert moved["updateIndicator"]["indicator"] == {"progress": 80.0, "latest": {"value": 4.0}}
    # Without milestones or indicators, a commitment's status decides: completed is 100.
    completed = await client.data(
        UPDATE_COMMITMENT, {"input": {"id": encode_id("Commitment", bare.id), "status": "COMPLETED"}}, admin=True
    )
    assert completed["updateCommitment"]["commitment"] == {"progress": 100.0, "plan": {"progress": 50.0}}


async def test_measurements_recorded_out_of_order_keep_the_latest_and_progress_right(db: Database) -> None:
    """A new measurement is set against the indicator's stored latest one: later, earlier and at
    the same time (then the later recorded wins), each leaving what `verify` recomputes."""
    _plan, (commitment,) = await small_plan(db)
    async with db.transaction() as session:
        await milestones.delete_milestone(session, actor=SYSTEM, id=await _milestone_of(db, commitment))
        indicator = await indicators.create_indicator(
            session, actor=SYSTEM, commitment_id=commitment.id, name={"fr": "Taux"}, unit="%", baseline=0, target=10
        )
    stored = []
    for value, day in ((4.0, 10), (9.0, 1), (6.0, 10), (10.0, 20)):
        async with db.transaction() as session:
            observed_at = datetime(2024, 5, day, tzinfo=UTC)
            await indicators.record_measurement(
                session, actor=SYSTEM, indicator_id=indicator.id, value=value, observed_at=observed_at
            )
        await assert_no_drift(db)
        async with db.reader() as session:
            row = await session.get(Indicator, indicator.id)
            kept = await session.get(Commitment, commitment.id)
            assert row is not None and kept is not None
            stored.append((row.latest_value, row.progress, kept.progress))
    assert stored == [(4.0, 40.0, 40.0), (4.0, 40.0, 40.0), (6.0, 60.0, 60.0), (10.0, 100.0, 100.0)]


async def _measured_indicator(db: Database) -> uuid.UUID:
    _plan, (commitment,) = await small_plan(db)
    async with db.transaction() as session:
        await milestones.delete_milestone(session, actor=SYSTEM, id=await _milestone_of(db, commitment))
        indicator = await indicators.create_indicator(
            session, actor=SYSTEM, commitment_id=commitment.id, name={"fr": "Taux"}, unit="%", baseline=0, target=10
        )
    return indicator.id


async def _record(db: Database, indicator_id: uuid.UUID, value: float, observed_at: datetime) -> int:
    """Records a measurement; returns how many statements its transaction ran."""
    with count_statements(db) as counter:
        async with db.transaction() as session:
            await indicators.record_measurement(
                session, actor=SYSTEM, indicator_id=indicator_id, value=value, observed_at=observed_at
            )
    return counter.count


async def test_a_measurement_tied_with_the_latest_but_recorded_before_it_leaves_the_latest(db: Database) -> None:
    """The stored latest was recorded later (another replica's clock ahead): a new measurement
    observed at the same time comes before it in the order, and changes nothing derived."""
    indicator_id = await _measured_indicator(db)
    observed_at = datetime(2024, 5, 10, tzinfo=UTC)
    await _record(db, indicator_id, 4.0, observed_at)
    await _corrupt(
        db, "UPDATE measurement SET created_at = '2100-01-01 00:00:00' WHERE indicator_id = :id", id=indicator_id
    )
    await _record(db, indicator_id, 9.0, observed_at)
    async with db.reader() as session:
        row = await session.get(Indicator, indicator_id)
    assert row is not None and (row.latest_value, row.progress) == (4.0, 40.0)
    await assert_no_drift(db)


async def test_a_measurement_tied_with_the_latest_runs_as_many_statements_as_a_later_one(db: Database) -> None:
    """A tie is settled inside the update of the indicator, not by reading its history again."""
    indicator_id = await _measured_indicator(db)
    await _record(db, indicator_id, 4.0, datetime(2024, 5, 10, tzinfo=UTC))
    later = await _record(db, indicator_id, 4.0, datetime(2024, 5, 11, tzinfo=UTC))
    tied = await _record(db, indicator_id, 4.0, datetime(2024, 5, 11, tzinfo=UTC))
    assert tied == later
    await assert_no_drift(db)


async def test_check_lists_overdue_figures_changed_outside_the_services_and_rebuild_recounts_them(db: Database) -> None:
    plan, _made = await small_plan(db)  # its milestone is due on 2024-06-30, overdue since
    await _corrupt(
        db,
        "UPDATE network_stats SET overdue_count = 5, next_overdue_on = :day WHERE plan_id = :id",
        day=date(2024, 1, 1),
        id=plan.id,
    )
    async with db.reader() as session:
        drifts = await derived.check(session)
    assert {(drift.column, drift.stored, drift.computed) for drift in drifts} == {
        ("overdue_count", 5, 1),
        ("next_overdue_on", date(2024, 1, 1), None),
    }
    async with db.transaction() as session:
        assert await derived.rebuild(session) == 2
    await assert_no_drift(db)


async def test_check_counts_a_plan_never_counted_as_of_today(db: Database) -> None:
    plan, _made = await small_plan(db)
    await _corrupt(
        db, "UPDATE network_stats SET overdue_as_of = NULL, overdue_count = 0 WHERE plan_id = :id", id=plan.id
    )
    async with db.reader() as session:
        drifts = await derived.check(session)
    assert {(drift.column, drift.stored, drift.computed) for drift in drifts} == {
        ("overdue_as_of", None, common.today()),
        ("overdue_count", 0, 1),
    }


async def test_rebasing_counts_again_only_the_plans_whose_overdue_figures_lapsed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tracker.services.common.today", lambda: date(2024, 6, 29))
    lapsing, _ = await small_plan(db, slug="lapsing")  # its milestone is due on 2024-06-30
    monkeypatch.setattr("tracker.services.common.today", lambda: date(2024, 7, 1))
    fresh, _ = await small_plan(db, slug="fresh")  # counted on 2024-07-01: holds
    async with db.transaction() as session:
        assert await derived.rebase_overdue(session, today=date(2024, 6, 30)) == 1  # `fresh`: a later day
    async with db.transaction() as session:
        assert await derived.rebase_overdue(session, today=date(2024, 7, 1)) == 2
    async with db.transaction() as session:
        assert await derived.rebase_overdue(session, today=date(2024, 7, 1)) == 0
    async with db.reader() as session:
        rows = {row.plan_id: row for row in (await session.exec(select(NetworkStats))).all()}
    for plan in (lapsing, fresh):
        row = rows[plan.id]
        assert (row.overdue_as_of, row.overdue_count, row.next_overdue_on) == (date(2024, 7, 1), 1, None)
    await assert_no_drift(db)
