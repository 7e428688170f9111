"""Derived values kept on write, and the check that they are right.

Stored: the progress of every indicator, commitment and plan, each indicator's latest measurement
(id, value, observation time) and, per plan, how many of its commitments and milestones have each
status (`network_stats`), with how many of its milestones are overdue as of a day and the first
day that count can change without a write (see `NetworkStats`). The rule is `tracker.progress`;
this module only applies it:

* `refresh` updates what one change moved, in the change's transaction: the indicators it
  touched, then their commitments (from SQL sums of their milestones, or their indicators' stored
  progress), then the plan (from its commitments' stored progress), then the plan's counts. A few
  statements per row touched, whatever the size of the plan.
* `check` recomputes everything from the raw rows with `progress.derive` and lists what differs;
  `rebuild` writes the recomputed values (`tracker verify` and `tracker verify --fix`).

Concurrent writers (PostgreSQL, read committed): a service changing anything inside a plan first
takes the plan's row lock (`locked_plan`), before it writes a row of the plan. Writers of one plan
therefore run one after the other, and each `refresh` statement, taken after the lock, sees every
change committed before it. Values are recomputed under the lock, except where the service read
the row it changes under the lock too (`locked_with_plan`: the plan's lock and the row in one
statement): then what the row was before the change is exact, and a delta is exact as well (a
milestone's status moving the plan's counts by one, a new measurement against the indicator's
stored latest one). Writers of different plans never wait for each other: nothing network-wide
is written. Locking the plan first also keeps the order of locks the same in every transaction
(plan, then its rows), so that two writers of one plan cannot deadlock.

A write holds the plan's lock from its first statement to its commit, and writers of one plan
queue behind it: the fewer statements in between, the more writes a plan takes per second.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Date, and_, bindparam, case, func, insert, literal, or_, union_all, update
from sqlalchemy import select as wide_select  # sqlmodel's select types at most four columns
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import progress
from tracker.db import note_change
from tracker.errors import NotFound
from tracker.models import ActionPlan, Commitment, Indicator, Measurement, Milestone, NetworkStats, WorkStatus
from tracker.models.network import (
    COUNT_COLUMNS,
    OVERDUE_COLUMNS,
    STATS_COLUMNS,
    commitment_count_column,
    milestone_count_column,
)
from tracker.services import common

# Floats computed by the same rule from the same rows may still differ in their last bits when a
# database adds the same weights in another order: a drift is a difference beyond that.
TOLERANCE = 1e-9


def latest_first(measurement: Any = Measurement) -> tuple[Any, ...]:
    """The order that makes a measurement an indicator's latest: observed last, then recorded
    last, then (only to break exact ties the same way everywhere) the greatest id."""
    return (
        col(measurement.observed_at).desc(),
        col(measurement.created_at).desc(),
        col(measurement.id).desc(),
    )


async def locked_plan(session: AsyncSession, plan_id: uuid.UUID, *, field: str = "id") -> ActionPlan:
    """The plan, its row locked until the transaction ends (FOR NO KEY UPDATE on PostgreSQL,
    which inserting rows that refer to the plan does not wait for; SQLite has one writer anyway).
    Every change inside a plan starts here: see the module's note on concurrent writers."""
    plan = await session.get(ActionPlan, plan_id, with_for_update={"key_share": True})
    if plan is None:
        raise NotFound("no ActionPlan with this id", field=field)
    return plan


Child = TypeVar("Child", Milestone, Indicator)
_KEPT = "tracker.locked_rows"


async def locked_with_plan(
    session: AsyncSession, model: type[Child], key: uuid.UUID, *, field: str = "id"
) -> tuple[ActionPlan, Commitment, Child]:
    """A milestone or an indicator with its commitment and plan, in one statement: the plan's row
    locked first (as `locked_plan`), then the row's own, both read as they are once locked (a
    writer the lock waited for may have changed them), the commitment as it was (what a change
    reads of it, its plan, does not change). The row changed by a mutation is read under the lock,
    so that what the mutation saw before the change (its audit, the counts it moves) is exact."""
    return await _with_plan(session, _LOCKED[model], model, key, field)


