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
from tracker.api.core import planner
from tracker.api.core.context import Context, Info
from tracker.api.core.lang import Lang, check
from tracker.api.core.planner import sql
from tracker.api.core.relay import MAX_PAGE, Node, decode_id
from tracker.api.evidence import Evidence
from tracker.api.indicators import Indicator, Measurement
from tracker.api.milestones import Milestone
from tracker.api.plans import ActionPlan
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


def _checked(value: str, field: str) -> tuple[str, uuid.UUID]:
    type_name, key = decode_id(value, field=field)
    if type_name not in NODE_TYPES:
        raise BadInput(f"{field} is not the ID of an object of this API", field=field)
    return type_name, key


def resolve(context: Context, value: str, field: str) -> Awaitable[Node | None]:
    return _load(context, *_checked(value, field))


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null when absent or not readable.")
    async def node(self, info: Info, id: strawberry.ID, lang: Lang = None) -> Node | None:
        check(info, lang)
        return await resolve(info.context, str(id), "id")

    @strawberry.field(description=f"Several objects by their global IDs (at most {MAX_PAGE}), in order.")
    async def nodes(self, info: Info, ids: list[strawberry.ID], lang: Lang = None) -> list[Node | None]:
        check(info, lang)
        if len(ids) > MAX_PAGE:
            raise BadInput(f"ids: at most {MAX_PAGE} at once", field="ids")
        # Every ID is checked before any load starts: a refused one leaves no coroutine unawaited.
        checked = [_checked(str(value), f"ids[{index}]") for index, value in enumerate(ids)]
        return list(await asyncio.gather(*(_load(info.context, type_name, key) for type_name, key in checked)))


# How the read planner spells `node(id:)` (tracker/api/core/planner): the same readability as
# `_load` above, per type it covers; an ID of another type is left to the resolver.
def _plan_readable_sql(plan_id: str, plan: planner.Compiler) -> str:
    return f"EXISTS (SELECT 1 FROM action_plan AS np WHERE np.id = {plan_id} AND {plan.readable_plan('np')})"


def _commitment_readable_sql(commitment_id: str, plan: planner.Compiler) -> str:
    return (
        "EXISTS (SELECT 1 FROM commitment AS nc JOIN action_plan AS np ON np.id = nc.plan_id"
        f" WHERE nc.id = {commitment_id} AND {plan.readable_plan('np')})"
    )


def _measurement_readable(to: str, plan: planner.Compiler) -> str:
    return (
        "EXISTS (SELECT 1 FROM indicator AS ni"
        f" WHERE ni.id = {to}.indicator_id AND {_commitment_readable_sql('ni.commitment_id', plan)})"
    )


PLANNED_NODES: dict[str, tuple[str, Callable[[str, planner.Compiler], str]]] = {
    "Collectivity": ("collectivity", lambda to, plan: "true"),
    "ActionPlan": ("action_plan", lambda to, plan: plan.readable_plan(to)),
    "Commitment": ("commitment", lambda to, plan: _plan_readable_sql(f"{to}.plan_id", plan)),
    "Milestone": ("milestone", lambda to, plan: _commitment_readable_sql(f"{to}.commitment_id", plan)),
    "Indicator": ("indicator", lambda to, plan: _commitment_readable_sql(f"{to}.commitment_id", plan)),
    "Evidence": ("evidence", lambda to, plan: _commitment_readable_sql(f"{to}.commitment_id", plan)),
    "Measurement": ("measurement", _measurement_readable),
}


def _decoded(arguments: dict[str, Any], binding: planner.Binding) -> tuple[str, uuid.UUID]:
    """`resolve`'s reading of the ID; what it refuses is left to it (BAD_USER_INPUT, field id)."""
    try:
        type_name, key = decode_id(str(arguments["id"]), field="id")
    except BadInput:
        raise planner.Fallback("id") from None
    if type_name not in NODE_TYPES:
        raise planner.Fallback("id")
    return type_name, key


def _branches(target: planner.Field, plan: planner.Compiler, key: str) -> dict[str, str]:
    """The object of each covered type whose row has the id `key` and is readable, by type."""
    branches = {}
    for type_name, (table, readable) in PLANNED_NODES.items():
        to = plan.alias()
        try:
            built = plan.object(target, plan.object_type(type_name), to)
        except planner.Uncovered:
            continue  # an ID of this type is answered by the resolver
        branches[type_name] = f"(SELECT {built} FROM {table} AS {to} WHERE {to}.id = {key} AND {readable(to, plan)})"
    if not branches:
        raise planner.Uncovered(f"{target.name}: no type of its selection")
    return branches


def _node(row: str, target: planner.Field, plan: planner.Compiler) -> str:
    key = plan.argument(target, ("id",), _decoded, "uuid", part=1)
    branches = _branches(target, plan, key)
    covered = frozenset(branches)

    def type_of(arguments: dict[str, Any], binding: planner.Binding) -> str:
        type_name = _decoded(arguments, binding)[0]
        if type_name not in covered:
            raise planner.Fallback(type_name)
        return type_name

    kind = plan.argument(target, ("id",), type_of, "text")
    cases = " ".join(f"WHEN {sql.literal(name)} THEN {branch}" for name, branch in branches.items())
    return f"CASE {kind} {cases} END"


def _nodes(row: str, target: planner.Field, plan: planner.Compiler) -> str:
    listed = plan.alias("x")
    branches = _branches(target, plan, f"{listed}.id")
    covered = frozenset(branches)

    def decoded(arguments: dict[str, Any], binding: planner.Binding) -> tuple[list[str], list[uuid.UUID]]:
        ids = arguments["ids"]
        if len(ids) > MAX_PAGE:
            raise planner.Fallback("ids")
        found = [_decoded({"id": value}, binding) for value in ids]
        if any(type_name not in covered for type_name, _ in found):
            raise planner.Fallback("ids")
        return [type_name for type_name, _ in found], [key for _, key in found]

    types = plan.argument(target, ("ids",), decoded, "text[]", part=0)
    keys = plan.argument(target, ("ids",), decoded, "uuid[]", part=1)
    cases = " ".join(f"WHEN {sql.literal(name)} THEN {branch}" for name, branch in branches.items())
    return sql.json_list(
        f"CASE {listed}.type {cases} END",
        f"FROM unnest({types}, {keys}) WITH ORDINALITY AS {listed}(type, id, n)",
        f"{listed}.n",
    )


planner.spell("Query", node=planner.Expression(_node), nodes=planner.Expression(_nodes))
