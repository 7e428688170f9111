"""The Collectivity type: its fields, root queries, filters and mutations, and its SQL spelling."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, case, collate, exists, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from tracker import models
from tracker.access import can_read_plan
from tracker.api.access_requests import AccessRequest, AccessRequestStats, register_of, stats_of
from tracker.api.bodies import ConsultativeBody
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.inputs import TranslatedTextInput, key, optional_key, required
from tracker.api.core.lang import Lang, check, within
from tracker.api.core.loaders import overdue_on
from tracker.api.core.relay import Connection, Node, PageArgs, connection, encode_id, page_of_list, page_of_select
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.api.network import overdue_sql
from tracker.api.plans import ActionPlan
from tracker.errors import BadInput
from tracker.natural import like_pattern
from tracker.services import collectivities
from tracker.services.network import readable_plans


@strawberry.type(description="A territorial collectivity: region, prefecture or province, commune.")
class Collectivity(Node, Audited):
    row: strawberry.Private[models.Collectivity]
    slug: str = strawberry.field(description="Stable short name used in URLs (e.g. ait-melloul).")
    kind: models.CollectivityKind = strawberry.field(description="Region, prefecture or province, or commune.")

    @classmethod
    def from_row(cls, row: models.Collectivity) -> Collectivity:
        return cls(id=strawberry.ID(encode_id("Collectivity", row.id)), row=row, slug=row.slug, kind=row.kind)

    @strawberry.field(description="Name in the language asked for (see `lang`).")
    def name(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.name, within(info, lang))

    @strawberry.field(description="The collectivity this one belongs to (a commune's prefecture...).")
    async def parent(self, info: Info) -> Collectivity | None:
        if self.row.parent_id is None:
            return None
        row = await info.context.loaders.collectivity.load(self.row.parent_id)
        return Collectivity.from_row(row) if row else None

    @strawberry.field(description="Collectivities that belong to this one.")
    async def children(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Collectivity]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.children_by_collectivity.load(self.row.id)
        return page_of_list([Collectivity.from_row(row) for row in rows], args)

    @strawberry.field(description="Action plans the caller may read, most recent period first.")
    async def plans(
        self,
        info: Info,
        status: list[models.PlanStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ActionPlan]:
        args = PageArgs(first=first, after=after, last=last, before=before)
        rows = await info.context.loaders.plans_by_collectivity.load(self.row.id)
        principal = info.context.principal
        kept = [
            row
            for row in rows
            if can_read_plan(principal, status=row.status, collectivity_id=row.collectivity_id)
            and (not status or row.status in status)
        ]
        return page_of_list([ActionPlan.from_row(row) for row in kept], args)

    @strawberry.field(description="Consultative bodies that follow this collectivity's plans.")
    async def consultative_bodies(self, info: Info) -> list[ConsultativeBody]:
        rows = await info.context.loaders.bodies_by_collectivity.load(self.row.id)
        return [ConsultativeBody.from_row(row) for row in rows]

    @strawberry.field(description="Figures of the access-to-information register (law 31-13).")
    async def access_request_stats(self, info: Info) -> AccessRequestStats:
        return await stats_of(info, self.row.id)

    @strawberry.field(description="Entries of the access-to-information register (the collectivity's people).")
    async def access_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AccessRequest]:
        return await register_of(info, self.row.id, PageArgs(first=first, after=after, last=last, before=before))

    @strawberry.field(
        description="Milestones past due and not closed, today, in the plans of this collectivity the caller may read."
    )
    async def overdue_milestone_count(self, info: Info) -> int:
        plans = await info.context.loaders.overdue_by_collectivity.load(self.row.id)
        principal = info.context.principal
        return sum(
            count for _, status, count in plans if can_read_plan(principal, status=status, collectivity_id=self.row.id)
        )

    @strawberry.field(description="The readable plan whose period is the most recent, if any.")
    async def current_plan(self, info: Info) -> ActionPlan | None:
        rows = await info.context.loaders.plans_by_collectivity.load(self.row.id)
        principal = info.context.principal
        for row in rows:
            if can_read_plan(principal, status=row.status, collectivity_id=row.collectivity_id):
                return ActionPlan.from_row(row)
        return None


@strawberry.input(description="Which collectivities to list; every condition given must hold.")
class CollectivityFilter:
    kind: list[models.CollectivityKind] | None = strawberry.field(default=None, description="Any of these kinds.")
    parent_slug: str | None = strawberry.field(default=None, description="Belonging to this collectivity.")
    search: str | None = strawberry.field(
        default=None,
        description="Slug or name (in any language) containing this text; case, accents and Arabic diacritics ignored.",
    )
    within_slug: str | None = strawberry.field(
        default=None,
        description="This collectivity and every one below it (a region's provinces and their communes...).",
    )
    has_plan: bool | None = strawberry.field(
        default=None, description="With (true) or without (false) a plan the caller may read."
    )
    has_overdue_milestones: bool | None = strawberry.field(
        default=None, description="With (true) or without (false) an overdue milestone (see overdueMilestoneCount)."
    )


@strawberry.enum(
    description="Order of collectivities. Names are in natural order (Commune 2 before Commune 10), "
    "in the language of the list's `lang` (else Accept-Language); ties by slug."
)
class CollectivityOrder(Enum):
    SLUG = strawberry.enum_value("SLUG", description="By slug.")
    NAME = strawberry.enum_value("NAME", description="By name.")
    PLACE = strawberry.enum_value(
        "PLACE",
        description="By place: each region by name, followed by its own collectivities, each province by name "
        "followed by its communes by name.",
    )
    PROGRESS_DESC = strawberry.enum_value(
        "PROGRESS_DESC", description="Current plan's progress, highest first (none last), then by name."
    )
    OVERDUE_DESC = strawberry.enum_value("OVERDUE_DESC", description="Overdue milestones, most first, then by name.")


@strawberry.type
class CollectivityQuery:
    @strawberry.field(description="Collectivities of the network, by slug unless ordered otherwise.")
    async def collectivities(
        self,
        info: Info,
        filter: CollectivityFilter | None = None,
        order_by: CollectivityOrder = CollectivityOrder.SLUG,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        lang: Lang = None,
    ) -> Connection[Collectivity]:
        check(info, lang)
        args = PageArgs(first=first, after=after, last=last, before=before)
        place = models.Collectivity
        principal, today = info.context.principal, info.context.today
        query = select(place)
        if filter is not None:
            if filter.kind:
                query = query.where(col(place.kind).in_([kind.value for kind in filter.kind]))
            if filter.parent_slug is not None:
                parent = select(place.id).where(place.slug == filter.parent_slug)
                query = query.where(col(place.parent_id).in_(parent.scalar_subquery()))
            needle = like_pattern(filter.search or "")
            if needle is not None:
                query = query.where(col(place.search_text).like(needle, escape="\\"))
            if filter.within_slug is not None:
                query = query.where(col(place.id).in_(_below(filter.within_slug)))
            if filter.has_plan is not None:
                with_plan = exists().where(
                    col(models.ActionPlan.collectivity_id) == col(place.id), readable_plans(principal)
                )
                query = query.where(with_plan if filter.has_plan else ~with_plan)
            if filter.has_overdue_milestones is not None:
                late = _overdue_count(principal, today) > 0
                query = query.where(late if filter.has_overdue_milestones else ~late)
        async with info.context.reading() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            sort_lang = info.context.languages(lang)[0]
            query, order = _ordered(query, order_by, sort_lang, postgres, principal, today)
            rows, start, total = await page_of_select(session, query, args, *order)
        return connection([Collectivity.from_row(row) for row in rows], start=start, total=total)

    @strawberry.field(description="One collectivity by its slug.")
    async def collectivity(self, info: Info, slug: str, lang: Lang = None) -> Collectivity | None:
        check(info, lang)
        query = select(models.Collectivity).where(models.Collectivity.slug == slug)
        async with info.context.reading() as session:
            row = (await session.exec(query)).first()
        return Collectivity.from_row(row) if row else None


def _below(slug: str) -> Any:
    """Ids of the collectivity `slug` and of every one below it."""
    place, child = models.Collectivity, aliased(models.Collectivity)
    below = select(col(place.id)).where(place.slug == slug).cte("below", recursive=True)
    below = below.union(select(col(child.id)).join(below, col(child.parent_id) == below.c.id))
    return select(below.c.id)


def _overdue_count(principal: Any, today: Any) -> Any:
    """Collectivity.overdue_milestone_count of the outer collectivity row, in SQL."""
    plan = models.ActionPlan
    return (
        select(func.count())
        .select_from(models.Milestone)
        .join(models.Commitment, col(models.Commitment.id) == col(models.Milestone.commitment_id))
        .join(plan, col(plan.id) == col(models.Commitment.plan_id))
        .where(col(plan.collectivity_id) == col(models.Collectivity.id), readable_plans(principal), overdue_on(today))
        .correlate(models.Collectivity)
        .scalar_subquery()
    )


def _current_progress(principal: Any) -> Any:
    """The progress of the collectivity's current plan (Collectivity.current_plan), or NULL."""
    plan = models.ActionPlan
    return (
        select(col(plan.progress))
        .where(col(plan.collectivity_id) == col(models.Collectivity.id), readable_plans(principal))
        .order_by(col(plan.period_start).desc(), col(plan.created_at).desc(), col(plan.id))
        .limit(1)
        .correlate(models.Collectivity)
        .scalar_subquery()
    )


