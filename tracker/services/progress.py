"""Reading what the progress rule needs from the database, in a bounded number of statements."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from tracker import progress
from tracker.models import Commitment, Indicator, Measurement, Milestone, WorkStatus

WeightSums = Select[uuid.UUID, Any, Any]


def milestone_weight_sums() -> WeightSums:
    """Per commitment: weight of completed milestones, weight of counted (non-cancelled) ones.

    Callers narrow it (by ids, or by a join to the plans a reader may see).
    """
    counted = col(Milestone.status) != WorkStatus.CANCELLED
    completed = col(Milestone.status) == WorkStatus.COMPLETED
    return select(
        Milestone.commitment_id,
        func.coalesce(func.sum(case((completed, Milestone.weight), else_=0.0)), 0.0),
        func.coalesce(func.sum(case((counted, Milestone.weight), else_=0.0)), 0.0),
    ).group_by(col(Milestone.commitment_id))


async def weights_of(session: AsyncSession, query: WeightSums) -> dict[uuid.UUID, progress.MilestoneWeights]:
    rows = (await session.exec(query)).all()
    return {
        commitment_id: progress.MilestoneWeights(completed=float(done), counted=float(total))
        for commitment_id, done, total in rows
    }


def measurement_recency() -> Any:
    """1 for the latest measurement of each indicator (by observation, then recording time)."""
    return (
        func.row_number()
        .over(
            partition_by=col(Measurement.indicator_id),
            order_by=(col(Measurement.observed_at).desc(), col(Measurement.created_at).desc()),
        )
        .label("rank")
    )


async def milestone_weights(
    session: AsyncSession, commitment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, progress.MilestoneWeights]:
    if not commitment_ids:
        return {}
    return await weights_of(session, milestone_weight_sums().where(col(Milestone.commitment_id).in_(commitment_ids)))


async def latest_values(session: AsyncSession, indicator_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Measurement]:
    """The latest measurement of each indicator (by observation time, then recording time)."""
    if not indicator_ids:
        return {}
    ranked = (
        select(Measurement, measurement_recency()).where(col(Measurement.indicator_id).in_(indicator_ids)).subquery()
    )
    latest = aliased(Measurement, ranked)
    rows = (await session.exec(select(latest).where(ranked.c.rank == 1))).all()
    return {row.indicator_id: row for row in rows}


async def indicator_progresses(
    session: AsyncSession, commitment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[float]]:
    if not commitment_ids:
        return {}
    indicators = (await session.exec(select(Indicator).where(col(Indicator.commitment_id).in_(commitment_ids)))).all()
    latest = await latest_values(session, [indicator.id for indicator in indicators])
    result: dict[uuid.UUID, list[float]] = defaultdict(list)
    for indicator in indicators:
        measurement = latest.get(indicator.id)
        result[indicator.commitment_id].append(
            progress.indicator_progress(
                baseline=indicator.baseline,
                target=indicator.target,
                latest=measurement.value if measurement else None,
            )
        )
    return result


async def commitment_progresses(session: AsyncSession, commitments: Sequence[Commitment]) -> dict[uuid.UUID, float]:
    """Progress of each commitment: at most three statements, whatever their number."""
    weights = await milestone_weights(session, [c.id for c in commitments])
    empty = progress.MilestoneWeights()
    need_indicators = [c.id for c in commitments if weights.get(c.id, empty).counted <= 0]
    by_indicators = await indicator_progresses(session, need_indicators)
    return {
        c.id: progress.commitment_progress(
            status=c.status,
            milestones=weights.get(c.id, empty),
            indicator_progresses=by_indicators.get(c.id, ()),
        )
        for c in commitments
    }


async def commitment_progress(session: AsyncSession, commitment: Commitment) -> float:
    return (await commitment_progresses(session, [commitment]))[commitment.id]
