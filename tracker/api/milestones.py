"""The Milestone type: its fields, filters, mutations and SQL spelling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from enum import Enum
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


@strawberry.enum(description="Order of milestones.")
class MilestoneOrder(Enum):
    DUE_ON_ASC = "DUE_ON_ASC"
    DUE_ON_DESC = "DUE_ON_DESC"
    POSITION = "POSITION"


@strawberry.input(description="Which milestones to list; every condition given must hold.")
class MilestoneFilter:
    status: list[models.WorkStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    due_before: date | None = strawberry.field(default=None, description="Due on or before this date.")
    due_after: date | None = strawberry.field(default=None, description="Due on or after this date.")
    overdue: bool | None = strawberry.field(
        default=None, description="Only overdue (true) or only not overdue (false)."
    )


def milestone_matches(row: models.Milestone, where: MilestoneFilter | None, today: date) -> bool:
    if where is None:
        return True
    if where.status and row.status not in where.status:
        return False
    if where.due_before and row.due_on > where.due_before:
        return False
    if where.due_after and row.due_on < where.due_after:
        return False
    if where.overdue is not None:
        overdue = progress.is_overdue(due_on=row.due_on, status=row.status, today=today)
        if overdue != where.overdue:
            return False
    return True


def order_milestones(rows: list[models.Milestone], order: MilestoneOrder) -> list[models.Milestone]:
    if order is MilestoneOrder.DUE_ON_DESC:
        return sorted(rows, key=lambda row: (row.due_on, row.position), reverse=True)
    if order is MilestoneOrder.POSITION:
        return sorted(rows, key=lambda row: row.position)
    return rows  # loaded by due date, then position


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


# How the read planner spells Milestone in SQL (tracker/api/core/planner), beside its fields, and
# the milestone filter and orders above (`milestone_matches`, `order_milestones`).
def _due_before(arguments: dict[str, Any], binding: planner.Binding) -> date | None:
    found: date | None = planner.filter_of(arguments).get("dueBefore")
    return found


def _due_after(arguments: dict[str, Any], binding: planner.Binding) -> date | None:
    found: date | None = planner.filter_of(arguments).get("dueAfter")
    return found


def _overdue(arguments: dict[str, Any], binding: planner.Binding) -> bool | None:
    found: bool | None = planner.filter_of(arguments).get("overdue")
    return found


def milestones_where(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """`milestone_matches` of the milestone row `to`, with the field's `filter` argument."""
    statuses = plan.argument(target, ("filter",), planner.filter_statuses, "text[]")
    before = plan.argument(target, ("filter",), _due_before, "date")
    after = plan.argument(target, ("filter",), _due_after, "date")
    overdue = plan.argument(target, ("filter",), _overdue, "boolean")
    late = planned_progress.is_overdue(to, plan.today)
    return (
        f"({statuses} IS NULL OR {to}.status = ANY({statuses}))"
        f" AND ({before} IS NULL OR {to}.due_on <= {before})"
        f" AND ({after} IS NULL OR {to}.due_on >= {after})"
        f" AND ({overdue} IS NULL OR {late} = {overdue})"
    )


def due_on_descending(arguments: dict[str, Any], binding: planner.Binding) -> bool:
    """Whether `orderBy` asks for the latest due first (a planner binding)."""
    return bool(arguments.get("orderBy") is MilestoneOrder.DUE_ON_DESC)


def _by_position(arguments: dict[str, Any], binding: planner.Binding) -> bool:
    return bool(arguments.get("orderBy") is MilestoneOrder.POSITION)


def milestones_order(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """`order_milestones` over the loader's order (due date, position, id): Python's sorts are
    stable, so ties keep that order, reversed sorts included."""
    descending = plan.argument(target, ("orderBy",), due_on_descending, "boolean")
    by_position = plan.argument(target, ("orderBy",), _by_position, "boolean")
    return (
        f"CASE WHEN {descending} THEN {to}.due_on END DESC, CASE WHEN {descending} THEN {to}.position END DESC,"
        f" CASE WHEN {by_position} THEN {to}.position END, {to}.due_on, {to}.position, {to}.id"
    )


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
