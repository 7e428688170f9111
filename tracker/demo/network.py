"""A synthetic network of collectivities, reproducible from a seed, for scale tests and benchmarks.

Rows are inserted in bulk, without events: this is seed data, not changes anybody made.
The mix of kinds follows the real network: 12 regions, 7 prefecture or province councils and
107 communes for 126 members, growing to 12, 75 and 1,503 for all 1,590 collectivities.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models
from tracker.models.base import utcnow

CHUNK = 2000
PERIOD = (date(2024, 1, 1), date(2025, 12, 31))
PLAN_STATUSES = [models.PlanStatus.IN_IMPLEMENTATION] * 6 + [
    models.PlanStatus.ADOPTED,
    models.PlanStatus.DRAFT,
    models.PlanStatus.CLOSED,
]
MILESTONE_STATUSES = (
    [models.WorkStatus.COMPLETED] * 5
    + [models.WorkStatus.IN_PROGRESS] * 3
    + [models.WorkStatus.NOT_STARTED, models.WorkStatus.DELAYED, models.WorkStatus.CANCELLED]
)


def kind_counts(n: int) -> tuple[int, int, int]:
    regions = min(12, math.ceil(n * 12 / 126))
    provinces = min(75, max(0, round(n * 7 / 126)), max(0, n - regions))
    return regions, provinces, max(0, n - regions - provinces)


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def next(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


async def _bulk(session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.exec(insert(model), params=rows[start : start + CHUNK])


def _text(kind: str, number: int) -> dict[str, str]:
    return {"ar": f"{kind['ar']} {number}", "fr": f"{kind['fr']} {number}", "en": f"{kind['en']} {number}"}  # type: ignore[index]


NAMES: dict[models.CollectivityKind, dict[str, str]] = {
    models.CollectivityKind.REGION: {"ar": "جهة تجريبية", "fr": "Région de démonstration", "en": "Demo region"},
    models.CollectivityKind.PREFECTURE_PROVINCE: {
        "ar": "عمالة تجريبية",
        "fr": "Province de démonstration",
        "en": "Demo province",
    },
    models.CollectivityKind.COMMUNE: {"ar": "جماعة تجريبية", "fr": "Commune de démonstration", "en": "Demo commune"},
}
SLUGS = {
    models.CollectivityKind.REGION: "demo-region",
    models.CollectivityKind.PREFECTURE_PROVINCE: "demo-province",
    models.CollectivityKind.COMMUNE: "demo-commune",
}


async def generate(
    session: AsyncSession, *, n: int, seed: int = 2024, measurements: int = 24, slug_prefix: str = ""
) -> int:
    """Insert `n` synthetic collectivities, each with one plan; returns how many were made."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    now = utcnow()
    stamp = {"created_at": now, "updated_at": now}
    collectivity_rows: list[dict[str, Any]] = []
    regions, provinces, communes = kind_counts(n)
    parents: dict[models.CollectivityKind, list[uuid.UUID]] = {kind: [] for kind in models.CollectivityKind}
    for kind, count in zip(models.CollectivityKind, (regions, provinces, communes), strict=True):
        upper = {
            models.CollectivityKind.REGION: None,
            models.CollectivityKind.PREFECTURE_PROVINCE: models.CollectivityKind.REGION,
            models.CollectivityKind.COMMUNE: models.CollectivityKind.PREFECTURE_PROVINCE,
        }[kind]
        for number in range(1, count + 1):
            row_id = ids.next()
            candidates = parents[upper] if upper else []
            collectivity_rows.append(
                {
                    "id": row_id,
                    "slug": f"{slug_prefix}{SLUGS[kind]}-{number}",
                    "kind": kind.value,
                    "name": _text(NAMES[kind], number),  # type: ignore[arg-type]
                    "parent_id": rng.choice(candidates) if candidates else None,
                    **stamp,
                }
            )
            parents[kind].append(row_id)
    plans: list[dict[str, Any]] = []
    commitments: list[dict[str, Any]] = []
    milestones: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    span = (PERIOD[1] - PERIOD[0]).days
    for collectivity in collectivity_rows:
        plan_id = ids.next()
        plans.append(
            {
                "id": plan_id,
                "collectivity_id": collectivity["id"],
                "title": {
                    "ar": f"خطة الانفتاح 2024-2025 - {collectivity['name']['ar']}",
                    "fr": f"Plan d'ouverture 2024-2025 - {collectivity['name']['fr']}",
                },
                "description": {},
                "period_start": PERIOD[0],
                "period_end": PERIOD[1],
                "status": rng.choice(PLAN_STATUSES).value,
                "adopted_on": date(2023, 10, 1),
                **stamp,
            }
        )
        for position in range(rng.randint(5, 15)):
            commitment_id = ids.next()
            commitments.append(
                {
                    "id": commitment_id,
                    "plan_id": plan_id,
                    "position": position,
                    "reference": f"C-{position + 1}",
                    "title": {"ar": f"الالتزام {position + 1}", "fr": f"Engagement {position + 1}"},
                    "description": {},
                    "ogp_values": [rng.choice(list(models.OgpValue)).value],
                    "lead_unit": {},
                    "partners": [],
                    "status": rng.choice(MILESTONE_STATUSES[:-1]).value,
                    **stamp,
                }
            )
            for m_position in range(rng.randint(3, 8)):
                due = PERIOD[0] + timedelta(days=rng.randint(0, span))
                status = rng.choice(MILESTONE_STATUSES)
                milestones.append(
                    {
                        "id": ids.next(),
                        "commitment_id": commitment_id,
                        "position": m_position,
                        "title": {"ar": f"المرحلة {m_position + 1}", "fr": f"Étape {m_position + 1}"},
                        "due_on": due,
                        "status": status.value,
                        "completed_on": min(due, date(2025, 12, 31)) if status is models.WorkStatus.COMPLETED else None,
                        "weight": float(rng.randint(1, 3)),
                        **stamp,
                    }
                )
            for i_position in range(rng.randint(1, 4)):
                indicator_id = ids.next()
                baseline = float(rng.randint(0, 50))
                target = (
                    baseline + float(rng.randint(10, 100)) * rng.choice((1, -1))
                    if baseline > 0
                    else float(rng.randint(10, 100))
                )
                indicators.append(
                    {
                        "id": indicator_id,
                        "commitment_id": commitment_id,
                        "position": i_position,
                        "name": {"ar": f"المؤشر {i_position + 1}", "fr": f"Indicateur {i_position + 1}"},
                        "unit": "%",
                        "baseline": baseline,
                        "target": target,
                        "direction": (
                            models.Direction.INCREASE if target > baseline else models.Direction.DECREASE
                        ).value,
                        **stamp,
                    }
                )
                for month in range(measurements):
                    observed = datetime(2024 + month // 12, month % 12 + 1, 28, tzinfo=UTC)
                    share = min(1.0, (month + 1) / measurements * rng.uniform(0.5, 1.3))
                    values.append(
                        {
                            "id": ids.next(),
                            "indicator_id": indicator_id,
                            "value": round(baseline + (target - baseline) * share, 2),
                            "observed_at": observed,
                            "note": None,
                            "origin": models.MeasurementOrigin.IMPORT.value,
                            **stamp,
                        }
                    )
    await _bulk(session, models.Collectivity, collectivity_rows)
    await _bulk(session, models.ActionPlan, plans)
    await _bulk(session, models.Commitment, commitments)
    await _bulk(session, models.Milestone, milestones)
    await _bulk(session, models.Indicator, indicators)
    await _bulk(session, models.Measurement, values)
    return len(collectivity_rows)
