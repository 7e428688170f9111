"""The Commitment type: its fields, filters, mutations and SQL spelling."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from tracker import models, progress
from tracker.api.accountability import Assessment, Comment, assessments_of, comments_on
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.inputs import DeleteInput, TranslatedTextInput, given, key, required, text
from tracker.api.core.lang import within
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.relay import Connection, Node, PageArgs, encode_id, page_of_list
from tracker.api.core.writes import perform
from tracker.api.evidence import EVIDENCE_ORDER, Evidence
from tracker.api.history import Audited
from tracker.api.indicators import Indicator
from tracker.api.milestones import (
    Milestone,
    MilestoneFilter,
    MilestoneOrder,
    milestone_matches,
    milestones_order,
    milestones_where,
    order_milestones,
)
from tracker.api.sources import EvidenceSource, sources_of
from tracker.services import commitments

if TYPE_CHECKING:
    from tracker.api.plans import ActionPlan


@strawberry.enum(description="Order of commitments.")
class CommitmentOrder(Enum):
    POSITION = "POSITION"
    REFERENCE = "REFERENCE"


@strawberry.input(description="Which commitments to list; every condition given must hold.")
class CommitmentFilter:
    status: list[models.WorkStatus] | None = strawberry.field(default=None, description="Any of these statuses.")
    ogp_value: models.OgpValue | None = strawberry.field(default=None, description="Serving this OGP value.")


def commitment_matches(row: models.Commitment, where: CommitmentFilter | None) -> bool:
    if where is None:
        return True
    if where.status and row.status not in where.status:
        return False
    return not (where.ogp_value and where.ogp_value.value not in row.ogp_values)


@strawberry.type(description="A commitment of an action plan, with its milestones and indicators.")
class Commitment(Node, Audited):
    row: strawberry.Private[models.Commitment]
    reference: str = strawberry.field(description="Short reference, unique in the plan (e.g. AM-1).")
    ogp_values: list[models.OgpValue] = strawberry.field(description="OGP values the commitment serves.")
    partners: list[str] = strawberry.field(description="Partner organisations.")
    status: models.WorkStatus = strawberry.field(description="Where the commitment stands, as set by staff.")

    @classmethod
    def from_row(cls, row: models.Commitment) -> Commitment:
        return cls(
            id=strawberry.ID(encode_id("Commitment", row.id)),
            row=row,
            reference=row.reference,
            ogp_values=[models.OgpValue(value) for value in row.ogp_values],
            partners=list(row.partners),
            status=row.status,
        )

    @strawberry.field(description="Title in the language asked for (see `lang`).")
    def title(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.title, within(info, lang))

    @strawberry.field(description="Description in the language asked for, if there is one.")
    def description(self, info: Info, lang: str | None = None) -> str | None:
        return info.context.optional_text(self.row.description, within(info, lang))

    @strawberry.field(description="The unit of the collectivity leading the commitment.")
    def lead_unit(self, info: Info, lang: str | None = None) -> str | None:
        return info.context.optional_text(self.row.lead_unit, within(info, lang))

    @strawberry.field(
        description="Weighted share of completed milestones, 0 to 100, to one decimal place (see the progress rule)."
    )
    def progress(self) -> float:
        return progress.published(self.row.progress)  # kept on write by services.derived

    @strawberry.field(description="The plan this commitment belongs to.")
    async def plan(self, info: Info) -> Annotated[ActionPlan, strawberry.lazy("tracker.api.plans")]:
        from tracker.api.plans import ActionPlan

        row = await info.context.loaders.plan.load(self.row.plan_id)
        assert row is not None  # the foreign key guarantees it
        return ActionPlan.from_row(row)

    @strawberry.field(description="Milestones, by due date unless ordered otherwise.")
    async def milestones(
        self,
        info: Info,
        filter: MilestoneFilter | None = None,
        order_by: MilestoneOrder = MilestoneOrder.DUE_ON_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Milestone]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.milestones_by_commitment.load(self.row.id)
        today = info.context.today
        kept = order_milestones([row for row in rows if milestone_matches(row, filter, today)], order_by)
        return page_of_list([Milestone.from_row(row) for row in kept], args)

    @strawberry.field(description="Evaluation indicators.")
    async def indicators(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Indicator]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.indicators_by_commitment.load(self.row.id)
        return page_of_list([Indicator.from_row(row) for row in rows], args)

    @strawberry.field(description="Evidence of the commitment and its milestones, newest first.")
    async def evidence(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Evidence]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.evidence_by_commitment.load(self.row.id)
        return page_of_list([Evidence.from_row(row) for row in rows], args)

    @strawberry.field(description="Discussion threads on the commitment itself, oldest first.")
    async def comments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Comment]:
        return await comments_on(info.context, self.row.id, None, PageArgs(first, after, last, before))

    @strawberry.field(description="Assessments by consultative bodies: published ones, and your body's drafts.")
    async def assessments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Assessment]:
        return await assessments_of(info.context, self.row.id, PageArgs(first, after, last, before))

    @strawberry.field(description="Sources that pull evidence for this commitment, its milestones and indicators.")
    async def evidence_sources(self, info: Info) -> list[EvidenceSource]:
        return await sources_of(info.context, self.row.id)


@strawberry.input(description="A new commitment of a plan.")
class CreateCommitmentInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    reference: str = strawberry.field(description="Short reference, unique in the plan.")
    title: TranslatedTextInput = strawberry.field(description="Title in one or more languages.")
    description: TranslatedTextInput | None = strawberry.field(default=None, description="Description.")
    ogp_values: list[models.OgpValue] = strawberry.field(default_factory=list, description="OGP values served.")
    lead_unit: TranslatedTextInput | None = strawberry.field(default=None, description="Leading unit.")
    partners: list[str] = strawberry.field(default_factory=list, description="Partner organisations.")
    status: models.WorkStatus = strawberry.field(default=models.WorkStatus.NOT_STARTED, description="Initial status.")


@strawberry.input(description="Changes to a commitment; fields left out stay as they are.")
class UpdateCommitmentInput:
    id: strawberry.ID = strawberry.field(description="The commitment.")
    reference: str | None = strawberry.field(default=strawberry.UNSET, description="New reference.")
    title: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New title.")
    description: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New description.")
    ogp_values: list[models.OgpValue] | None = strawberry.field(default=strawberry.UNSET, description="New OGP values.")
    lead_unit: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New leading unit.")
    partners: list[str] | None = strawberry.field(default=strawberry.UNSET, description="New partners.")
    status: models.WorkStatus | None = strawberry.field(default=strawberry.UNSET, description="New status.")


@strawberry.type(description="Result of createCommitment.")
class CreateCommitmentPayload:
    commitment: Commitment = strawberry.field(description="The new commitment.")


@strawberry.type(description="Result of updateCommitment.")
class UpdateCommitmentPayload:
    commitment: Commitment = strawberry.field(description="The commitment as changed.")


@strawberry.type(description="Result of deleteCommitment.")
class DeleteCommitmentPayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted commitment.")


@strawberry.type
class CommitmentMutation:
    @strawberry.mutation(description="Add a commitment to a plan.")
    async def create_commitment(self, info: Info, input: CreateCommitmentInput) -> CreateCommitmentPayload:
        row = await perform(
            info,
            commitments.create_commitment,
            plan_id=key(input.plan_id, "ActionPlan", field="planId"),
            reference=input.reference,
            title=input.title.as_dict(),
            description=text(input.description),
            ogp_values=input.ogp_values,
            lead_unit=text(input.lead_unit),
            partners=input.partners,
            status=input.status,
        )
        return CreateCommitmentPayload(commitment=Commitment.from_row(row))

    @strawberry.mutation(description="Change a commitment.")
    async def update_commitment(self, info: Info, input: UpdateCommitmentInput) -> UpdateCommitmentPayload:
        row = await perform(
            info,
            commitments.update_commitment,
            id=key(input.id, "Commitment", field="id"),
            reference=required(input.reference, "reference"),
            title=required(input.title, "title"),
            description=given(input.description),
            ogp_values=required(input.ogp_values, "ogpValues"),
            lead_unit=given(input.lead_unit),
            partners=required(input.partners, "partners"),
            status=required(input.status, "status"),
        )
        return UpdateCommitmentPayload(commitment=Commitment.from_row(row))

    @strawberry.mutation(description="Delete a commitment with its milestones and indicators.")
    async def delete_commitment(self, info: Info, input: DeleteInput) -> DeleteCommitmentPayload:
        row = await perform(info, commitments.delete_commitment, id=key(input.id, "Commitment", field="id"))
        return DeleteCommitmentPayload(deleted_id=strawberry.ID(encode_id("Commitment", row.id)))


# How the read planner spells Commitment in SQL (tracker/api/core/planner), beside its fields, and
# the commitment filter above (`commitment_matches`) and the orders of `ActionPlan.commitments`.
def _ogp_value(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    value = planner.filter_of(arguments).get("ogpValue")
    return value.value if value else None


def commitments_where(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """`commitment_matches` of the commitment row `to`, with the field's `filter` argument."""
    statuses = plan.argument(target, ("filter",), planner.filter_statuses, "text[]")
    ogp_value = plan.argument(target, ("filter",), _ogp_value, "text")
    return (
        f"({statuses} IS NULL OR {to}.status = ANY({statuses}))"
        f" AND ({ogp_value} IS NULL OR jsonb_exists({to}.ogp_values, {ogp_value}))"
    )


