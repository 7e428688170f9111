"""The access-to-information register (law 31-13) and the indicators computed from it.

A request must be answered within 20 working days, 40 once extended. Its statistics feed
indicators through the `ACCESS_REQUESTS` evidence source: the share of requests decided in time,
and the median number of working days to a decision.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput, Conflict
from tracker.events.outbox import camel_changes, emit
from tracker.events.types import EventType
from tracker.models import AccessRequest, AccessRequestStatus, Collectivity
from tracker.services.comments import clean_text
from tracker.services.common import UNSET, _Unset, camel_snapshot, enum_value, get_or_404, today, touch
from tracker.working_days import add_working_days, working_days_between

DEADLINE = 20
EXTENDED_DEADLINE = 40
MEASURES = ("shareAnsweredInTime", "medianDaysToAnswer")
DECIDED = (AccessRequestStatus.ANSWERED, AccessRequestStatus.REFUSED)
FIELDS = ("reference", "received_on", "status", "extended_on", "answered_on", "refusal_reason")


@dataclass(frozen=True, slots=True)
class RegisterStats:
    total: int
    decided: int
    pending: int
    late: int  # pending past their deadline
    share_in_time: float | None  # percent of the requests that should have been decided by now
    median_working_days: float | None


def deadline_of(request: AccessRequest, holidays: Sequence[date]) -> date:
    limit = EXTENDED_DEADLINE if request.extended_on is not None else DEADLINE
    return add_working_days(request.received_on, limit, holidays)


def compute_stats(requests: Sequence[AccessRequest], *, on: date, holidays: Sequence[date]) -> RegisterStats:
    """Pure: the register's figures on a given day."""
    decided = [request for request in requests if request.status in DECIDED and request.answered_on]
    pending = [request for request in requests if request.status not in DECIDED]
    late = [request for request in pending if deadline_of(request, holidays) < on]
    in_time = [
        request for request in decided if request.answered_on and request.answered_on <= deadline_of(request, holidays)
    ]
    due = len(decided) + len(late)
    durations = [
        working_days_between(request.received_on, request.answered_on, holidays)
        for request in decided
        if request.answered_on is not None
    ]
    return RegisterStats(
        total=len(requests),
        decided=len(decided),
        pending=len(pending),
        late=len(late),
        share_in_time=100.0 * len(in_time) / due if due else None,
        median_working_days=float(statistics.median(durations)) if durations else None,
    )


async def register_stats(
    session: AsyncSession, collectivity_id: uuid.UUID, *, holidays: Sequence[date]
) -> RegisterStats:
    rows = (await session.exec(select(AccessRequest).where(AccessRequest.collectivity_id == collectivity_id))).all()
    return compute_stats(rows, on=today(), holidays=holidays)


def _event(
    session: AsyncSession, actor: Principal, request: AccessRequest, type: EventType, data: dict[str, object]
) -> None:
    # The register is the collectivity's working tool: its events are not public.
    emit(
        session,
        type=type,
        actor=actor,
        subject_type="AccessRequest",
        subject_id=request.id,
        collectivity_id=request.collectivity_id,
        public=False,
        data=data,
    )


async def record_request(
    session: AsyncSession,
    *,
    actor: Principal,
    collectivity_id: uuid.UUID,
    reference: str,
    received_on: date,
    subject: str | None = None,
) -> AccessRequest:
    await get_or_404(session, Collectivity, collectivity_id, field="collectivityId")
    ensure_can_edit(actor, collectivity_id)
    label = reference.strip()
    if not label or len(label) > 40:
        raise BadInput("reference must have 1 to 40 characters", field="reference")
    if received_on > today():
        raise BadInput("receivedOn cannot be in the future", field="receivedOn")
    taken = select(AccessRequest.id).where(
        AccessRequest.collectivity_id == collectivity_id, AccessRequest.reference == label
    )
    if (await session.exec(taken)).first() is not None:
        raise Conflict(f"request {label!r} is already in the register", field="reference")
    request = AccessRequest(
        collectivity_id=collectivity_id,
        reference=label,
        received_on=received_on,
        subject=clean_text(subject, field="subject", limit=2000) if subject else None,
    )
    session.add(request)
    await session.flush()
    _event(session, actor, request, EventType.ACCESS_REQUEST_RECORDED, {"request": camel_snapshot(request, FIELDS)})
    return request


async def update_request(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    status: AccessRequestStatus | str | _Unset = UNSET,
    answered_on: date | _Unset | None = UNSET,
    extended_on: date | _Unset | None = UNSET,
    refusal_reason: str | _Unset | None = UNSET,
) -> AccessRequest:
    request = await get_or_404(session, AccessRequest, id)
    ensure_can_edit(actor, request.collectivity_id)
    before = camel_snapshot(request, FIELDS)
    if not isinstance(status, _Unset):
        request.status = enum_value(AccessRequestStatus, status, field="status")
    if not isinstance(extended_on, _Unset):
        request.extended_on = extended_on
    if request.status is AccessRequestStatus.EXTENDED and request.extended_on is None:
        request.extended_on = today()
    if not isinstance(answered_on, _Unset):
        request.answered_on = answered_on
    if not isinstance(refusal_reason, _Unset):
        request.refusal_reason = (
            clean_text(refusal_reason, field="refusalReason", limit=2000) if refusal_reason else None
        )
    if request.status in DECIDED:
        request.answered_on = request.answered_on or today()
        if request.answered_on < request.received_on:
            raise BadInput("answeredOn cannot be before receivedOn", field="answeredOn")
        if request.answered_on > today():
            raise BadInput("answeredOn cannot be in the future", field="answeredOn")
    elif request.answered_on is not None:
        raise BadInput("answeredOn is only for an ANSWERED or REFUSED request", field="answeredOn")
    if request.status is AccessRequestStatus.REFUSED and not request.refusal_reason:
        raise BadInput("a refusal needs its reason (law 31-13 requires one)", field="refusalReason")
    changed = camel_changes(before, camel_snapshot(request, FIELDS))
    if changed:
        touch(request)
        session.add(request)
        _event(session, actor, request, EventType.ACCESS_REQUEST_UPDATED, {"changes": changed})
    return request


def check_options(options: dict[str, object]) -> None:
    measure = options.get("measure")
    if measure not in MEASURES:
        raise BadInput(f"options.measure: one of {', '.join(MEASURES)}", field="options.measure")
    unknown = sorted(set(options) - {"measure", "completeWhen"})
    if unknown:
        raise BadInput(f"options.{unknown[0]}: not an option of ACCESS_REQUESTS", field=f"options.{unknown[0]}")


def measure_value(stats: RegisterStats, measure: str) -> float | None:
    return stats.share_in_time if measure == "shareAnsweredInTime" else stats.median_working_days