def _ordered(
    query: Any, order_by: CollectivityOrder, lang: str, postgres: bool, principal: Any, today: Any
) -> tuple[Any, list[Any]]:
    """The query (joined to what its order reads) and its ORDER BY, as `_order` spells it for the planner."""
    place = models.Collectivity
    slug = col(place.slug)

    def key(row: Any) -> ColumnElement[str]:
        # The keys are compared code point by code point on both databases (tracker.natural).
        value = row.name_key[lang].as_string()
        return collate(value, "C") if postgres else value

    if order_by is CollectivityOrder.SLUG:
        return query, [slug]
    if order_by is CollectivityOrder.PLACE:
        parent, top = aliased(place), aliased(place)
        query = query.outerjoin(parent, parent.id == place.parent_id).outerjoin(top, top.id == parent.parent_id)
        has_top, has_parent = col(top.id).is_not(None), col(parent.id).is_not(None)
        empty: Any = literal("")
        return query, [
            func.coalesce(key(top), key(parent), key(place)),
            func.coalesce(top.slug, parent.slug, place.slug),
            case((has_top, key(parent)), (has_parent, key(place)), else_=empty),
            case((has_top, parent.slug), (has_parent, place.slug), else_=empty),
            case((has_top, key(place)), else_=empty),
            slug,
        ]
    first: list[Any] = []
    if order_by is CollectivityOrder.PROGRESS_DESC:
        first = [_current_progress(principal).desc().nulls_last()]
    elif order_by is CollectivityOrder.OVERDUE_DESC:
        first = [_overdue_count(principal, today).desc()]
    return query, [*first, key(place), slug]


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


