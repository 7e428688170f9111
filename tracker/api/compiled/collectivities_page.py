"""CollectivitiesPage, compiled: a page of collectivities with the progress of their current plan."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models
from tracker.api.compiled import reads
from tracker.api.compiled.reads import Fallback, Reader
from tracker.api.relay import PageArgs, cursor_of
from tracker.errors import BadInput
from tracker.ids import encode_id

Answer = tuple[dict[str, Any], frozenset[uuid.UUID] | None]


async def run(session: AsyncSession, reader: Reader, variables: dict[str, Any]) -> Answer:
    try:
        args = PageArgs(first=variables["first"], after=variables.get("after"))
        total = int((await reads.fetch(session, select(func.count()).select_from(models.Collectivity))).scalar_one())
        start, end = args.window(total)
    except BadInput as error:
        raise Fallback(str(error)) from None
    rows: list[Any] = []
    if end > start:
        rows = list(
            (
                await reads.fetch(
                    session,
                    select(
                        col(models.Collectivity.id),
                        col(models.Collectivity.slug),
                        col(models.Collectivity.kind),
                        col(models.Collectivity.name),
                    )
                    .order_by(col(models.Collectivity.slug))
                    .offset(start)
                    .limit(end - start),
                )
            ).all()
        )
    plans = await reads.plans_of(session, [row.id for row in rows]) if rows else {}
    current = {row.id: reads.first_readable_plan(reader, plans.get(row.id, ())) for row in rows}
    edges = []
    for offset, row in enumerate(rows, start=start):
        plan = current[row.id]
        edges.append(
            {
                "cursor": cursor_of(offset),
                "node": {
                    "id": encode_id("Collectivity", row.id),
                    "slug": row.slug,
                    "kind": row.kind,
                    "name": reader.text(row.name),
                    "currentPlan": (
                        {
                            "id": encode_id("ActionPlan", plan.id),
                            "title": reader.text(plan.title),
                            "status": plan.status,
                            "progress": plan.progress,
                        }
                        if plan is not None
                        else None
                    ),
                },
            }
        )
    return {
        "collectivities": {
            "totalCount": total,
            "pageInfo": {"hasNextPage": start + len(rows) < total, "endCursor": edges[-1]["cursor"] if edges else None},
            "edges": edges,
        }
    }, None
