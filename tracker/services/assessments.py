"""Assessments of commitments by consultative bodies, in the spirit of OGP's IRM.

A draft stays private to the body that writes it until the body publishes it.
"""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_assess
from tracker.errors import Conflict, NotFound
from tracker.events.outbox import camel_changes, record_audit
from tracker.events.types import EventType
from tracker.models import (
    ActionPlan,
    Assessment,
    AssessmentStatus,
    Commitment,
    CompletionLevel,
    OpenedGovernment,
    PotentialImpact,
)
from tracker.models.base import utcnow
from tracker.services.comments import clean_text
from tracker.services.commitments import plan_of
from tracker.services.common import UNSET, _Unset, camel_snapshot, enum_value, get_or_404, touch
from tracker.services.plans import plan_event

FIELDS = ("completion", "potential_impact", "opened_government", "rationale")
MAX_RATIONALE = 10_000


async def draft_assessment(
    session: AsyncSession,
    *,
    actor: Principal,
    commitment_id: uuid.UUID,
    completion: CompletionLevel | str,
    potential_impact: PotentialImpact | str,
    opened_government: OpenedGovernment | str,
    rationale: str,
) -> Assessment:
    commitment = await get_or_404(session, Commitment, commitment_id, field="commitmentId")
    plan = await plan_of(session, commitment)
    body_id = ensure_can_assess(actor, plan.collectivity_id)
    assessment = Assessment(
        commitment_id=commitment.id,
        body_id=body_id,
        author_name=actor.name,
        completion=enum_value(CompletionLevel, completion, field="completion"),
        potential_impact=enum_value(PotentialImpact, potential_impact, field="potentialImpact"),
        opened_government=enum_value(OpenedGovernment, opened_government, field="openedGovernment"),
        rationale=clean_text(rationale, field="rationale", limit=MAX_RATIONALE),
    )
    session.add(assessment)
    await session.flush()
    _audit_draft(session, actor, plan, assessment, "assessment.drafted", {}, camel_snapshot(assessment, FIELDS))
    return assessment


def _audit_draft(
    session: AsyncSession,
    actor: Principal,
    plan: ActionPlan,
    assessment: Assessment,
    action: str,
    before: dict[str, object],
    after: dict[str, object],
) -> None:
    """Drafts announce nothing, but their changes are audited, privately."""
    record_audit(
        session,
        action=action,
        actor=actor,
        subject_type="Assessment",
        subject_id=assessment.id,
        collectivity_id=plan.collectivity_id,
        plan_id=plan.id,
        public=False,
        changes=camel_changes(before, after),
    )


async def _own_draft(session: AsyncSession, actor: Principal, id: uuid.UUID) -> tuple[Assessment, Commitment]:
    assessment = await get_or_404(session, Assessment, id)
    commitment = await get_or_404(session, Commitment, assessment.commitment_id)
    plan = await plan_of(session, commitment)
    body_id = ensure_can_assess(actor, plan.collectivity_id)
    if assessment.body_id != body_id:
        # Another body's draft is invisible, not forbidden: its existence is private too.
        raise NotFound("no Assessment with this id", field="id")
    if assessment.status is AssessmentStatus.PUBLISHED:
        raise Conflict("a published assessment cannot be changed", field="id")
    return assessment, commitment


async def update_assessment(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    completion: CompletionLevel | str | _Unset = UNSET,
    potential_impact: PotentialImpact | str | _Unset = UNSET,
    opened_government: OpenedGovernment | str | _Unset = UNSET,
    rationale: str | _Unset = UNSET,
) -> Assessment:
    assessment, commitment = await _own_draft(session, actor, id)
    before = camel_snapshot(assessment, FIELDS)
    if not isinstance(completion, _Unset):
        assessment.completion = enum_value(CompletionLevel, completion, field="completion")
    if not isinstance(potential_impact, _Unset):
        assessment.potential_impact = enum_value(PotentialImpact, potential_impact, field="potentialImpact")
    if not isinstance(opened_government, _Unset):
        assessment.opened_government = enum_value(OpenedGovernment, opened_government, field="openedGovernment")
    if not isinstance(rationale, _Unset):
        assessment.rationale = clean_text(rationale, field="rationale", limit=MAX_RATIONALE)
    after = camel_snapshot(assessment, FIELDS)
    if camel_changes(before, after):
        touch(assessment)
        session.add(assessment)
        plan = await plan_of(session, commitment)
        _audit_draft(session, actor, plan, assessment, "assessment.updated", before, after)
    return assessment


async def publish_assessment(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> Assessment:
    assessment, commitment = await _own_draft(session, actor, id)
    plan = await plan_of(session, commitment)
    assessment.status = AssessmentStatus.PUBLISHED
    assessment.published_at = utcnow()
    touch(assessment)
    session.add(assessment)
    plan_event(
        session,
        plan,
        type=EventType.ASSESSMENT_PUBLISHED,
        actor=actor,
        subject_type="Assessment",
        subject_id=assessment.id,
        data={"assessment": camel_snapshot(assessment, FIELDS), "commitmentId": commitment.id},
    )
    return assessment