@strawberry.type
class CollectivityMutation:
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


# How the read planner spells Collectivity and its root queries in SQL (tracker/api/core/planner),
# beside the resolvers above.
# Most recent period first, as Loaders.plans_by_collectivity reads them.
PLAN_ORDER = "{to}.period_start DESC, {to}.created_at DESC, {to}.id"


def _planned_overdue(row: str, plan: planner.Compiler) -> str:
    """Collectivity.overdue_milestone_count: each readable plan's count, kept in network_stats
    while it is exact (tracker.api.network.overdue_sql)."""
    counted = overdue_sql("os", "op", plan.today)
    return (
        f"(SELECT CAST(COALESCE(SUM({counted}), 0) AS bigint) FROM action_plan AS op"
        f" LEFT JOIN network_stats AS os ON os.plan_id = op.id"
        f" WHERE op.collectivity_id = {row}.id AND {plan.readable_plan('op')})"
    )


def _plan_statuses(arguments: dict[str, Any], binding: planner.Binding) -> list[str] | None:
    return planner.enum_values(arguments.get("status"))


def _plans_where(row: str, to: str, target: planner.Field, plan: planner.Compiler) -> str:
    statuses = plan.argument(target, ("status",), _plan_statuses, "text[]")
    return (
        f"{to}.collectivity_id = {row}.id AND {plan.readable_plan(to)}"
        f" AND ({statuses} IS NULL OR {to}.status = ANY({statuses}))"
    )


