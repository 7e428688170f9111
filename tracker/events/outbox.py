"""Writing events: always inside the caller's transaction, so they commit with the change."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal
from tracker.db import note_change
from tracker.events.types import AUDITED, EventType
from tracker.models import AuditEntry, OutboxEvent

_LOADING = "tracker.events.loading"
_QUEUED = "tracker.events.queued"
_DELIVERIES = "tracker.events.deliveries"


def queue_work(session: AsyncSession) -> None:
    """The transaction makes webhook deliveries due (a delivery written or sent again, an endpoint
    switched back on): the delivery worker has something to do once it commits."""
    session.info[_QUEUED] = session.info[_DELIVERIES] = True


def queued_work(session: AsyncSession) -> bool:
    """Whether the transaction queued work (an event, see `emit`, or deliveries, `queue_work`): a
    mutation that did not (it changed nothing, or nothing that is announced) wakes neither the
    dispatcher nor the deliveries, which would only find nothing to do. Their ticks remain the
    safety net."""
    return bool(session.info.get(_QUEUED))


def queued_deliveries(session: AsyncSession) -> bool:
    """Whether the transaction made deliveries due (`queue_work`). Events alone wake the
    dispatcher only: their deliveries are written by the dispatch, which wakes the delivery
    worker itself (a look for due deliveries after every event would find none, in three
    statements)."""
    return bool(session.info.get(_DELIVERIES))


@contextmanager
def loading(session: AsyncSession) -> Iterator[None]:
    """Writes in this block load content made elsewhere (the demo, a plan file).

    Their events are written as always (history, audit trail, the dispatcher's at-least-once
    order), but what the load creates is not announced to feeds and webhooks: seeding is not
    news. Facts with a date of their own (a completion, an observation, a publication) are
    announced with that date as `happened_at`. See docs/events.md.
    """
    session.info[_LOADING] = True
    try:
        yield
    finally:
        session.info.pop(_LOADING, None)


def fact_time(type: EventType, data: dict[str, Any]) -> datetime | None:
    """The time a loaded fact happened, from its event data; None for what has no date of its own."""
    value: Any = None
    if type is EventType.INDICATOR_MEASURED:
        value = data.get("observedAt")
    elif type is EventType.MILESTONE_COMPLETED:
        value = data.get("completedOn")
    elif type is EventType.EVIDENCE_ADDED:
        value = (data.get("evidence") or {}).get("publishedAt")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        # A date without a time: the start of that day in UTC, which keeps the date in Morocco.
        return datetime.combine(value, time(), UTC)
    return None


def jsonable(value: Any) -> Any:
    """Plain JSON values for event data (dates as ISO 8601, enums by value)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def camel_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {before, after}}` for the fields whose value changed."""
    return {
        name: {"before": jsonable(before.get(name)), "after": jsonable(after.get(name))}
        for name in after
        if jsonable(before.get(name)) != jsonable(after.get(name))
    }


def emit(
    session: AsyncSession,
    *,
    type: EventType,
    actor: Principal,
    subject_type: str,
    subject_id: uuid.UUID,
    collectivity_id: uuid.UUID | None,
    plan_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
) -> OutboxEvent:
    happened_at = None
    announced = True
    if session.info.get(_LOADING):
        happened_at = fact_time(type, data or {})
        announced = happened_at is not None
    event = OutboxEvent(
        type=type.value,
        subject_type=subject_type,
        subject_id=subject_id,
        collectivity_id=collectivity_id,
        plan_id=plan_id,
        actor=actor.label,
        public=public,
        data=jsonable(data or {}),
        happened_at=happened_at,
        announced=announced,
    )
    session.add(event)
    note_change(session, collectivity_id)
    session.info[_QUEUED] = True  # for the dispatcher (see `queued_work`)
    if type in AUDITED:
        record_audit(
            session,
            action=type.value,
            actor=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            collectivity_id=collectivity_id,
            plan_id=plan_id,
            public=public,
            changes=audit_changes(type, event.data),
        )
    return event


def record_audit(
    session: AsyncSession,
    *,
    action: str,
    actor: Principal,
    subject_type: str,
    subject_id: uuid.UUID,
    collectivity_id: uuid.UUID | None,
    plan_id: uuid.UUID | None,
    public: bool,
    changes: dict[str, Any],
) -> None:
    """An audit entry, in the caller's transaction. Changes that announce nothing (a body's
    private draft) are audited directly; everything else through `emit`."""
    session.add(
        AuditEntry(
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            collectivity_id=collectivity_id,
            plan_id=plan_id,
            public=public,
            actor_role=actor.role,
            actor_name=actor.name,
            changes=jsonable(changes),
        )
    )


def audit_changes(type: EventType, data: dict[str, Any]) -> dict[str, Any]:
    """`{field: {before, after}}` for every kind of change: updates carry it, creations and
    deletions are read from their snapshot, other changes keep their data as it is."""
    if "changes" in data:
        changes: dict[str, Any] = data["changes"]
        return changes
    verb = type.value.rsplit(".", 1)[1]
    snapshot = next((value for value in data.values() if isinstance(value, dict)), None)
    if verb in ("created", "added") and snapshot is not None:
        return {name: {"before": None, "after": value} for name, value in snapshot.items()}
    if verb in ("deleted", "removed") and snapshot is not None:
        return {name: {"before": value, "after": None} for name, value in snapshot.items()}
    return {name: {"before": None, "after": value} for name, value in data.items()}
