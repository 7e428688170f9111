"""NetworkSummary, compiled: the service's aggregates, answered without the field machinery."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.api.compiled.reads import Reader
from tracker.services import network

Answer = tuple[dict[str, Any], frozenset[uuid.UUID] | None]


def _counts(values: dict[str, int]) -> list[dict[str, Any]]:
    return [{"status": status, "count": count} for status, count in sorted(values.items())]


async def run(session: AsyncSession, reader: Reader, variables: dict[str, Any]) -> Answer:
    summary = await network.summarize(session, principal=reader.principal, today=reader.today)
    return {
        "network": {
            "collectivityCount": summary.collectivity_count,
            "planCount": summary.plan_count,
            "commitmentCount": summary.commitment_count,
            "milestoneCount": summary.milestone_count,
            "overdueMilestoneCount": summary.overdue_milestone_count,
            "meanProgress": summary.mean_progress,
            "byKind": [
                {
                    "kind": item.kind,
                    "collectivityCount": item.collectivity_count,
                    "planCount": item.plan_count,
                    "meanProgress": item.mean_progress,
                }
                for item in summary.by_kind
            ],
            "plansByStatus": _counts(summary.plans_by_status),
            "commitmentsByStatus": _counts(summary.commitments_by_status),
            "milestonesByStatus": _counts(summary.milestones_by_status),
        }
    }, None
