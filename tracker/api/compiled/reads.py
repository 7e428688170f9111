"""What the compiled operations read: only the columns they answer with, as plain tuples.

Each function is one statement, narrowed by a subquery rather than a list of ids, so the number
of statements of an operation never depends on the rows it returns. Progress and latest
measurements are columns, kept on write by `services.derived`.
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
    col(models.ActionPlan.progress),
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
    """Commitments of the plans, in plan order: id, plan_id, status, progress and the columns asked for."""
    rows = (
        await fetch(
            session,
            select(
                col(models.Commitment.id),
                col(models.Commitment.plan_id),
                col(models.Commitment.status),
                col(models.Commitment.progress),
                *columns,
            )
            .where(col(models.Commitment.plan_id).in_(plan_ids))
            .order_by(*COMMITMENT_ORDER),
        )
    ).all()
    return grouped(rows, "plan_id")


INDICATOR_COLUMNS = (
    col(models.Indicator.id),
    col(models.Indicator.commitment_id),
    col(models.Indicator.baseline),
    col(models.Indicator.target),
    col(models.Indicator.progress),
    col(models.Indicator.latest_value),
    col(models.Indicator.latest_observed_at),
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
