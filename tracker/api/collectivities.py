"""The Collectivity type, its root queries and filters."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import Text, cast, func, or_
from sqlmodel import col, select

from tracker import models
from tracker.access import can_read_plan
from tracker.api.access_requests import AccessRequest, AccessRequestStats, register_of, stats_of
from tracker.api.bodies import ConsultativeBody
from tracker.api.context import Info
from tracker.api.core import planner
from tracker.api.history import Audited
from tracker.api.lang import Lang, check, within
from tracker.api.plans import ActionPlan
from tracker.api.relay import Connection, Node, PageArgs, connection, encode_id, page_of_list, page_of_select


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
    search: str | None = strawberry.field(default=None, description="Slug or name containing this text.")


@strawberry.type
class CollectivityQuery:
    @strawberry.field(description="Collectivities of the network, by slug.")
    async def collectivities(
        self,
        info: Info,
        filter: CollectivityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        lang: Lang = None,
    ) -> Connection[Collectivity]:
        check(info, lang)
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = select(models.Collectivity)
        if filter is not None:
            if filter.kind:
                query = query.where(col(models.Collectivity.kind).in_([kind.value for kind in filter.kind]))
            if filter.parent_slug is not None:
                parent = select(models.Collectivity.id).where(models.Collectivity.slug == filter.parent_slug)
                query = query.where(col(models.Collectivity.parent_id).in_(parent.scalar_subquery()))
            if filter.search:
                needle = f"%{filter.search.strip().lower()}%"
                name_text = func.lower(cast(models.Collectivity.name, Text))
                query = query.where(or_(col(models.Collectivity.slug).like(needle), name_text.like(needle)))
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(session, query, args, col(models.Collectivity.slug))
        return connection([Collectivity.from_row(row) for row in rows], start=start, total=total)

    @strawberry.field(description="One collectivity by its slug.")
    async def collectivity(self, info: Info, slug: str, lang: Lang = None) -> Collectivity | None:
        check(info, lang)
        query = select(models.Collectivity).where(models.Collectivity.slug == slug)
        async with info.context.reading() as session:
            row = (await session.exec(query)).first()
        return Collectivity.from_row(row) if row else None


# How the read planner spells Collectivity and its root queries in SQL (tracker/api/core/planner),
# beside the resolvers above.
# Most recent period first, as Loaders.plans_by_collectivity reads them.
PLAN_ORDER = "{to}.period_start DESC, {to}.created_at DESC, {to}.id"


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


def _filter(arguments: dict[str, Any]) -> dict[str, Any]:
    """The `filter` argument as graphql-core coerces it (a dict by GraphQL names), {} for none."""
    found: dict[str, Any] = arguments.get("filter") or {}
    return found


def _kinds(arguments: dict[str, Any], binding: planner.Binding) -> list[str] | None:
    return planner.enum_values(_filter(arguments).get("kind"))


def _parent_slug(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    found: str | None = _filter(arguments).get("parentSlug")
    return found


def _needle(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    search = _filter(arguments).get("search")
    return f"%{search.strip().lower()}%" if search else None


def _collectivities_where(row: str, to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """The `filter` of `collectivities`, as its resolver writes it."""
    kinds = plan.argument(target, ("filter",), _kinds, "text[]")
    parent = plan.argument(target, ("filter",), _parent_slug, "text")
    needle = plan.argument(target, ("filter",), _needle, "text")
    return (
        f"({kinds} IS NULL OR {to}.kind = ANY({kinds}))"
        f" AND ({parent} IS NULL OR {to}.parent_id IN (SELECT up.id FROM collectivity AS up WHERE up.slug = {parent}))"
        f" AND ({needle} IS NULL OR {to}.slug LIKE {needle} OR lower(CAST({to}.name AS text)) LIKE {needle})"
    )


planner.spell(
    "Query",
    collectivity=planner.ToOne(
        "Collectivity",
        "collectivity",
        lambda row, to, target, plan: f"{to}.slug = {plan.argument(target, ('slug',), _slug, 'text')}",
    ),
    collectivities=planner.Connection(
        "Collectivity", "collectivity", _collectivities_where, planner.static_order("{to}.slug")
    ),
)
