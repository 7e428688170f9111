"""Staff decide on what sources propose: accepting completes the milestone, rejecting keeps a note."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import Conflict
from tracker.models import ActionPlan, Commitment, Milestone, MilestoneProposal, ProposalStatus, WorkStatus
from tracker.models.base import utcnow
from tracker.services import milestones
from tracker.services.comments import clean_text
from tracker.services.common import get_or_404, touch


async def _pending(session: AsyncSession, actor: Principal, id: uuid.UUID) -> tuple[MilestoneProposal, Milestone]:
    proposal = await get_or_404(session, MilestoneProposal, id)
    milestone = await get_or_404(session, Milestone, proposal.milestone_id)
    commitment = await get_or_404(session, Commitment, milestone.commitment_id)
    plan = await get_or_404(session, ActionPlan, commitment.plan_id)
    ensure_can_edit(actor, plan.collectivity_id)
    if proposal.status is not ProposalStatus.PENDING:
        raise Conflict(f"this proposal was {proposal.status.value.lower()} already", field="id")
    return proposal, milestone


def _decide(proposal: MilestoneProposal, actor: Principal, status: ProposalStatus, note: str | None) -> None:
    proposal.status = status
    proposal.decided_at = utcnow()
    proposal.decided_by = actor.label
    proposal.decision_note = note
    touch(proposal)


async def accept_proposal(
    session: AsyncSession, *, actor: Principal, id: uuid.UUID, completed_on: date | None = None
) -> MilestoneProposal:
    proposal, milestone = await _pending(session, actor, id)
    await milestones.update_milestone(
        session, actor=actor, id=milestone.id, status=WorkStatus.COMPLETED, completed_on=completed_on
    )
    _decide(proposal, actor, ProposalStatus.ACCEPTED, None)
    session.add(proposal)
    return proposal


async def reject_proposal(session: AsyncSession, *, actor: Principal, id: uuid.UUID, note: str) -> MilestoneProposal:
    proposal, _ = await _pending(session, actor, id)
    _decide(proposal, actor, ProposalStatus.REJECTED, clean_text(note, field="note", limit=2000))
    session.add(proposal)
    return proposal