async def read_with_plan(
    session: AsyncSession, model: type[Child], key: uuid.UUID, *, field: str = "id"
) -> tuple[ActionPlan, Commitment, Child]:
    """`locked_with_plan` without the locks: for a change that may turn out to change nothing,
    which then neither waits for the plan's writers nor makes the next one wait."""
    return await _with_plan(session, _READ[model], model, key, field)


async def _with_plan(
    session: AsyncSession, statement: Any, model: type[Child], key: uuid.UUID, field: str
) -> tuple[ActionPlan, Commitment, Child]:
    row = (await _run(session, statement, key=key)).first()
    if row is None:
        raise NotFound(f"no {model.__name__} with this id", field=field)
    plan, commitment, child = row
    # The session's identity map holds its rows weakly: these stay with the session, so that the
    # mutation's answer finds them there (`session.get`), with the values the refresh gave them.
    session.info.setdefault(_KEPT, []).append(row)
    return plan, commitment, child


def _read(model: type[Child]) -> Any:
    """Built once per model, with a bind parameter (see the refresh's statements below)."""
    return (
        wide_select(ActionPlan, Commitment, model)
        .join(Commitment, col(Commitment.plan_id) == col(ActionPlan.id))
        .join(model, col(model.commitment_id) == col(Commitment.id))
        .where(col(model.id) == bindparam("key"))
        .execution_options(populate_existing=True)
    )


_READ: dict[type[Any], Any] = {Milestone: _read(Milestone), Indicator: _read(Indicator)}
# Locks are taken in the order named: the plan, then its row (as every writer does).
_LOCKED = {model: read.with_for_update(of=[ActionPlan, model], key_share=True) for model, read in _READ.items()}


@dataclass(frozen=True, slots=True)
class Moved:
    """A commitment's stored progress before and after a refresh."""

    before: float
    after: float

    @property
    def changed(self) -> bool:
        return abs(self.after - self.before) > TOLERANCE


async def refresh(
    session: AsyncSession,
    *,
    plan_id: uuid.UUID,
    indicator_ids: Iterable[uuid.UUID] = (),
    commitment_ids: Iterable[uuid.UUID] = (),
    counts: bool = False,
    milestone_moves: Iterable[tuple[WorkStatus, WorkStatus]] = (),
    measured: Iterable[tuple[Indicator, Measurement]] = (),
    overdue: bool = False,
) -> dict[uuid.UUID, Moved]:
    """Bring the stored values of one plan up to date after a change to the rows given.

    `indicator_ids`: indicators whose measurements, baseline or target changed (their
    commitments are refreshed too); `commitment_ids`: commitments whose milestones, indicators or
    status changed; `counts`: statuses changed, or commitments or milestones were added or
    deleted. The plan is refreshed when one of these moved. `milestone_moves`: milestones that
    only changed status, (before, after), with `before` read under the plan's lock: the plan's
    counts move by one for each, a statement instead of a recount. The caller holds the plan's
    lock (`locked_plan`). `measured`: an indicator read under that lock (`locked_with_plan`) and
    a new measurement of it, which the refresh inserts (the caller does not add it to the
    session): its latest measurement and progress follow from its stored ones and the new value,
    and its commitment is refreshed only if its progress moved.
    `overdue`: a milestone's due date changed (statuses and counts of milestones recount the
    plan's overdue milestones already). Returns each refreshed commitment's progress before and after.
    """
    await session.flush()  # the change itself, which the statements below read
    commitments = dict.fromkeys(commitment_ids)
    for indicator, measurement in measured:
        if await _add_measurement(session, indicator, measurement):
            commitments[indicator.commitment_id] = None
    for indicator_id in dict.fromkeys(indicator_ids):
        commitment_id = await _refresh_indicator(session, indicator_id)
        if commitment_id is not None:
            commitments[commitment_id] = None
    moved: dict[uuid.UUID, Moved] = {}
    for commitment_id in commitments:
        change = await _refresh_commitment(session, commitment_id)
        if change is not None:
            moved[commitment_id] = change
    # The plan's progress reads its commitments' progress and statuses, and which commitments it
    # has: when none of these moved, it has not moved either.
    if counts or any(change.after != change.before for change in moved.values()):
        await _refresh_plan(session, plan_id)
    if counts:
        await _refresh_counts(session, plan_id)
    elif not await _move_counts(session, plan_id, milestone_moves) and overdue:
        await _run(session, _SET_OVERDUE, stats_plan_id=plan_id, today=common.today())
    return moved


