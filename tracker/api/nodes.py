"""`node(id:)` and `nodes(ids:)`: any object by its global ID, if the caller may read it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from tracker.access import can_read_plan
from tracker.api.accountability import Assessment, Comment, assessment_visible
from tracker.api.bodies import ConsultativeBody
from tracker.api.collectivities import Collectivity
from tracker.api.commitments import Commitment
from tracker.api.context import Context, Info
from tracker.api.evidence import Evidence
from tracker.api.indicators import Indicator, Measurement
from tracker.api.milestones import Milestone
from tracker.api.plans import ActionPlan
from tracker.api.relay import MAX_PAGE, Node, decode_id
from tracker.api.sources import EvidenceSource
from tracker.api.webhooks import load_node as webhook_node
from tracker.errors import BadInput


async def _plan_readable(context: Context, plan_id: uuid.UUID) -> bool:
    plan = await context.loaders.plan.load(plan_id)
    return plan is not None and can_read_plan(
        context.principal, status=plan.status, collectivity_id=plan.collectivity_id
    )


async def _commitment_readable(context: Context, commitment_id: uuid.UUID) -> bool:
    commitment = await context.loaders.commitment.load(commitment_id)
    return commitment is not None and await _plan_readable(context, commitment.plan_id)


async def _load(context: Context, type_name: str, key: uuid.UUID) -> Node | None:
    loaders = context.loaders
    if type_name in ("WebhookSubscription", "WebhookDelivery"):
        return await webhook_node(context, type_name, key)
    if type_name == "Collectivity":
        collectivity = await loaders.collectivity.load(key)
        return Collectivity.from_row(collectivity) if collectivity else None
    if type_name == "ConsultativeBody":
        body = await loaders.body.load(key)
        return ConsultativeBody.from_row(body) if body else None
    if type_name == "ActionPlan":
        plan = await loaders.plan.load(key)
        return ActionPlan.from_row(plan) if plan and await _plan_readable(context, plan.id) else None
    if type_name == "Commitment":
        commitment = await loaders.commitment.load(key)
        if commitment is None or not await _plan_readable(context, commitment.plan_id):
            return None
        return Commitment.from_row(commitment)
    if type_name == "Measurement":
        measurement = await loaders.measurement.load(key)
        if measurement is None:
            return None
        indicator = await loaders.indicator.load(measurement.indicator_id)
        if indicator is None or not await _commitment_readable(context, indicator.commitment_id):
            return None
        return Measurement.from_row(measurement)
    if type_name == "Comment":
        comment = await loaders.comment.load(key)
        if comment is None or not await _commitment_readable(context, comment.commitment_id):
            return None
        return Comment.from_row(comment)
    if type_name == "Assessment":
        assessment = await loaders.assessment.load(key)
        if assessment is None or not assessment_visible(context.principal, assessment):
            return None
        if not await _commitment_readable(context, assessment.commitment_id):
            return None
        return Assessment.from_row(assessment)
    child = _CHILDREN.get(type_name)
    if child is None:
        return None
    loader_name, build = child
    row: Any = await getattr(loaders, loader_name).load(key)
    if row is None or not await _commitment_readable(context, row.commitment_id):
        return None
    return build(row)


_CHILDREN: dict[str, tuple[str, Callable[[Any], Node]]] = {
    "EvidenceSource": ("source", EvidenceSource.from_row),
    "Milestone": ("milestone", Milestone.from_row),
    "Indicator": ("indicator", Indicator.from_row),
    "Evidence": ("evidence", Evidence.from_row),
}
NODE_TYPES = frozenset(
    {
        "Collectivity",
        "ConsultativeBody",
        "ActionPlan",
        "Commitment",
        "Measurement",
        "Comment",
        "Assessment",
        "WebhookSubscription",
        "WebhookDelivery",
        *_CHILDREN,
    }
)


def resolve(context: Context, value: str, field: str) -> Awaitable[Node | None]:
    type_name, key = decode_id(value, field=field)
    if type_name not in NODE_TYPES:
        raise BadInput(f"{field} is not the ID of an object of this API", field=field)
    return _load(context, type_name, key)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null when absent or not readable.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve(info.context, str(id), "id")

    @strawberry.field(description=f"Several objects by their global IDs (at most {MAX_PAGE}), in order.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_PAGE:
            raise BadInput(f"ids: at most {MAX_PAGE} at once", field="ids")
        results = [resolve(info.context, str(value), f"ids[{index}]") for index, value in enumerate(ids)]
        return list(await asyncio.gather(*results))
