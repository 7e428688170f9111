"""What the compiled operations read: only the columns they answer with, as plain tuples.

Each function is one statement (two for progress), narrowed by a subquery rather than a list of
ids, so the number of statements of an operation never depends on the rows it returns.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import i18n, models, progress
from tracker.access import Principal, can_read_plan
from tracker.ids import encode_id
from tracker.services import progress as progress_reads

Text = Mapping[str, str] | None


async def fetch(session: AsyncSession, statement: Any) -> Any:
    """Run a core select: rows are named tuples of the columns each query chooses."""
    return await session.exec(statement)


def grouped(rows: Iterable[Any], key: str) -> dict[uuid.UUID, list[Any]]:
    """Rows by the value of one of their columns, each group in the rows' order."""
    groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


class Fallback(Exception):
    """The compiled path does not take this request; the normal path will."""


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads, in which languages, on which day: what every compiled answer depends on."""

    principal: Principal
    languages: tuple[str, ...]
    today: date

    def text(self, value: Text) -> str:
        return i18n.pick(value, self.languages) or ""

    def optional_text(self, value: Text) -> str | None:
        return i18n.pick(value, self.languages)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def first_readable_plan(reader: Reader, plans: Iterable[Any]) -> Any | None:
    """`currentPlan`: plans come most recent period first; the first the reader may see."""
    for plan in plans:
        if can_read_plan(reader.principal, status=plan.status, collectivity_id=plan.collectivity_id):
            return plan
    return None


PLAN_COLUMNS = (
    col(models.ActionPlan.id),
    col(models.ActionPlan.collectivity_id),
    col(models.ActionPlan.title),
    col(models.ActionPlan.status),
    col(models.ActionPlan.adopted_on),
    col(models.ActionPlan.period_start),
    col(models.ActionPlan.period_end),
)
PLAN_ORDER = (col(models.ActionPlan.period_start).desc(), col(models.ActionPlan.created_at).desc())


async def plans_of(session: AsyncSession, collectivity_ids: Any) -> dict[uuid.UUID, list[Any]]:
    """Plans of the collectivities (a subquery or a list), most recent period first."""
    rows = (
        await fetch(
            session,
            select(*PLAN_COLUMNS)
            .where(col(models.ActionPlan.collectivity_id).in_(collectivity_ids))
            .order_by(*PLAN_ORDER),
        )
    ).all()
    return grouped(rows, "collectivity_id")


COMMITMENT_ORDER = (col(models.Commitment.position), col(models.Commitment.reference))


async def commitments_of(session: AsyncSession, plan_ids: Any, *columns: Any) -> dict[uuid.UUID, list[Any]]:
    """Commitments of the plans, in plan order: id, plan_id, status and the columns asked for."""
    rows = (
        await fetch(
            session,
            select(col(models.Commitment.id), col(models.Commitment.plan_id), col(models.Commitment.status), *columns)
            .where(col(models.Commitment.plan_id).in_(plan_ids))
            .order_by(*COMMITMENT_ORDER),
        )
    ).all()
    return grouped(rows, "plan_id")


async def latest_measurements(session: AsyncSession, indicator_ids: Any) -> dict[uuid.UUID, Any]:
    """The latest (value, observed_at) of each indicator, by observation then recording time."""
    ranked = (
        select(
            col(models.Measurement.indicator_id),
            col(models.Measurement.value),
            col(models.Measurement.observed_at),
            progress_reads.measurement_recency(),
        )
        .where(col(models.Measurement.indicator_id).in_(indicator_ids))
        .subquery()
    )
    rows = (
        await fetch(
            session, select(ranked.c.indicator_id, ranked.c.value, ranked.c.observed_at).where(ranked.c.rank == 1)
        )
    ).all()
    return {row.indicator_id: row for row in rows}


def indicator_progress(indicator: Any, latest: Any | None) -> float:
    return progress.indicator_progress(
        baseline=indicator.baseline, target=indicator.target, latest=latest.value if latest is not None else None
    )


async def progress_of(
    session: AsyncSession,
    commitments: Sequence[Any],
    commitment_ids: Any,
    indicators: Mapping[uuid.UUID, Sequence[Any]] | None = None,
    latest: Mapping[uuid.UUID, Any] | None = None,
) -> dict[uuid.UUID, float]:
    """Progress of each commitment by the one rule, from milestone weight sums in SQL.

    Indicators only count for commitments without counted milestones; when the caller has not
    read them already, they are read for those commitments alone.
    """
    weights = await progress_reads.weights_of(
        session, progress_reads.milestone_weight_sums().where(col(models.Milestone.commitment_id).in_(commitment_ids))
    )
    empty = progress.MilestoneWeights()
    if indicators is None:
        without = [row.id for row in commitments if weights.get(row.id, empty).counted <= 0]
        indicators, latest = await _indicators_for_progress(session, without)
    latest = latest or {}
    result: dict[uuid.UUID, float] = {}
    for row in commitments:
        row_weights = weights.get(row.id, empty)
        values: list[float] = []
        if row_weights.counted <= 0:
            values = [indicator_progress(item, latest.get(item.id)) for item in indicators.get(row.id, ())]
        result[row.id] = progress.commitment_progress(
            status=row.status, milestones=row_weights, indicator_progresses=values
        )
    return result


INDICATOR_COLUMNS = (
    col(models.Indicator.id),
    col(models.Indicator.commitment_id),
    col(models.Indicator.baseline),
    col(models.Indicator.target),
)


async def indicators_of(session: AsyncSession, commitment_ids: Any, *columns: Any) -> dict[uuid.UUID, list[Any]]:
    rows = (
        await fetch(
            session,
            select(*INDICATOR_COLUMNS, *columns)
            .where(col(models.Indicator.commitment_id).in_(commitment_ids))
            .order_by(col(models.Indicator.position)),
        )
    ).all()
    return grouped(rows, "commitment_id")


async def _indicators_for_progress(
    session: AsyncSession, commitment_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[Any]], dict[uuid.UUID, Any]]:
    if not commitment_ids:
        return {}, {}
    indicators = await indicators_of(session, commitment_ids)
    ids = [item.id for rows in indicators.values() for item in rows]
    return indicators, (await latest_measurements(session, ids) if ids else {})


def plan_progress(commitments: Sequence[Any], progresses: Mapping[uuid.UUID, float]) -> float:
    return progress.plan_progress((row.status, progresses[row.id]) for row in commitments)


def page(items: Sequence[Any], first: int) -> Sequence[Any]:
    """The first page of a list loaded whole (the documents ask `first: N` without `after`)."""
    return items[:first]


async def milestones_of(session: AsyncSession, commitment_ids: Any) -> dict[uuid.UUID, list[Any]]:
    """Milestones of the commitments, by due date then position, with what their nodes show."""
    rows = (
        await fetch(
            session,
            select(
                col(models.Milestone.id),
                col(models.Milestone.commitment_id),
                col(models.Milestone.title),
                col(models.Milestone.due_on),
                col(models.Milestone.status),
                col(models.Milestone.completed_on),
                col(models.Milestone.weight),
            )
            .where(col(models.Milestone.commitment_id).in_(commitment_ids))
            .order_by(col(models.Milestone.due_on), col(models.Milestone.position)),
        )
    ).all()
    return grouped(rows, "commitment_id")


def milestone_node(reader: Reader, row: Any) -> dict[str, Any]:
    return {
        "id": encode_id("Milestone", row.id),
        "title": reader.text(row.title),
        "dueOn": iso(row.due_on),
        "status": row.status,
        "completedOn": iso(row.completed_on),
        "weight": row.weight,
        "isOverdue": progress.is_overdue(due_on=row.due_on, status=row.status, today=reader.today),
    }