async def _run(session: AsyncSession, statement: Any, **params: Any) -> Any:
    """A core statement (sqlmodel's `exec` types only its own selects): rows are plain tuples."""
    return await session.exec(statement, params=params)


def _set_loaded(session: AsyncSession, model: type[Any], key: uuid.UUID, **values: Any) -> None:
    """Give a row already loaded in the session the values the refresh settled on, as committed
    ones: the service returns that row to the API, which answers with it (the refresh writes with
    core statements, which leave loaded rows alone)."""
    row = session.sync_session.identity_map.get(session.sync_session.identity_key(model, key))
    if row is not None:
        for name, value in values.items():
            set_committed_value(row, name, value)


# The refresh's statements are built once, with bind parameters: building and compiling them per
# change cost more than running them, and psycopg prepares a statement whose text never changes.
_I = Indicator.metadata.tables["indicator"]
_M = Measurement.metadata.tables["measurement"]
_C = Commitment.metadata.tables["commitment"]
_MS = Milestone.metadata.tables["milestone"]
_P = ActionPlan.metadata.tables["action_plan"]
_STATS = NetworkStats.metadata.tables["network_stats"]
_RANKED = _M.alias("ranked")


def _weight_sums(milestone: Any) -> tuple[Any, Any]:
    """Per group of milestones: weight of the completed ones, weight of the counted (non-cancelled)."""
    completed = case((milestone.c.status == WorkStatus.COMPLETED, milestone.c.weight), else_=0.0)
    counted = case((milestone.c.status != WorkStatus.CANCELLED, milestone.c.weight), else_=0.0)
    return func.coalesce(func.sum(completed), 0.0), func.coalesce(func.sum(counted), 0.0)


