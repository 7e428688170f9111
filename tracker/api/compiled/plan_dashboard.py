"""PlanDashboard, compiled: five statements, rows as tuples, the answer built in one pass."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models
from tracker.api.compiled import reads
from tracker.api.compiled.reads import Reader, iso
from tracker.ids import encode_id

Answer = tuple[dict[str, Any], frozenset[uuid.UUID] | None]


async def run(session: AsyncSession, reader: Reader, variables: dict[str, Any]) -> Answer:
    slug = variables["slug"]
    parent = aliased(models.Collectivity)
    found = (
        await reads.fetch(
            session,
            select(
                col(models.Collectivity.id),
                col(models.Collectivity.slug),
                col(models.Collectivity.name),
                col(models.Collectivity.kind),
                col(parent.id).label("parent_id"),
                col(parent.slug).label("parent_slug"),
                col(parent.name).label("parent_name"),
            )
            .outerjoin(parent, col(parent.id) == col(models.Collectivity.parent_id))
            .where(col(models.Collectivity.slug) == slug),
        )
    ).first()
    if found is None:
        return {"collectivity": None}, None  # may appear with any change: depends on the network
    plans = await reads.plans_of(session, [found.id])
    plan = reads.first_readable_plan(reader, plans.get(found.id, ()))
    depends = frozenset({found.id} | ({found.parent_id} if found.parent_id else set()))
    return {
        "collectivity": {
            "id": encode_id("Collectivity", found.id),
            "slug": found.slug,
            "name": reader.text(found.name),
            "kind": found.kind,
            "parent": (
                {"slug": found.parent_slug, "name": reader.text(found.parent_name)}
                if found.parent_id is not None
                else None
            ),
            "currentPlan": await _plan(session, reader, plan) if plan is not None else None,
        }
    }, depends


async def _plan(session: AsyncSession, reader: Reader, plan: Any) -> dict[str, Any]:
    commitments = (
        await reads.commitments_of(
            session,
            [plan.id],
            col(models.Commitment.reference),
            col(models.Commitment.title),
            col(models.Commitment.ogp_values),
        )
    ).get(plan.id, [])
    ids = select(col(models.Commitment.id)).where(col(models.Commitment.plan_id) == plan.id)
    milestones = await reads.milestones_of(session, ids)
    indicators = await reads.indicators_of(
        session,
        ids,
        col(models.Indicator.name),
        col(models.Indicator.unit),
        col(models.Indicator.direction),
    )
    return {
        "id": encode_id("ActionPlan", plan.id),
        "title": reader.text(plan.title),
        "status": plan.status,
        "adoptedOn": iso(plan.adopted_on),
        "period": {"start": iso(plan.period_start), "end": iso(plan.period_end)},
        "progress": plan.progress,
        "commitments": {
            "totalCount": len(commitments),
            "edges": [
                {
                    "node": {
                        "id": encode_id("Commitment", row.id),
                        "reference": row.reference,
                        "title": reader.text(row.title),
                        "status": row.status,
                        "ogpValues": list(row.ogp_values),
                        "progress": row.progress,
                        "milestones": _milestone_page(reader, milestones.get(row.id, [])),
                        "indicators": {
                            "edges": [
                                {"node": _indicator(reader, item)}
                                for item in reads.page(indicators.get(row.id, []), 20)
                            ]
                        },
                    }
                }
                for row in reads.page(commitments, 100)
            ],
        },
    }


def _milestone_page(reader: Reader, rows: list[Any]) -> dict[str, Any]:
    return {
        "totalCount": len(rows),
        "edges": [{"node": reads.milestone_node(reader, row)} for row in reads.page(rows, 100)],
    }


def _indicator(reader: Reader, row: Any) -> dict[str, Any]:
    return {
        "id": encode_id("Indicator", row.id),
        "name": reader.text(row.name),
        "unit": row.unit,
        "baseline": row.baseline,
        "target": row.target,
        "direction": row.direction,
        "progress": row.progress,
        "latest": (
            {"value": row.latest_value, "observedAt": iso(row.latest_observed_at)}
            if row.latest_value is not None
            else None
        ),
    }