planner.spell(
    "Collectivity",
    id=planner.GlobalId("Collectivity"),
    slug=planner.Column("slug"),
    kind=planner.Column("kind"),
    name=planner.Translated("name"),
    parent=planner.ToOne("Collectivity", "collectivity", lambda row, to, target, plan: f"{to}.id = {row}.parent_id"),
    children=planner.Connection(
        "Collectivity",
        "collectivity",
        lambda row, to, target, plan: f"{to}.parent_id = {row}.id",
        planner.static_order("{to}.slug"),
    ),
    plans=planner.Connection("ActionPlan", "action_plan", _plans_where, planner.static_order(PLAN_ORDER)),
    overdue_milestone_count=planner.Expression(lambda row, target, plan: _planned_overdue(row, plan)),
    current_plan=planner.ToOne(
        "ActionPlan",
        "action_plan",
        lambda row, to, target, plan: f"{to}.collectivity_id = {row}.id AND {plan.readable_plan(to)}",
        order=PLAN_ORDER,
    ),
)


def _slug(arguments: dict[str, Any], binding: planner.Binding) -> str:
    slug: str = arguments["slug"]
    return slug


def _kinds(arguments: dict[str, Any], binding: planner.Binding) -> list[str] | None:
    return planner.enum_values(planner.filter_of(arguments).get("kind"))