_LATEST_ID = (
    wide_select(_RANKED.c.id)
    .where(_RANKED.c.indicator_id == _I.c.id)
    .order_by(*latest_first(_RANKED.c))
    .limit(1)
    .correlate(_I)
    .scalar_subquery()
)
_INDICATOR_LATEST = (
    wide_select(_I.c.commitment_id, _I.c.baseline, _I.c.target, _M.c.id, _M.c.value, _M.c.observed_at)
    .select_from(_I.outerjoin(_M, _M.c.id == _LATEST_ID))
    .where(_I.c.id == bindparam("indicator_id"))
)
_SET_INDICATOR = (
    update(_I)
    .where(_I.c.id == bindparam("indicator_id"))
    .values(
        progress=bindparam("new_progress"),
        latest_value=bindparam("new_value"),
        latest_observed_at=bindparam("new_observed_at"),
        latest_measurement_id=bindparam("new_measurement_id"),
    )
)
# An exact tie of observation times goes to the order's next keys (`latest_first`): the new
# measurement becomes the latest unless the stored one was recorded after it. Decided in the
# update itself, which runs after the lock and so sees the stored latest as committed.
_RECORDED_LATER = (
    wide_select(_M.c.id)
    .where(
        _M.c.id == _I.c.latest_measurement_id,
        or_(
            _M.c.created_at > bindparam("new_created_at", type_=_M.c.created_at.type),
            and_(
                _M.c.created_at == bindparam("new_created_at", type_=_M.c.created_at.type),
                _M.c.id > bindparam("new_measurement_id", type_=_M.c.id.type),
            ),
        ),
    )
    .correlate(_I)
    .exists()
)
_SET_INDICATOR_UNLESS_LATER = _SET_INDICATOR.where(~_RECORDED_LATER)
# A new measurement: inserted on its own, or on PostgreSQL in the statement that makes it the
# indicator's latest (a data-modifying WITH), one statement fewer under the plan's lock.
_ADD_MEASUREMENT = insert(_M).values(
    {column.name: bindparam(f"added_{column.name}", type_=column.type) for column in _M.columns}
)
_ADDED = _ADD_MEASUREMENT.cte("added")
_SET_LATEST_ADDED = {
    statement: statement.add_cte(_ADDED) for statement in (_SET_INDICATOR, _SET_INDICATOR_UNLESS_LATER)
}
_COMMITMENT_SUMS = (
    wide_select(_C.c.status, _C.c.progress, *_weight_sums(_MS))
    .select_from(_C.outerjoin(_MS, _MS.c.commitment_id == _C.c.id))
    .where(_C.c.id == bindparam("commitment_id"))
    .group_by(_C.c.id, _C.c.status, _C.c.progress)
)
_INDICATOR_PROGRESSES = (
    wide_select(_I.c.progress).where(_I.c.commitment_id == bindparam("commitment_id")).order_by(_I.c.position, _I.c.id)
)
_SET_COMMITMENT = update(_C).where(_C.c.id == bindparam("commitment_id")).values(progress=bindparam("new_progress"))
_PLAN_COMMITMENTS = (
    wide_select(_C.c.status, _C.c.progress)
    .where(_C.c.plan_id == bindparam("plan_id"))
    .order_by(_C.c.position, _C.c.reference)
)
_SET_PLAN = update(_P).where(_P.c.id == bindparam("plan_id")).values(progress=bindparam("new_progress"))
_PLAN_COUNTS = union_all(
    wide_select(literal("commitments"), _C.c.status, func.count())
    .where(_C.c.plan_id == bindparam("plan_id"))
    .group_by(_C.c.status),
    wide_select(literal("milestones"), _MS.c.status, func.count())
    .select_from(_MS.join(_C, _C.c.id == _MS.c.commitment_id))
    .where(_C.c.plan_id == bindparam("plan_id"))
    .group_by(_MS.c.status),
)


_OPEN = _MS.c.status.not_in(sorted(progress.CLOSED_STATUSES))


def _open_milestones(plan_id: Any, *condition: Any) -> Any:
    return _MS.join(_C, _C.c.id == _MS.c.commitment_id), (_C.c.plan_id == plan_id, _OPEN, *condition)


def _overdue_values(plan_id: Any, today: Any) -> dict[str, Any]:
    """The overdue figures of one plan as of `today` (see NetworkStats), as SQL: its open
    milestones due before that day, and the first due date of the others. Two index lookups by
    plan (commitment.plan_id, then milestone.commitment_id), whatever the size of the network."""
    joined, late = _open_milestones(plan_id, _MS.c.due_on < today)
    _, coming = _open_milestones(plan_id, _MS.c.due_on >= today)
    return {
        "overdue_as_of": today,
        "overdue_count": wide_select(func.count()).select_from(joined).where(*late).scalar_subquery(),
        "next_overdue_on": wide_select(func.min(_MS.c.due_on)).select_from(joined).where(*coming).scalar_subquery(),
    }


def _today() -> Any:
    return bindparam("today", type_=Date())


# Recounted in the statement that moves or sets the plan's counts: no statement more per change.
_SET_OVERDUE = (
    update(_STATS)
    .where(_STATS.c.plan_id == bindparam("stats_plan_id"))
    .values(_overdue_values(bindparam("stats_plan_id"), _today()))
)


def _upsert(insert: Any) -> Any:
    """Insert a plan's row of counts, or set it: a plan gets its row with its first refresh."""
    values: dict[str, Any] = {name: bindparam(name) for name in ("plan_id", *COUNT_COLUMNS)}
    statement = insert(_STATS).values(values | _overdue_values(bindparam("plan_id"), _today()))
    return statement.on_conflict_do_update(
        index_elements=["plan_id"], set_={name: statement.excluded[name] for name in STATS_COLUMNS}
    )


