"""Aggregates across the network of collectivities, in a fixed number of statements."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import progress
from tracker.access import Principal
from tracker.models import (
    ActionPlan,
    Collectivity,
    CollectivityKind,
    Commitment,
    Indicator,
    Measurement,
    Milestone,
    PlanStatus,
    WorkStatus,
)
from tracker.models.enums import Role
from tracker.services import progress as progress_reads


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
    readable = readable_plans(principal)
    kinds = dict((await session.exec(select(Collectivity.kind, func.count()).group_by(Collectivity.kind))).all())
    plans = (
        await session.exec(
            select(ActionPlan.id, ActionPlan.status, Collectivity.kind)
            .join(Collectivity, col(Collectivity.id) == col(ActionPlan.collectivity_id))
            .where(readable)
            .order_by(col(ActionPlan.id))  # means add in this order: the same sums on every path
        )
    ).all()
    commitments = (
        await session.exec(
            select(Commitment.id, Commitment.plan_id, Commitment.status)
            .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
            .where(readable)
            .order_by(col(Commitment.position), col(Commitment.reference))  # plan order, within each plan
        )
    ).all()
    weights = await _milestone_weights(session, readable)
    indicators = await _indicator_progresses(session, readable)

    closed = [WorkStatus.COMPLETED.value, WorkStatus.CANCELLED.value]
    overdue = case(
        (
            (col(Milestone.due_on) < today) & col(Milestone.status).not_in(closed),
            1,
        ),
        else_=0,
    )
    milestone_rows = (
        await session.exec(
            select(Milestone.status, func.count(), func.coalesce(func.sum(overdue), 0))
            .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
            .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
            .where(readable)
            .group_by(Milestone.status)
        )
    ).all()

    per_plan: dict[uuid.UUID, list[tuple[str, float]]] = defaultdict(list)
    empty = progress.MilestoneWeights()
    for commitment_id, plan_id, status in commitments:
        value = progress.commitment_progress(
            status=status,
            milestones=weights.get(commitment_id, empty),
            indicator_progresses=indicators.get(commitment_id, ()),
        )
        per_plan[plan_id].append((status, value))
    plan_progress = {plan_id: progress.plan_progress(per_plan.get(plan_id, [])) for plan_id, _, _ in plans}
    by_kind_progress: dict[str, list[float]] = defaultdict(list)
    for plan_id, _, kind in plans:
        by_kind_progress[kind].append(plan_progress[plan_id])

    return NetworkSummary(
        collectivity_count=sum(kinds.values()),
        plan_count=len(plans),
        commitment_count=len(commitments),
        milestone_count=sum(int(count) for _, count, _ in milestone_rows),
        overdue_milestone_count=sum(int(late) for _, _, late in milestone_rows),
        mean_progress=progress.mean(plan_progress.values()),
        by_kind=[
            KindSummary(
                kind=kind,
                collectivity_count=int(kinds.get(kind.value, 0)),
                plan_count=len(by_kind_progress.get(kind.value, [])),
                mean_progress=progress.mean(by_kind_progress.get(kind.value, [])),
            )
            for kind in CollectivityKind
        ],
        plans_by_status=dict(Counter(status for _, status, _ in plans)),
        commitments_by_status=dict(Counter(status for _, _, status in commitments)),
        milestones_by_status={status: int(count) for status, count, _ in milestone_rows},
    )


async def _milestone_weights(session: AsyncSession, readable: Any) -> dict[uuid.UUID, progress.MilestoneWeights]:
    query = (
        progress_reads.milestone_weight_sums()
        .join(Commitment, col(Commitment.id) == col(Milestone.commitment_id))
        .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
        .where(readable)
    )
    return await progress_reads.weights_of(session, query)


async def _indicator_progresses(session: AsyncSession, readable: Any) -> dict[uuid.UUID, list[float]]:
    ranked = (
        select(Measurement.indicator_id, Measurement.value, progress_reads.measurement_recency())
        .join(Indicator, col(Indicator.id) == col(Measurement.indicator_id))
        .join(Commitment, col(Commitment.id) == col(Indicator.commitment_id))
        .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
        .where(readable)
        .subquery()
    )
    latest = aliased(ranked)
    rows = (
        await session.exec(
            select(Indicator.commitment_id, Indicator.baseline, Indicator.target, latest.c.value)
            .join(Commitment, col(Commitment.id) == col(Indicator.commitment_id))
            .join(ActionPlan, col(ActionPlan.id) == col(Commitment.plan_id))
            .outerjoin(latest, (latest.c.indicator_id == col(Indicator.id)) & (latest.c.rank == 1))
            .where(readable)
            .order_by(col(Indicator.position), col(Indicator.id))  # the order their mean adds them in
        )
    ).all()
    result: dict[uuid.UUID, list[float]] = defaultdict(list)
    for commitment_id, baseline, target, value in rows:
        result[commitment_id].append(progress.indicator_progress(baseline=baseline, target=target, latest=value))
    return result
