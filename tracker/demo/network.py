"""A synthetic network of collectivities, reproducible from a seed, for scale tests and benchmarks.

Rows are inserted in bulk, without events: this is seed data, not changes anybody made. Their
derived values (progress, latest measurements, counts) are computed here by the progress rule.
The mix of kinds follows the real network: 12 regions, 7 prefecture or province councils and
107 communes for 126 members, growing to 12, 75 and 1,503 for all 1,590 collectivities.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models, progress
from tracker.models.base import utcnow
from tracker.models.network import COUNT_COLUMNS, commitment_count_column, milestone_count_column
from tracker.services.common import today

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
    # NULLs sent as values: by default a None leaves its column out, and the rows are sent in
    # groups of one set of columns, so milestones with and without completed_on went one by one.
    statement = insert(model).execution_options(render_nulls=True)
    for start in range(0, len(rows), CHUNK):
        await session.exec(statement, params=rows[start : start + CHUNK])


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
    stats = _derive(plans, commitments, milestones, indicators, values)
    await _bulk(session, models.Collectivity, collectivity_rows)
    await _bulk(session, models.ActionPlan, plans)
    await _bulk(session, models.NetworkStats, stats)
    await _bulk(session, models.Commitment, commitments)
    await _bulk(session, models.Milestone, milestones)
    await _bulk(session, models.Indicator, indicators)
    await _bulk(session, models.Measurement, values)
    return len(collectivity_rows)


def _derive(
    plans: list[dict[str, Any]],
    commitments: list[dict[str, Any]],
    milestones: list[dict[str, Any]],
    indicators: list[dict[str, Any]],
    values: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The stored derived values of the rows about to be inserted, by the progress rule (the rows
    are made in plan order already); returns each plan's row of counts."""
    by_commitment: dict[uuid.UUID, list[tuple[str, float]]] = defaultdict(list)
    for row in milestones:
        by_commitment[row["commitment_id"]].append((row["status"], row["weight"]))
    latest: dict[uuid.UUID, dict[str, Any]] = {}
    for row in values:  # in observation order, each indicator's months one after the other
        latest[row["indicator_id"]] = row
    derived = progress.derive(
        plans=[row["id"] for row in plans],
        commitments=[(row["id"], row["plan_id"], row["status"]) for row in commitments],
        weights={key: progress.MilestoneWeights.of(rows) for key, rows in by_commitment.items()},
        indicators=[
            (
                row["id"],
                row["commitment_id"],
                row["baseline"],
                row["target"],
                latest[row["id"]]["value"] if row["id"] in latest else None,
            )
            for row in indicators
        ],
    )
    for row in indicators:
        measurement = latest.get(row["id"])
        row["progress"] = derived.indicators[row["id"]]
        row["latest_value"] = measurement["value"] if measurement else None
        row["latest_observed_at"] = measurement["observed_at"] if measurement else None
        row["latest_measurement_id"] = measurement["id"] if measurement else None
    for row in commitments:
        row["progress"] = derived.commitments[row["id"]]
    for row in plans:
        row["progress"] = derived.plans[row["id"]]
    counts = {row["id"]: {"plan_id": row["id"]} | dict.fromkeys(COUNT_COLUMNS, 0) for row in plans}
    plan_of = {row["id"]: row["plan_id"] for row in commitments}
    for row in commitments:
        counts[row["plan_id"]][commitment_count_column(models.WorkStatus(row["status"]))] += 1
    for row in milestones:
        counts[plan_of[row["commitment_id"]]][milestone_count_column(models.WorkStatus(row["status"]))] += 1
    # The overdue milestones as of today (see NetworkStats), by the rule readers apply.
    day = today()
    for row in counts.values():
        row.update(overdue_as_of=day, overdue_count=0, next_overdue_on=None)
    for row in milestones:
        if row["status"] in progress.CLOSED_STATUSES:
            continue
        stats = counts[plan_of[row["commitment_id"]]]
        if row["due_on"] < day:
            stats["overdue_count"] += 1
        elif stats["next_overdue_on"] is None or row["due_on"] < stats["next_overdue_on"]:
            stats["next_overdue_on"] = row["due_on"]
    return list(counts.values())