_SET_COUNTS = {"postgresql": _upsert(postgres_insert), "sqlite": _upsert(sqlite_insert)}


async def _refresh_indicator(session: AsyncSession, indicator_id: uuid.UUID) -> uuid.UUID | None:
    """Latest measurement and progress of one indicator; returns its commitment (None: gone)."""
    row = (await _run(session, _INDICATOR_LATEST, indicator_id=indicator_id)).first()
    if row is None:
        return None
    commitment_id: uuid.UUID
    commitment_id, baseline, target, measurement_id, value, observed_at = row
    indicator_progress = progress.indicator_progress(baseline=baseline, target=target, latest=value)
    await _run(
        session,
        _SET_INDICATOR,
        indicator_id=indicator_id,
        new_progress=indicator_progress,
        new_value=value,
        new_observed_at=observed_at,
        new_measurement_id=measurement_id,
    )
    values = {
        "progress": indicator_progress,
        "latest_value": value,
        "latest_observed_at": observed_at,
        "latest_measurement_id": measurement_id,
    }
    _set_loaded(session, Indicator, indicator_id, **values)
    return commitment_id


async def _add_measurement(session: AsyncSession, indicator: Indicator, measurement: Measurement) -> bool:
    """Insert `measurement` (never added to the session) and bring the indicator's stored latest
    measurement and progress up to date; whether its progress moved. The stored values were read
    under the plan's lock, so they are those of every measurement but the new one: the new one is
    the latest if it was observed later (an exact tie goes to the order's other keys, in the
    update's condition), and the progress follows from the latest. On PostgreSQL one statement,
    whatever the indicator's history; on SQLite two."""
    added = {f"added_{column.name}": getattr(measurement, column.name) for column in _M.columns}
    before = indicator.progress
    latest = indicator.latest_observed_at
    tie = latest is not None and measurement.observed_at == latest
    if latest is not None and measurement.observed_at < latest:
        await _run(session, _ADD_MEASUREMENT, **added)
        return False  # an older observation: the latest, and so the progress, stay
    after = progress.indicator_progress(baseline=indicator.baseline, target=indicator.target, latest=measurement.value)
    values = {
        "progress": after,
        "latest_value": measurement.value,
        "latest_observed_at": measurement.observed_at.astimezone(UTC),
        "latest_measurement_id": measurement.id,
    }
    statement = _SET_INDICATOR_UNLESS_LATER if tie else _SET_INDICATOR
    if session.get_bind().dialect.name == "postgresql":
        statement = _SET_LATEST_ADDED[statement]
    else:
        await _run(session, _ADD_MEASUREMENT, **added)
        added = {}
    result = await _run(
        session,
        statement,
        indicator_id=indicator.id,
        new_progress=after,
        new_value=measurement.value,
        new_observed_at=values["latest_observed_at"],
        new_measurement_id=measurement.id,
        **({"new_created_at": measurement.created_at} if tie else {}),
        **added,
    )
    if tie and result.rowcount == 0:
        return False  # the stored latest was recorded later: it stays
    _set_loaded(session, Indicator, indicator.id, **values)
    return after != before


async def _refresh_commitment(session: AsyncSession, commitment_id: uuid.UUID) -> Moved | None:
    row = (await _run(session, _COMMITMENT_SUMS, commitment_id=commitment_id)).first()
    if row is None:
        return None  # deleted by this change
    status, before, done, total = row
    weights = progress.MilestoneWeights(completed=float(done), counted=float(total))
    indicator_progresses: Sequence[float] = ()
    if weights.counted <= 0:
        indicator_progresses = (await _run(session, _INDICATOR_PROGRESSES, commitment_id=commitment_id)).scalars().all()
    after = progress.commitment_progress(status=status, milestones=weights, indicator_progresses=indicator_progresses)
    if after != before:
        await _run(session, _SET_COMMITMENT, commitment_id=commitment_id, new_progress=after)
    _set_loaded(session, Commitment, commitment_id, progress=after)
    return Moved(before=before, after=after)