def _by_reference(arguments: dict[str, Any], binding: planner.Binding) -> bool:
    return bool(arguments.get("orderBy") is CommitmentOrder.REFERENCE)


def commitments_order(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """Plan order (Loaders.commitments_by_plan), or by reference as Python sorts strings (by code
    point, stable over plan order)."""
    by_reference = plan.argument(target, ("orderBy",), _by_reference, "boolean")
    return f'(CASE WHEN {by_reference} THEN {to}.reference END) COLLATE "C", {to}.position, {to}.reference, {to}.id'


planner.spell(
    "Commitment",
    id=planner.GlobalId("Commitment"),
    reference=planner.Column("reference"),
    ogp_values=planner.Column("ogp_values"),
    partners=planner.Column("partners"),
    status=planner.Column("status"),
    title=planner.Translated("title"),
    description=planner.Translated("description", required=False),
    lead_unit=planner.Translated("lead_unit", required=False),
    progress=planner.Column("progress", planned_progress.published),  # kept on write by services.derived
    plan=planner.ToOne("ActionPlan", "action_plan", lambda row, to, target, plan: f"{to}.id = {row}.plan_id"),
    milestones=planner.Connection(
        "Milestone",
        "milestone",
        lambda row, to, target, plan: f"{to}.commitment_id = {row}.id AND {milestones_where(to, target, plan)}",
        milestones_order,
    ),
    indicators=planner.Connection(
        "Indicator",
        "indicator",
        lambda row, to, target, plan: f"{to}.commitment_id = {row}.id",
        planner.static_order("{to}.position, {to}.id"),
    ),
    evidence=planner.Connection(
        "Evidence", "evidence", lambda row, to, target, plan: f"{to}.commitment_id = {row}.id", EVIDENCE_ORDER
    ),
)
