"""CommitmentDetail, compiled: one commitment with its milestones, indicators and evidence."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models, progress
from tracker.access import can_read_plan
from tracker.api.compiled import reads
from tracker.api.compiled.reads import Fallback, Reader, iso
from tracker.errors import BadInput
from tracker.ids import decode_id, encode_id

Answer = tuple[dict[str, Any], frozenset[uuid.UUID] | None]


async def run(session: AsyncSession, reader: Reader, variables: dict[str, Any]) -> Answer:
    try:
        type_name, key = decode_id(variables["id"], field="id")
    except BadInput as error:
        raise Fallback(str(error)) from None
    if type_name != "Commitment":
        raise Fallback("id of another type")
    found = (
        await reads.fetch(
            session,
            select(
                col(models.Commitment.id),
                col(models.Commitment.status),
                col(models.Commitment.progress),
                col(models.Commitment.reference),
                col(models.Commitment.title),
                col(models.Commitment.description),
                col(models.Commitment.lead_unit),
                col(models.Commitment.partners),
                col(models.Commitment.ogp_values),
                col(models.ActionPlan.id).label("plan_id"),
                col(models.ActionPlan.title).label("plan_title"),
                col(models.ActionPlan.status).label("plan_status"),
                col(models.Collectivity.id).label("collectivity_id"),
                col(models.Collectivity.slug).label("collectivity_slug"),
                col(models.Collectivity.name).label("collectivity_name"),
            )
            .join(models.ActionPlan, col(models.ActionPlan.id) == col(models.Commitment.plan_id))
            .join(models.Collectivity, col(models.Collectivity.id) == col(models.ActionPlan.collectivity_id))
            .where(col(models.Commitment.id) == key),
        )
    ).first()
    if found is None or not can_read_plan(
        reader.principal, status=found.plan_status, collectivity_id=found.collectivity_id
    ):
        return {"node": None}, None
    milestones = (await reads.milestones_of(session, [key])).get(key, [])
    indicators = (
        await reads.indicators_of(
            session, [key], col(models.Indicator.name), col(models.Indicator.unit), col(models.Indicator.direction)
        )
    ).get(key, [])
    measurements = await _measurements(session, key)
    evidence = await _evidence(session, key)
    return {
        "node": {
            "id": encode_id("Commitment", key),
            "reference": found.reference,
            "title": reader.text(found.title),
            "description": reader.optional_text(found.description),
            "leadUnit": reader.optional_text(found.lead_unit),
            "partners": list(found.partners),
            "ogpValues": list(found.ogp_values),
            "status": found.status,
            "progress": found.progress,
            "plan": {
                "id": encode_id("ActionPlan", found.plan_id),
                "title": reader.text(found.plan_title),
                "collectivity": {"slug": found.collectivity_slug, "name": reader.text(found.collectivity_name)},
            },
            "milestones": {
                "totalCount": len(milestones),
                "edges": [{"node": _milestone(reader, row)} for row in reads.page(milestones, 100)],
            },
            "indicators": {
                "edges": [
                    {"node": _indicator(reader, row, measurements.get(row.id, []))}
                    for row in reads.page(indicators, 20)
                ]
            },
            "evidence": {
                "totalCount": len(evidence),
                "edges": [
                    {
                        "node": {
                            "id": encode_id("Evidence", row.id),
                            "url": row.url,
                            "title": reader.text(row.title),
                            "kind": row.kind,
                            "publishedAt": iso(row.published_at),
                        }
                    }
                    for row in reads.page(evidence, 50)
                ],
            },
        }
    }, frozenset({found.collectivity_id})


def _milestone(reader: Reader, row: Any) -> dict[str, Any]:
    return {**reads.milestone_node(reader, row), "progress": progress.milestone_progress(row.status)}


def _indicator(reader: Reader, row: Any, measurements: list[Any]) -> dict[str, Any]:
    return {
        "id": encode_id("Indicator", row.id),
        "name": reader.text(row.name),
        "unit": row.unit,
        "baseline": row.baseline,
        "target": row.target,
        "direction": row.direction,
        "progress": row.progress,
        "measurements": {
            "totalCount": len(measurements),
            "edges": [
                {
                    "node": {
                        "value": item.value,
                        "observedAt": iso(item.observed_at),
                        "note": item.note,
                        "origin": item.origin,
                    }
                }
                for item in reads.page(measurements, 24)
            ],
        },
    }


async def _measurements(session: AsyncSession, commitment_id: uuid.UUID) -> dict[uuid.UUID, list[Any]]:
    """Every measurement of the commitment's indicators, newest first."""
    indicator_ids = select(col(models.Indicator.id)).where(col(models.Indicator.commitment_id) == commitment_id)
    rows = (
        await reads.fetch(
            session,
            select(
                col(models.Measurement.indicator_id),
                col(models.Measurement.value),
                col(models.Measurement.observed_at),
                col(models.Measurement.note),
                col(models.Measurement.origin),
            )
            .where(col(models.Measurement.indicator_id).in_(indicator_ids))
            .order_by(col(models.Measurement.observed_at).desc(), col(models.Measurement.created_at).desc()),
        )
    ).all()
    return reads.grouped(rows, "indicator_id")


async def _evidence(session: AsyncSession, commitment_id: uuid.UUID) -> list[Any]:
    return list(
        (
            await reads.fetch(
                session,
                select(
                    col(models.Evidence.id),
                    col(models.Evidence.url),
                    col(models.Evidence.title),
                    col(models.Evidence.kind),
                    col(models.Evidence.published_at),
                )
                .where(col(models.Evidence.commitment_id) == commitment_id)
                .order_by(col(models.Evidence.published_at).desc(), col(models.Evidence.created_at)),
            )
        ).all()
    )