async def _refresh_plan(session: AsyncSession, plan_id: uuid.UUID) -> None:
    rows = (await _run(session, _PLAN_COMMITMENTS, plan_id=plan_id)).all()
    value = progress.plan_progress((status, commitment_progress) for status, commitment_progress in rows)
    await _run(session, _SET_PLAN, plan_id=plan_id, new_progress=value)
    _set_loaded(session, ActionPlan, plan_id, progress=value)


_MOVES: dict[tuple[WorkStatus, WorkStatus], Any] = {}


def _move_statement(before: WorkStatus, after: WorkStatus) -> Any:
    """network_stats: one milestone fewer with status `before`, one more with `after`, and the
    overdue milestones recounted (built once per pair, for the reason of the statements above)."""
    statement = _MOVES.get((before, after))
    if statement is None:
        old, new = milestone_count_column(before), milestone_count_column(after)
        plan_id: Any = bindparam("moved_plan_id")  # not a column's name (SQLAlchemy's rule)
        statement = (
            update(_STATS)
            .where(_STATS.c.plan_id == plan_id)
            .values({old: _STATS.c[old] - 1, new: _STATS.c[new] + 1} | _overdue_values(plan_id, _today()))
        )
        _MOVES[(before, after)] = statement
    return statement


async def _move_counts(
    session: AsyncSession, plan_id: uuid.UUID, moves: Iterable[tuple[WorkStatus, WorkStatus]]
) -> bool:
    """Whether a statement ran (and so recounted the overdue milestones as well)."""
    ran = False
    for before, after in moves:
        if before == after:
            continue
        result = await _run(session, _move_statement(before, after), moved_plan_id=plan_id, today=common.today())
        if result.rowcount == 0:  # the plan has no row of counts yet: count them all
            await _refresh_counts(session, plan_id)
            return True
        ran = True
    return ran


def _insert(session: AsyncSession) -> Any:
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def _refresh_counts(session: AsyncSession, plan_id: uuid.UUID) -> None:
    """Recount the plan's commitments and milestones by status (one grouped read), and its overdue
    milestones as of today (in the upsert)."""
    counts: dict[str, Any] = dict.fromkeys(COUNT_COLUMNS, 0)
    for kind, status, number in (await _run(session, _PLAN_COUNTS, plan_id=plan_id)).all():
        column = commitment_count_column if kind == "commitments" else milestone_count_column
        counts[column(WorkStatus(status))] = int(number)
    dialect = session.get_bind().dialect.name
    await _run(session, _SET_COUNTS[dialect], plan_id=plan_id, today=common.today(), **counts)


# --- The day moving on: overdue figures re-based ------------------------------------------------

REBASE_BATCH = 500


async def rebase_overdue(session: AsyncSession, *, today: date, limit: int = REBASE_BATCH) -> int:
    """Count again, as of `today`, the overdue milestones of up to `limit` plans whose stored
    figures no longer hold on that day (an open milestone fell due since they were counted, or
    they were counted for a later day, or never): until then readers count those plans'
    milestones themselves. Returns how many plans were counted; run again while it returns
    `limit`. Idempotent: a plan counted as of `today` is left alone.

    Each plan's row is locked first, as every writer does (see the module's note); a plan whose
    writer holds it is skipped (its writer counts it as of its own day)."""
    stale = (
        (_STATS.c.overdue_as_of.is_(None))
        | (_STATS.c.overdue_as_of > bindparam("today", type_=Date()))
        | (_STATS.c.next_overdue_on < bindparam("today", type_=Date()))
    )
    locked = (
        wide_select(_P.c.id)
        .join(_STATS, _STATS.c.plan_id == _P.c.id)
        .where(stale)
        .order_by(_P.c.id)
        .limit(limit)
        .with_for_update(of=_P, key_share=True, skip_locked=True)
    )
    plan_ids = (await _run(session, locked, today=today)).scalars().all()
    if plan_ids:
        statement = (
            update(_STATS).where(_STATS.c.plan_id.in_(plan_ids)).values(_overdue_values(_STATS.c.plan_id, _today()))
        )
        await _run(session, statement, today=today)
    return len(plan_ids)


