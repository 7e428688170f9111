"""The ActionPlan type: its fields, its mutations and its SQL spelling."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from tracker import models, progress
from tracker.api.commitments import (
    Commitment,
    CommitmentFilter,
    CommitmentOrder,
    commitment_matches,
    commitments_order,
    commitments_where,
)
from tracker.api.core import planner
from tracker.api.core.context import Context, Info
from tracker.api.core.inputs import DeleteInput, PeriodInput, TranslatedTextInput, given, key, required, text
from tracker.api.core.lang import within
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.api.core.relay import Connection, Node, PageArgs, encode_id, page_of_list
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.services import plans
from tracker.services.common import UNSET

if TYPE_CHECKING:
    from tracker.api.collectivities import Collectivity


@strawberry.type(description="A span of dates, both ends included.")
class Period:
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day.")


async def plan_progress(context: Context, plan_id: uuid.UUID) -> float:
    row = await context.loaders.plan.load(plan_id)
    return progress.published(row.progress) if row is not None else 0.0


@strawberry.type(description="An openness action plan adopted by a collectivity's council.")
class ActionPlan(Node, Audited):
    row: strawberry.Private[models.ActionPlan]
    status: models.PlanStatus = strawberry.field(description="Where the plan stands in its life cycle.")
    adopted_on: date | None = strawberry.field(description="When the council adopted the plan.")

    @classmethod
    def from_row(cls, row: models.ActionPlan) -> ActionPlan:
        return cls(
            id=strawberry.ID(encode_id("ActionPlan", row.id)),
            row=row,
            status=row.status,
            adopted_on=row.adopted_on,
        )

    @strawberry.field(description="Title in the language asked for (see `lang`).")
    def title(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.title, within(info, lang))

    @strawberry.field(description="Description in the language asked for, if there is one.")
    def description(self, info: Info, lang: str | None = None) -> str | None:
        return info.context.optional_text(self.row.description, within(info, lang))

    @strawberry.field(description="The period the plan covers.")
    def period(self) -> Period:
        return Period(start=self.row.period_start, end=self.row.period_end)

    @strawberry.field(description="The collectivity that adopted the plan.")
    async def collectivity(self, info: Info) -> Annotated[Collectivity, strawberry.lazy("tracker.api.collectivities")]:
        from tracker.api.collectivities import Collectivity

        row = await info.context.loaders.collectivity.load(self.row.collectivity_id)
        assert row is not None  # the foreign key guarantees it
        return Collectivity.from_row(row)

    @strawberry.field(
        description="Mean progress of its commitments, 0 to 100, to one decimal place (see the progress rule)."
    )
    def progress(self) -> float:
        return progress.published(self.row.progress)  # kept on write by services.derived

    @strawberry.field(description="Commitments of the plan, in plan order unless ordered otherwise.")
    async def commitments(
        self,
        info: Info,
        filter: CommitmentFilter | None = None,
        order_by: CommitmentOrder = CommitmentOrder.POSITION,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Commitment]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.commitments_by_plan.load(self.row.id)
        kept = [row for row in rows if commitment_matches(row, filter)]
        if order_by is CommitmentOrder.REFERENCE:
            kept.sort(key=lambda row: row.reference)
        return page_of_list([Commitment.from_row(row) for row in kept], args)


@strawberry.input(description="A new action plan.")
class CreatePlanInput:
    collectivity_id: strawberry.ID = strawberry.field(description="The collectivity adopting the plan.")
    title: TranslatedTextInput = strawberry.field(description="Title in one or more languages.")
    period: PeriodInput = strawberry.field(description="The period the plan covers.")
    description: TranslatedTextInput | None = strawberry.field(default=None, description="Description.")
    status: models.PlanStatus = strawberry.field(default=models.PlanStatus.DRAFT, description="Initial status.")
    adopted_on: date | None = strawberry.field(default=None, description="Date of adoption by the council.")


@strawberry.input(description="Changes to a plan; fields left out stay as they are.")
class UpdatePlanInput:
    id: strawberry.ID = strawberry.field(description="The plan.")
    title: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    description: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New description.")
    period: PeriodInput | None = strawberry.field(default=strawberry.UNSET, description="New period.")
    status: models.PlanStatus | None = strawberry.field(default=strawberry.UNSET, description="New status.")
    adopted_on: date | None = strawberry.field(default=strawberry.UNSET, description="New adoption date.")


@strawberry.type(description="Result of createPlan.")
class CreatePlanPayload:
    plan: ActionPlan = strawberry.field(description="The new plan.")


@strawberry.type(description="Result of updatePlan.")
class UpdatePlanPayload:
    plan: ActionPlan = strawberry.field(description="The plan as changed.")


@strawberry.type(description="Result of deletePlan.")
class DeletePlanPayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted plan.")


@strawberry.type
class PlanMutation:
    @strawberry.mutation(description="Create an action plan for a collectivity.")
    async def create_plan(self, info: Info, input: CreatePlanInput) -> CreatePlanPayload:
        row = await perform(
            info,
            plans.create_plan,
            collectivity_id=key(input.collectivity_id, "Collectivity", field="collectivityId"),
            title=input.title.as_dict(),
            description=text(input.description),
            period_start=input.period.start,
            period_end=input.period.end,
            status=input.status,
            adopted_on=input.adopted_on,
        )
        return CreatePlanPayload(plan=ActionPlan.from_row(row))

    @strawberry.mutation(description="Change a plan.")
    async def update_plan(self, info: Info, input: UpdatePlanInput) -> UpdatePlanPayload:
        period = required(input.period, "period")
        row = await perform(
            info,
            plans.update_plan,
            id=key(input.id, "ActionPlan", field="id"),
            title=required(input.title, "title"),
            description=given(input.description),
            period_start=UNSET if period is UNSET else input.period.start,  # type: ignore[union-attr]
            period_end=UNSET if period is UNSET else input.period.end,  # type: ignore[union-attr]
            status=required(input.status, "status"),
            adopted_on=given(input.adopted_on),
        )
        return UpdatePlanPayload(plan=ActionPlan.from_row(row))

    @strawberry.mutation(description="Delete a plan with its commitments, milestones and indicators.")
    async def delete_plan(self, info: Info, input: DeleteInput) -> DeletePlanPayload:
        row = await perform(info, plans.delete_plan, id=key(input.id, "ActionPlan", field="id"))
        return DeletePlanPayload(deleted_id=strawberry.ID(encode_id("ActionPlan", row.id)))


# How the read planner spells ActionPlan in SQL (tracker/api/core/planner), beside its fields.
planner.spell(
    "Period", start=planner.Column("period_start", sql.iso_date), end=planner.Column("period_end", sql.iso_date)
)
planner.spell(
    "ActionPlan",
    id=planner.GlobalId("ActionPlan"),
    status=planner.Column("status"),
    adopted_on=planner.Column("adopted_on", sql.iso_date),
    title=planner.Translated("title"),
    description=planner.Translated("description", required=False),
    # The period's fields are columns of the plan's own row.
    period=planner.Expression(lambda row, target, plan: plan.object(target, plan.object_type("Period"), row)),
    collectivity=planner.ToOne(
        "Collectivity", "collectivity", lambda row, to, target, plan: f"{to}.id = {row}.collectivity_id"
    ),
    progress=planner.Column("progress", planned_progress.published),  # kept on write by services.derived
    commitments=planner.Connection(
        "Commitment",
        "commitment",
        lambda row, to, target, plan: f"{to}.plan_id = {row}.id AND {commitments_where(to, target, plan)}",
        commitments_order,
    ),
)
