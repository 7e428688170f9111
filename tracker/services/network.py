"""Aggregates across the network of collectivities, in a fixed number of statements."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import progress
from tracker.access import Principal
from tracker.models import (
    ActionPlan,
    Collectivity,
    CollectivityKind,
    Commitment,
    Milestone,
    NetworkStats,
    PlanStatus,
    WorkStatus,
)
from tracker.models.enums import Role
from tracker.models.network import COUNT_COLUMNS, commitment_count_column, milestone_count_column
from tracker.progress import CLOSED_STATUSES


@dataclass(frozen=True, slots=True)
class KindSummary:
    kind: CollectivityKind
    collectivity_count: int
    plan_count: int
    mean_progress: float


@dataclass(frozen=True, slots=True)
class NetworkSummary:
    collectivity_count: int
    plan_count: int
    commitment_count: int
    milestone_count: int
    overdue_milestone_count: int
    mean_progress: float
    by_kind: list[KindSummary]
    plans_by_status: dict[str, int] = field(default_factory=dict)
    commitments_by_status: dict[str, int] = field(default_factory=dict)
    milestones_by_status: dict[str, int] = field(default_factory=dict)


def readable_plans(principal: Principal) -> Any:
    """SQL condition on ActionPlan: the plans this principal may read."""
    if principal.role is Role.ADMIN:
        return True
    published = col(ActionPlan.status) != PlanStatus.DRAFT
    if principal.role in (Role.EDITOR, Role.MONITOR) and principal.collectivity_id is not None:
        return or_(published, col(ActionPlan.collectivity_id) == principal.collectivity_id)
    return published


async def summarize(session: AsyncSession, *, principal: Principal, today: date) -> NetworkSummary:
    """Four statements over stored values: progress is read from the plans (kept on write), the
    numbers of commitments and milestones by status from `network_stats`; only the overdue count,
    which depends on the day, is counted from the milestones."""
    readable = readable_plans(principal)
    kinds = dict((await session.exec(select(Collectivity.kind, func.count()).group_by(Collectivity.kind))).all())
    plans = (
        await session.exec(
            select(ActionPlan.id, ActionPlan.status, Collectivity.kind, ActionPlan.progress)
            .join(Collectivity, col(Collectivity.id) == col(ActionPlan.collectivity_id))
            .where(readable)
            .order_by(col(ActionPlan.id))  # means add in this order: the same sums on every path
        )
    ).all()
    sums = (
        await session.exec(
            select(*(func.coalesce(func.sum(getattr(NetworkStats, name)), 0) for name in COUNT_COLUMNS))
            .join(ActionPlan, col(ActionPlan.id) == col(NetworkStats.plan_id))
            .where(readable)
        )
    ).one()
    counts = {name: int(value) for name, value in zip(COUNT_COLUMNS, sums, strict=True)}
    overdue = (
        await session.exec(
            select(func.count())
            .select_from(Milestone)
            .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
            .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
            .where(readable)
            .where(col(Milestone.due_on) < today, col(Milestone.status).not_in(list(CLOSED_STATUSES)))
        )
    ).one()
    commitments_by_status = _present({status: counts[commitment_count_column(status)] for status in WorkStatus})
    milestones_by_status = _present({status: counts[milestone_count_column(status)] for status in WorkStatus})
    by_kind_progress: dict[str, list[float]] = defaultdict(list)
    for _, _, kind, plan_progress in plans:
        by_kind_progress[kind].append(plan_progress)
    return NetworkSummary(
        collectivity_count=sum(kinds.values()),
        plan_count=len(plans),
        commitment_count=sum(commitments_by_status.values()),
        milestone_count=sum(milestones_by_status.values()),
        overdue_milestone_count=int(overdue),
        mean_progress=progress.mean(plan_progress for _, _, _, plan_progress in plans),
        by_kind=[
            KindSummary(
                kind=kind,
                collectivity_count=int(kinds.get(kind.value, 0)),
                plan_count=len(by_kind_progress.get(kind.value, [])),
                mean_progress=progress.mean(by_kind_progress.get(kind.value, [])),
            )
            for kind in CollectivityKind
        ],
        plans_by_status=dict(Counter(PlanStatus(status).value for _, status, _, _ in plans)),
        commitments_by_status=commitments_by_status,
        milestones_by_status=milestones_by_status,
    )


def _present(counts: dict[WorkStatus, int]) -> dict[str, int]:
    """The statuses some rows have (none listed with 0), as the counts of the rows would give."""
    return {status.value: number for status, number in counts.items() if number}