# --- Everything, from the raw rows: `tracker verify` -------------------------------------------


@dataclass(frozen=True, slots=True)
class Latest:
    measurement_id: uuid.UUID | None
    value: float | None
    observed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Expected:
    """Every stored value, as the rule computes it from the raw rows."""

    derived: progress.Derived
    latest: dict[uuid.UUID, Latest]
    counts: dict[uuid.UUID, dict[str, Any]]  # each plan's row of network_stats


@dataclass(frozen=True, slots=True)
class Drift:
    """A stored value that is not what the rule gives."""

    table: str
    id: uuid.UUID
    column: str
    stored: Any
    computed: Any

    def __str__(self) -> str:
        return f"{self.table} {self.id} {self.column}: stored {self.stored!r}, computed {self.computed!r}"


async def expected(session: AsyncSession) -> Expected:
    """Recompute every derived value from the raw rows: six statements, whatever the size."""
    plans = (await session.exec(select(ActionPlan.id))).all()
    commitments = (
        await session.exec(
            select(Commitment.id, Commitment.plan_id, Commitment.status).order_by(
                col(Commitment.position), col(Commitment.reference)
            )
        )
    ).all()
    completed, counted = _weight_sums(_MS)
    weights = {
        commitment_id: progress.MilestoneWeights(completed=float(done), counted=float(total))
        for commitment_id, done, total in (
            await _run(session, wide_select(_MS.c.commitment_id, completed, counted).group_by(_MS.c.commitment_id))
        ).all()
    }
    rank = func.row_number().over(partition_by=col(Measurement.indicator_id), order_by=latest_first()).label("rank")
    ranked = wide_select(
        col(Measurement.indicator_id), col(Measurement.id), col(Measurement.value), col(Measurement.observed_at), rank
    ).subquery()
    indicators = (
        await _run(
            session,
            wide_select(
                col(Indicator.id),
                col(Indicator.commitment_id),
                col(Indicator.baseline),
                col(Indicator.target),
                ranked.c.id,
                ranked.c.value,
                ranked.c.observed_at,
            )
            .outerjoin(ranked, (ranked.c.indicator_id == col(Indicator.id)) & (ranked.c.rank == 1))
            .order_by(col(Indicator.position), col(Indicator.id)),
        )
    ).all()
    derived = progress.derive(
        plans=plans,
        commitments=commitments,
        weights=weights,
        indicators=[(row[0], row[1], row[2], row[3], row[5]) for row in indicators],
    )
    latest = {row[0]: Latest(measurement_id=row[4], value=row[5], observed_at=row[6]) for row in indicators}
    counts = await _counts(session, plans)
    for plan_id, figures in (await _overdue(session)).items():
        counts[plan_id].update(figures)
    return Expected(derived=derived, latest=latest, counts=counts)


async def _overdue(session: AsyncSession) -> dict[uuid.UUID, dict[str, Any]]:
    """Each plan's overdue figures as of the day they are stored for (that day is not checked:
    any day gives figures a reader can trust, see NetworkStats); as of today for a plan never
    counted."""
    day = func.coalesce(_STATS.c.overdue_as_of, _today())
    figures = _overdue_values(_P.c.id, day)
    rows = await _run(
        session,
        wide_select(_P.c.id, *figures.values()).select_from(_P.outerjoin(_STATS, _STATS.c.plan_id == _P.c.id)),
        today=common.today(),
    )
    return {row[0]: dict(zip(OVERDUE_COLUMNS, row[1:], strict=True)) for row in rows.all()}


