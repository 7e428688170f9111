"""The Milestone type."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from tracker import models, progress
from tracker.api.accountability import Comment, comments_on
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.lang import within
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.api.core.relay import Connection, Node, PageArgs, encode_id, page_of_list
from tracker.api.history import Audited

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
