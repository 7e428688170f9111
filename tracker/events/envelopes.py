"""Outbox rows to the plain envelopes integrations receive, with human labels for chat."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.envelope import Envelope
from tracker import models
from tracker.ids import encode_id

# Where each kind of subject keeps its translated label.
LABELS: dict[str, tuple[type[SQLModel], str]] = {
    "Collectivity": (models.Collectivity, "name"),
    "ConsultativeBody": (models.ConsultativeBody, "name"),
    "ActionPlan": (models.ActionPlan, "title"),
    "Commitment": (models.Commitment, "title"),
    "Milestone": (models.Milestone, "title"),
    "Indicator": (models.Indicator, "name"),
    "Evidence": (models.Evidence, "title"),
}


def label_from_data(data: dict[str, Any]) -> dict[str, str]:
    """A deleted subject's label, from the snapshot its event carries."""
    for value in data.values():
        if isinstance(value, dict):
            for key in ("title", "name"):
                if isinstance(value.get(key), dict):
                    return dict(value[key])
    return {}


async def build(
    session: AsyncSession, events: Sequence[models.OutboxEvent], base_url: str
) -> dict[uuid.UUID, Envelope]:
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for event in events:
        if event.subject_type in LABELS:
            wanted[event.subject_type].add(event.subject_id)
        commitment_id = event.data.get("commitmentId")
        if event.subject_type in ("Comment", "Assessment") and commitment_id:
            wanted["Commitment"].add(uuid.UUID(str(commitment_id)))
    labels: dict[uuid.UUID, dict[str, str]] = {}
    for subject_type, ids in wanted.items():
        model, attribute = LABELS[subject_type]
        primary: Any = model.id  # type: ignore[attr-defined]
        for row in (await session.exec(select(model).where(col(primary).in_(ids)))).all():
            labels[row.id] = getattr(row, attribute)  # type: ignore[attr-defined]
    collectivity_ids = {event.collectivity_id for event in events if event.collectivity_id}
    places = {
        row.id: row
        for row in (
            await session.exec(select(models.Collectivity).where(col(models.Collectivity.id).in_(collectivity_ids)))
        ).all()
    }
    envelopes = {}
    for event in events:
        place = places.get(event.collectivity_id) if event.collectivity_id else None
        commitment_id = event.data.get("commitmentId")
        title = (
            labels.get(event.subject_id)
            or (labels.get(uuid.UUID(str(commitment_id)), {}) if commitment_id else {})
            or label_from_data(event.data)
        )
        envelopes[event.id] = Envelope(
            id=str(event.id),
            type=event.type,
            # Consumers see when the fact happened: a loaded fact's own date (docs/events.md).
            occurred_at=event.happened_at or event.occurred_at,
            subject_type=event.subject_type,
            subject_id=encode_id(event.subject_type, event.subject_id),
            data=event.data,
            collectivity_slug=place.slug if place else None,
            subject_title=title,
            collectivity_name=place.name if place else {},
            dashboard_url=f"{base_url.rstrip('/')}/c/{place.slug}" if place else None,
        )
    return envelopes
