"""The Milestone type: its fields, its mutations and its SQL spelling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models, progress
from tracker.api.accountability import Comment, comments_on
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.inputs import DeleteInput, TranslatedTextInput, given, key, required
from tracker.api.core.lang import within
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.api.core.relay import Connection, Node, PageArgs, encode_id, page_of_list
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.services import milestones
from tracker.services.common import get_or_404

if TYPE_CHECKING:
    from tracker.api.commitments import Commitment
    from tracker.api.evidence import Evidence
    from tracker.api.sources import MilestoneProposal


@strawberry.type(description="A dated step of a commitment; completed milestones make progress.")
class Milestone(Node, Audited):
    row: strawberry.Private[models.Milestone]
    due_on: date = strawberry.field(description="When the milestone is due (inside the plan period).")
    status: models.WorkStatus = strawberry.field(description="Where the milestone stands.")
    completed_on: date | None = strawberry.field(description="When it was completed, if it was.")
    weight: float = strawberry.field(description="Relative weight in its commitment's progress.")

    @classmethod
    def from_row(cls, row: models.Milestone) -> Milestone:
        return cls(
            id=strawberry.ID(encode_id("Milestone", row.id)),
            row=row,
            due_on=row.due_on,
            status=row.status,
            completed_on=row.completed_on,
            weight=row.weight,
        )

    @strawberry.field(description="Title in the language asked for (see `lang`).")
    def title(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.title, within(info, lang))

    @strawberry.field(description="True when due before today and neither completed nor cancelled.")
    def is_overdue(self, info: Info) -> bool:
        return progress.is_overdue(due_on=self.row.due_on, status=self.row.status, today=info.context.today)

    @strawberry.field(description="100 when completed, otherwise 0 (see the progress rule).")
    def progress(self) -> float:
        return progress.published(progress.milestone_progress(self.row.status))

    @strawberry.field(description="The commitment this milestone belongs to.")
    async def commitment(self, info: Info) -> Annotated[Commitment, strawberry.lazy("tracker.api.commitments")]:
        from tracker.api.commitments import Commitment

        row = await info.context.loaders.commitment.load(self.row.commitment_id)
        assert row is not None  # the foreign key guarantees it
        return Commitment.from_row(row)

    @strawberry.field(description="Evidence attached to this milestone, newest first.")
    async def evidence(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Evidence, strawberry.lazy("tracker.api.evidence")]]:
        from tracker.api.evidence import Evidence

        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.evidence_by_milestone.load(self.row.id)
        return page_of_list([Evidence.from_row(row) for row in rows], args)

    @strawberry.field(description="Discussion threads on this milestone, oldest first.")
    async def comments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Comment]:
        return await comments_on(
            info.context, self.row.commitment_id, self.row.id, PageArgs(first, after, last, before)
        )

    @strawberry.field(description="What evidence sources proposed about this milestone, oldest first.")
    async def proposals(self, info: Info) -> list[Annotated[MilestoneProposal, strawberry.lazy("tracker.api.sources")]]:
        from tracker.api.sources import proposals_of

        return await proposals_of(info.context, self.row.id)


# The answer of updateMilestone names the milestone's commitment, with its new progress, which the
# service has just read and written: taken from the service's session, where it is, rather than
# read again after the commit.
def with_commitment(
    service: Callable[..., Awaitable[models.Milestone]],
) -> Callable[..., Awaitable[tuple[models.Milestone, models.Commitment]]]:
    async def run(session: AsyncSession, **arguments: Any) -> tuple[models.Milestone, models.Commitment]:
        milestone = await service(session, **arguments)
        return milestone, await get_or_404(session, models.Commitment, milestone.commitment_id)

    return run


@strawberry.input(description="A new milestone of a commitment.")
class CreateMilestoneInput:
    commitment_id: strawberry.ID = strawberry.field(description="The commitment.")
    title: TranslatedTextInput = strawberry.field(description="Title in one or more languages.")
    due_on: date = strawberry.field(description="Due date, inside the plan period.")
    weight: float = strawberry.field(default=1.0, description="Relative weight (> 0) in the commitment's progress.")
    status: models.WorkStatus = strawberry.field(default=models.WorkStatus.NOT_STARTED, description="Initial status.")
    completed_on: date | None = strawberry.field(
        default=None, description="Completion date, for a COMPLETED milestone (default today)."
    )


@strawberry.input(description="Changes to a milestone; fields left out stay as they are.")
class UpdateMilestoneInput:
    id: strawberry.ID = strawberry.field(description="The milestone.")
    title: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    due_on: date | None = strawberry.field(default=strawberry.UNSET, description="New due date.")
    weight: float | None = strawberry.field(default=strawberry.UNSET, description="New weight.")
    status: models.WorkStatus | None = strawberry.field(default=strawberry.UNSET, description="New status.")
    completed_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Completion date (COMPLETED only; default today)."
    )


@strawberry.type(description="Result of createMilestone.")
class CreateMilestonePayload:
    milestone: Milestone = strawberry.field(description="The new milestone.")


@strawberry.type(description="Result of updateMilestone.")
class UpdateMilestonePayload:
    milestone: Milestone = strawberry.field(description="The milestone as changed.")


@strawberry.type(description="Result of deleteMilestone.")
class DeleteMilestonePayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted milestone.")


@strawberry.type
class MilestoneMutation:
    @strawberry.mutation(description="Add a milestone to a commitment.")
    async def create_milestone(self, info: Info, input: CreateMilestoneInput) -> CreateMilestonePayload:
        row = await perform(
            info,
            milestones.create_milestone,
            commitment_id=key(input.commitment_id, "Commitment", field="commitmentId"),
            title=input.title.as_dict(),
            due_on=input.due_on,
            weight=input.weight,
            status=input.status,
            completed_on=input.completed_on,
        )
        return CreateMilestonePayload(milestone=Milestone.from_row(row))

    @strawberry.mutation(description="Change a milestone: its status, completion date, due date...")
    async def update_milestone(self, info: Info, input: UpdateMilestoneInput) -> UpdateMilestonePayload:
        row, commitment = await perform(
            info,
            with_commitment(milestones.update_milestone),
            id=key(input.id, "Milestone", field="id"),
            title=required(input.title, "title"),
            due_on=required(input.due_on, "dueOn"),
            weight=required(input.weight, "weight"),
            status=required(input.status, "status"),
            completed_on=given(input.completed_on),
        )
        info.context.loaders.commitment.prime(commitment.id, commitment)
        return UpdateMilestonePayload(milestone=Milestone.from_row(row))

    @strawberry.mutation(description="Delete a milestone.")
    async def delete_milestone(self, info: Info, input: DeleteInput) -> DeleteMilestonePayload:
        row = await perform(info, milestones.delete_milestone, id=key(input.id, "Milestone", field="id"))
        return DeleteMilestonePayload(deleted_id=strawberry.ID(encode_id("Milestone", row.id)))


# How the read planner spells Milestone in SQL (tracker/api/core/planner), beside its fields.
def _evidence_order(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    from tracker.api.evidence import EVIDENCE_ORDER

    return EVIDENCE_ORDER(to, target, plan)


planner.spell(
    "Milestone",
    id=planner.GlobalId("Milestone"),
    due_on=planner.Column("due_on", sql.iso_date),
    status=planner.Column("status"),
    completed_on=planner.Column("completed_on", sql.iso_date),
    weight=planner.Column("weight"),
    title=planner.Translated("title"),
    is_overdue=planner.Expression(lambda row, target, plan: planned_progress.is_overdue(row, plan.today)),
    progress=planner.Expression(
        lambda row, target, plan: planned_progress.published(planned_progress.milestone_progress(row))
    ),
    commitment=planner.ToOne(
        "Commitment", "commitment", lambda row, to, target, plan: f"{to}.id = {row}.commitment_id"
    ),
    evidence=planner.Connection(
        "Evidence", "evidence", lambda row, to, target, plan: f"{to}.milestone_id = {row}.id", _evidence_order
    ),
)
