"""Evidence attached to a commitment (and optionally one of its milestones)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput, Conflict
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import Commitment, Evidence, EvidenceKind, MeasurementOrigin, Milestone
from tracker.services.commitments import plan_of
from tracker.services.common import camel_snapshot, enum_value, get_or_404
from tracker.services.plans import plan_event

FIELDS = ("url", "title", "kind", "published_at", "milestone_id")
MAX_URL = 2048


def clean_url(value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        raise BadInput("url must be an http or https address of at most 2048 characters", field="url")
    return url


def fingerprint_of(url: str) -> str:
    """Same document, same fingerprint: scheme and host case and the fragment do not matter."""
    parts = urlsplit(url)
    normalised = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))
    return hashlib.sha256(normalised.encode()).hexdigest()


async def add_evidence(
    session: AsyncSession,
    *,
    actor: Principal,
    commitment_id: uuid.UUID,
    url: str,
    title: Mapping[str, str | None],
    kind: EvidenceKind | str = EvidenceKind.OTHER,
    published_at: datetime | None = None,
    milestone_id: uuid.UUID | None = None,
    fingerprint: str | None = None,
    origin: MeasurementOrigin = MeasurementOrigin.MANUAL,
) -> Evidence:
    commitment = await get_or_404(session, Commitment, commitment_id, field="commitmentId")
    plan = await plan_of(session, commitment)
    ensure_can_edit(actor, plan.collectivity_id)
    if milestone_id is not None:
        milestone = await get_or_404(session, Milestone, milestone_id, field="milestoneId")
        if milestone.commitment_id != commitment.id:
            raise BadInput("milestoneId belongs to another commitment", field="milestoneId")
    if published_at is not None and published_at.tzinfo is None:
        raise BadInput("publishedAt needs a time zone offset (for example Z)", field="publishedAt")
    evidence = Evidence(
        commitment_id=commitment.id,
        milestone_id=milestone_id,
        url=clean_url(url),
        title=clean_translations(title, field="title", required=True),
        kind=enum_value(EvidenceKind, kind, field="kind"),
        published_at=published_at,
        origin=origin,
        fingerprint="",
    )
    evidence.fingerprint = fingerprint or fingerprint_of(evidence.url)
    duplicate = select(Evidence.id).where(
        Evidence.commitment_id == commitment.id, Evidence.fingerprint == evidence.fingerprint
    )
    if (await session.exec(duplicate)).first() is not None:
        raise Conflict("this evidence is already attached to the commitment", field="url")
    session.add(evidence)
    await session.flush()
    plan_event(
        session,
        plan,
        type=EventType.EVIDENCE_ADDED,
        actor=actor,
        subject_type="Evidence",
        subject_id=evidence.id,
        data={"evidence": camel_snapshot(evidence, FIELDS), "commitmentId": commitment.id},
    )
    return evidence


async def remove_evidence(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> Evidence:
    row = await get_or_404(session, Evidence, id)
    commitment = await get_or_404(session, Commitment, row.commitment_id)
    plan = await plan_of(session, commitment)
    ensure_can_edit(actor, plan.collectivity_id)
    plan_event(
        session,
        plan,
        type=EventType.EVIDENCE_REMOVED,
        actor=actor,
        subject_type="Evidence",
        subject_id=row.id,
        data={"evidence": camel_snapshot(row, FIELDS), "commitmentId": commitment.id},
    )
    await session.delete(row)
    await session.flush()
    return row