def _parent_slug(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    found: str | None = planner.filter_of(arguments).get("parentSlug")
    return found


def _needle(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    return like_pattern(planner.filter_of(arguments).get("search") or "")


def _within_slug(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    found: str | None = planner.filter_of(arguments).get("withinSlug")
    return found


def _has_plan(arguments: dict[str, Any], binding: planner.Binding) -> bool | None:
    found: bool | None = planner.filter_of(arguments).get("hasPlan")
    return found


def _has_overdue(arguments: dict[str, Any], binding: planner.Binding) -> bool | None:
    found: bool | None = planner.filter_of(arguments).get("hasOverdueMilestones")
    return found


def _collectivities_where(row: str, to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """The `filter` of `collectivities`, as its resolver writes it."""
    kinds = plan.argument(target, ("filter",), _kinds, "text[]")
    parent = plan.argument(target, ("filter",), _parent_slug, "text")
    needle = plan.argument(target, ("filter",), _needle, "text")
    within = plan.argument(target, ("filter",), _within_slug, "text")
    has_plan = plan.argument(target, ("filter",), _has_plan, "boolean")
    has_overdue = plan.argument(target, ("filter",), _has_overdue, "boolean")
    below = (
        f"WITH RECURSIVE below(id) AS (SELECT wb.id FROM collectivity AS wb WHERE wb.slug = {within}"
        " UNION SELECT wc.id FROM collectivity AS wc JOIN below ON wc.parent_id = below.id) SELECT id FROM below"
    )
    return (
        f"({kinds} IS NULL OR {to}.kind = ANY({kinds}))"
        f" AND ({parent} IS NULL OR {to}.parent_id IN (SELECT up.id FROM collectivity AS up WHERE up.slug = {parent}))"
        f" AND ({needle} IS NULL OR {to}.search_text LIKE {needle} ESCAPE '\\')"
        f" AND ({within} IS NULL OR {to}.id IN ({below}))"
        f" AND ({has_plan} IS NULL OR EXISTS (SELECT 1 FROM action_plan AS hp"
        f" WHERE hp.collectivity_id = {to}.id AND {plan.readable_plan('hp')}) = {has_plan})"
        f" AND ({has_overdue} IS NULL OR ({_planned_overdue(to, plan)} > 0) = {has_overdue})"
    )


def _order_name(arguments: dict[str, Any], binding: planner.Binding) -> str:
    order: CollectivityOrder = arguments.get("orderBy", CollectivityOrder.SLUG)
    return order.name


def _sort_lang(arguments: dict[str, Any], binding: planner.Binding) -> str:
    try:
        return binding.context.languages(arguments.get("lang"))[0]
    except BadInput:
        raise planner.Fallback("lang") from None


def _collectivities_order(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """The order of `collectivities`, as `_ordered` writes it: each way's terms are NULL (equal)
    unless `orderBy` asks for it; the slug settles the rest."""
    order = plan.argument(target, ("orderBy",), _order_name, "text")
    lang = plan.argument(target, ("lang",), _sort_lang, "text")

    def key(row: str) -> str:
        return f"({row}.name_key ->> {lang})"

    def when(name: str, value: str) -> str:
        return f"CASE WHEN {order} = '{name}' THEN {value} END"

    progress = (
        f"(SELECT cp.progress FROM action_plan AS cp WHERE cp.collectivity_id = {to}.id AND {plan.readable_plan('cp')}"
        f" ORDER BY {PLAN_ORDER.format(to='cp')} LIMIT 1)"
    )
    return ", ".join(
        (
            f"{when('PROGRESS_DESC', progress)} DESC NULLS LAST",
            f"{when('OVERDUE_DESC', _planned_overdue(to, plan))} DESC NULLS LAST",
            f'{when("PLACE", _place(to, key))} COLLATE "C"',
            f"CASE WHEN {order} NOT IN ('SLUG', 'PLACE') THEN {key(to)} END COLLATE \"C\"",
            f"{to}.slug",
        )
    )


def _place(to: str, key: Callable[[str], str]) -> str:
    """`_ordered`'s five terms of the order by place, as one array: one lookup of the parent and
    grandparent a row (as ten subqueries, one a term, they took ~65 ms of a page at N = 1,590).
    Slugs compare byte by byte too ("C"), as SQLite compares them; they are ASCII."""
    top_key, top_slug, parent_key, parent_slug = key("op2"), "op2.slug", key("op1"), "op1.slug"
    has_top = "op2.id IS NOT NULL"
    below_parent = (
        f"ARRAY[COALESCE({top_key}, {parent_key}, {key(to)}), COALESCE({top_slug}, {parent_slug}),"
        f" CASE WHEN {has_top} THEN {parent_key} ELSE {key(to)} END,"
        f" CASE WHEN {has_top} THEN {parent_slug} ELSE {to}.slug END,"
        f" CASE WHEN {has_top} THEN {key(to)} ELSE '' END]"
    )
    return (
        f"COALESCE((SELECT {below_parent} FROM collectivity AS op1 LEFT JOIN collectivity AS op2"
        f" ON op2.id = op1.parent_id WHERE op1.id = {to}.parent_id), ARRAY[{key(to)}, {to}.slug, '', '', ''])"
    )


planner.spell(
    "Query",
    collectivity=planner.ToOne(
        "Collectivity",
        "collectivity",
        lambda row, to, target, plan: f"{to}.slug = {plan.argument(target, ('slug',), _slug, 'text')}",
    ),
    collectivities=planner.Connection("Collectivity", "collectivity", _collectivities_where, _collectivities_order),
)
