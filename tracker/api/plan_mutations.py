"""Mutations on collectivities, plans and commitments."""

from __future__ import annotations

from datetime import date

import strawberry

from tracker import models
from tracker.api.collectivities import Collectivity
from tracker.api.commitments import Commitment
from tracker.api.core.context import Info
from tracker.api.core.inputs import PeriodInput, TranslatedTextInput, given, key, optional_key, required, text
from tracker.api.core.relay import encode_id
from tracker.api.core.writes import perform
from tracker.api.plans import ActionPlan
from tracker.services import collectivities, commitments, plans
from tracker.services.common import UNSET


@strawberry.input(description="A new collectivity (network administrators only).")
class CreateCollectivityInput:
    slug: str = strawberry.field(description="Lowercase letters, digits and dashes.")
    kind: models.CollectivityKind = strawberry.field(description="Region, prefecture or province, or commune.")
    name: TranslatedTextInput = strawberry.field(description="Name in one or more languages.")
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="The collectivity it belongs to.")


@strawberry.type(description="Result of createCollectivity.")
class CreateCollectivityPayload:
    collectivity: Collectivity = strawberry.field(description="The new collectivity.")


@strawberry.input(description="Changes to a collectivity (administrators); fields left out stay as they are.")
class UpdateCollectivityInput:
    id: strawberry.ID = strawberry.field(description="The collectivity.")
    slug: str | None = strawberry.field(default=strawberry.UNSET, description="New slug (URLs change with it).")
    name: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="New parent; null detaches it."
    )


@strawberry.type(description="Result of updateCollectivity.")
class UpdateCollectivityPayload:
    collectivity: Collectivity = strawberry.field(description="The collectivity as changed.")


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


@strawberry.input(description="What to delete.")
class DeleteInput:
    id: strawberry.ID = strawberry.field(description="Global ID of the object to delete.")


@strawberry.type(description="Result of createPlan.")
class CreatePlanPayload:
    plan: ActionPlan = strawberry.field(description="The new plan.")


@strawberry.type(description="Result of updatePlan.")
class UpdatePlanPayload:
    plan: ActionPlan = strawberry.field(description="The plan as changed.")


@strawberry.type(description="Result of deletePlan.")
class DeletePlanPayload:
    deleted_id: strawberry.ID = strawberry.field(description="Global ID of the deleted plan.")


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
class PlanMutation:
    @strawberry.mutation(description="Add a collectivity to the network (administrators).")
    async def create_collectivity(self, info: Info, input: CreateCollectivityInput) -> CreateCollectivityPayload:
        row = await perform(
            info,
            collectivities.create_collectivity,
            slug=input.slug,
            kind=input.kind,
            name=input.name.as_dict(),
            parent_id=optional_key(input.parent_id, "Collectivity", field="parentId"),
        )
        return CreateCollectivityPayload(collectivity=Collectivity.from_row(row))

    @strawberry.mutation(description="Rename, re-slug or re-attach a collectivity (administrators).")
    async def update_collectivity(self, info: Info, input: UpdateCollectivityInput) -> UpdateCollectivityPayload:
        row = await perform(
            info,
            collectivities.update_collectivity,
            id=key(input.id, "Collectivity", field="id"),
            slug=required(input.slug, "slug"),
            name=required(input.name, "name"),
            parent_id=optional_key(input.parent_id, "Collectivity", field="parentId"),
        )
        return UpdateCollectivityPayload(collectivity=Collectivity.from_row(row))

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
