"""Comments on commitments and milestones: threaded, answered by staff, hidden with a reason."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, can_read_plan, ensure_can_comment, ensure_can_moderate
from tracker.errors import BadInput, Conflict, NotFound
from tracker.events.types import EventType
from tracker.models import ActionPlan, Comment, Commitment, Milestone
from tracker.models.base import utcnow
from tracker.services.commitments import plan_of
from tracker.services.common import get_or_404, touch
from tracker.services.plans import plan_event

MAX_TEXT = 5000
MAX_REASON = 500


def clean_text(text: str, *, field: str, limit: int) -> str:
    value = text.strip()
    if not value:
        raise BadInput(f"{field} cannot be empty", field=field)
    if len(value) > limit:
        raise BadInput(f"{field} is {len(value)} characters long; the limit is {limit}", field=field)
    return value


async def _readable_plan(session: AsyncSession, actor: Principal, commitment: Commitment) -> ActionPlan:
    plan = await plan_of(session, commitment)
    if not can_read_plan(actor, status=plan.status, collectivity_id=plan.collectivity_id):
        # A draft the caller may not read does not exist for them.
        raise NotFound("no commitment or milestone with this id", field="subjectId")
    return plan


async def post_comment(
    session: AsyncSession,
    *,
    actor: Principal,
    commitment_id: uuid.UUID,
    text: str,
    milestone_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
) -> Comment:
    commitment = await get_or_404(session, Commitment, commitment_id, field="subjectId")
    plan = await _readable_plan(session, actor, commitment)
    ensure_can_comment(actor, plan.collectivity_id)
    if milestone_id is not None:
        milestone = await get_or_404(session, Milestone, milestone_id, field="subjectId")
        if milestone.commitment_id != commitment.id:
            raise BadInput("the milestone belongs to another commitment", field="subjectId")
    if parent_id is not None:
        parent = await get_or_404(session, Comment, parent_id, field="replyToId")
        if (parent.commitment_id, parent.milestone_id) != (commitment.id, milestone_id):
            raise BadInput("a reply must be about the same subject as the comment it answers", field="replyToId")
    comment = Comment(
        commitment_id=commitment.id,
        milestone_id=milestone_id,
        parent_id=parent_id,
        author_role=actor.role,
        author_name=actor.name,
        body_id=actor.body_id,
        text=clean_text(text, field="body", limit=MAX_TEXT),
    )
    session.add(comment)
    await session.flush()
    plan_event(
        session,
        plan,
        type=EventType.COMMENT_CREATED,
        actor=actor,
        subject_type="Comment",
        subject_id=comment.id,
        data={
            "comment": {"text": comment.text, "authorRole": actor.role, "replyToId": parent_id},
            "commitmentId": commitment.id,
            "milestoneId": milestone_id,
        },
    )
    return comment


async def hide_comment(session: AsyncSession, *, actor: Principal, id: uuid.UUID, reason: str) -> Comment:
    """Hide a comment's text; the reason, the moderator's role and the thread stay visible."""
    comment = await get_or_404(session, Comment, id)
    commitment = await get_or_404(session, Commitment, comment.commitment_id)
    plan = await plan_of(session, commitment)
    ensure_can_moderate(actor, plan.collectivity_id)
    if comment.hidden_at is not None:
        raise Conflict("this comment is already hidden", field="id")
    comment.hidden_reason = clean_text(reason, field="reason", limit=MAX_REASON)
    comment.hidden_at = utcnow()
    comment.hidden_by_role = actor.role
    touch(comment)
    session.add(comment)
    plan_event(
        session,
        plan,
        type=EventType.COMMENT_HIDDEN,
        actor=actor,
        subject_type="Comment",
        subject_id=comment.id,
        data={"changes": {"hiddenReason": {"before": None, "after": comment.hidden_reason}}},
    )
    return comment