async def _counts(session: AsyncSession, plans: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    counts: dict[uuid.UUID, dict[str, Any]] = {plan_id: dict.fromkeys(COUNT_COLUMNS, 0) for plan_id in plans}
    by_commitment = await session.exec(
        select(Commitment.plan_id, Commitment.status, func.count()).group_by(
            col(Commitment.plan_id), col(Commitment.status)
        )
    )
    for plan_id, status, number in by_commitment.all():
        counts[plan_id][commitment_count_column(WorkStatus(status))] = int(number)
    by_milestone = await session.exec(
        select(Commitment.plan_id, Milestone.status, func.count())
        .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
        .group_by(col(Commitment.plan_id), col(Milestone.status))
    )
    for plan_id, status, number in by_milestone.all():
        counts[plan_id][milestone_count_column(WorkStatus(status))] = int(number)
    return counts


def _differs(stored: Any, computed: Any) -> bool:
    if isinstance(stored, float) and isinstance(computed, float):
        return not math.isclose(stored, computed, rel_tol=0.0, abs_tol=TOLERANCE)
    return bool(stored != computed)


async def read_one_snapshot(session: AsyncSession) -> None:
    """Make the session's transaction read one snapshot (REPEATABLE READ on PostgreSQL; a SQLite
    transaction always does): `check` reads the raw rows and the stored values in several
    statements, which must not see a write committed between them. Call before any statement."""
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def check(session: AsyncSession) -> list[Drift]:
    """Every stored value that differs from the rule's, ordered by table, row and column."""
    return await _drifts(session, await expected(session))


async def _drifts(session: AsyncSession, want: Expected) -> list[Drift]:
    drifts: list[Drift] = []

    def compare(table: str, key: uuid.UUID, column: str, stored: Any, computed: Any) -> None:
        if _differs(stored, computed):
            drifts.append(Drift(table=table, id=key, column=column, stored=stored, computed=computed))

    for key, stored in (await session.exec(select(ActionPlan.id, ActionPlan.progress))).all():
        compare("action_plan", key, "progress", stored, want.derived.plans[key])
    for key, stored in (await session.exec(select(Commitment.id, Commitment.progress))).all():
        compare("commitment", key, "progress", stored, want.derived.commitments[key])
    indicator_rows = await _run(
        session,
        wide_select(
            col(Indicator.id),
            col(Indicator.progress),
            col(Indicator.latest_measurement_id),
            col(Indicator.latest_value),
            col(Indicator.latest_observed_at),
        ),
    )
    for key, stored, measurement_id, value, observed_at in indicator_rows.all():
        latest = want.latest[key]
        compare("indicator", key, "progress", stored, want.derived.indicators[key])
        compare("indicator", key, "latest_measurement_id", measurement_id, latest.measurement_id)
        compare("indicator", key, "latest_value", value, latest.value)
        compare("indicator", key, "latest_observed_at", observed_at, latest.observed_at)
    stats = {row.plan_id: row for row in (await session.exec(select(NetworkStats))).all()}
    for plan_id, computed in want.counts.items():
        row = stats.get(plan_id)
        for column, number in computed.items():
            compare("network_stats", plan_id, column, getattr(row, column) if row is not None else None, number)
    return sorted(drifts, key=lambda drift: (drift.table, str(drift.id), drift.column))


async def rebuild(session: AsyncSession) -> int:
    """Write every derived value as the rule computes it; returns how many stored values differed.

    For repairs (`tracker verify --fix`), after a change made outside the services."""
    want = await expected(session)
    drifts = await _drifts(session, want)
    if not drifts:
        return 0
    note_change(session, None)  # cached answers of every replica may show the old values
    by_row: dict[tuple[str, uuid.UUID], dict[str, Any]] = defaultdict(dict)
    for drift in drifts:
        by_row[(drift.table, drift.id)][drift.column] = drift.computed
    models: dict[str, Any] = {"action_plan": ActionPlan, "commitment": Commitment, "indicator": Indicator}
    for (table, key), values in by_row.items():
        if table == "network_stats":
            continue
        model = models[table]
        await session.exec(update(model).where(col(model.id) == key).values(**values))
    for plan_id in {key for table, key in by_row if table == "network_stats"}:
        statement = _insert(session)(NetworkStats).values(plan_id=plan_id, **want.counts[plan_id])
        statement = statement.on_conflict_do_update(
            index_elements=["plan_id"], set_={name: statement.excluded[name] for name in STATS_COLUMNS}
        )
        await session.exec(statement)
    return len(drifts)
