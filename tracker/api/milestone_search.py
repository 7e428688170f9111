"""`milestones(...)` across the network: what is due, late or done, paged in SQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import strawberry
from sqlmodel import col, select

from tracker import models
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.lang import Lang, check
from tracker.api.core.relay import Connection, PageArgs, connection, page_of_select
from tracker.api.milestones import Milestone, MilestoneFilter, MilestoneOrder, due_on_descending, milestones_where
from tracker.api.network import overdue_sql
from tracker.models.enums import WorkStatus
from tracker.progress import CLOSED_STATUSES
from tracker.services.network import readable_plans


@strawberry.type
class MilestoneQuery:
    @strawberry.field(description="Milestones of every plan the caller may read, by due date unless ordered otherwise.")
    async def milestones(
        self,
        info: Info,
        filter: MilestoneFilter | None = None,
        collectivity_slug: str | None = None,
        order_by: MilestoneOrder = MilestoneOrder.DUE_ON_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        lang: Lang = None,
    ) -> Connection[Milestone]:
        check(info, lang)
        args = PageArgs(first=first, after=after, last=last, before=before)
        query = (
            select(models.Milestone)
            .join(models.Commitment, col(models.Commitment.id) == col(models.Milestone.commitment_id))
            .join(models.ActionPlan, col(models.ActionPlan.id) == col(models.Commitment.plan_id))
            .where(readable_plans(info.context.principal))
        )
        if collectivity_slug is not None:
            place = select(models.Collectivity.id).where(models.Collectivity.slug == collectivity_slug)
            query = query.where(col(models.ActionPlan.collectivity_id).in_(place.scalar_subquery()))
        if filter is not None:
            if filter.status:
                query = query.where(col(models.Milestone.status).in_([status.value for status in filter.status]))
            if filter.due_before is not None:
                query = query.where(col(models.Milestone.due_on) <= filter.due_before)
            if filter.due_after is not None:
                query = query.where(col(models.Milestone.due_on) >= filter.due_after)
            if filter.overdue is not None:
                # The same condition as progress.is_overdue, in SQL.
                late = (col(models.Milestone.due_on) < info.context.today) & col(models.Milestone.status).not_in(
                    [status.value for status in CLOSED_STATUSES]
                )
                query = query.where(late if filter.overdue else ~late)
        descending = order_by is MilestoneOrder.DUE_ON_DESC
        due = col(models.Milestone.due_on)
        async with info.context.reading() as session:
            rows, start, total = await page_of_select(
                session, query, args, due.desc() if descending else due, col(models.Milestone.id)
            )
        return connection([Milestone.from_row(row) for row in rows], start=start, total=total)


# How the read planner spells `milestones(...)` (tracker/api/core/planner), as the resolver above.
def _collectivity_slug(arguments: dict[str, Any], binding: planner.Binding) -> str | None:
    slug: str | None = arguments.get("collectivitySlug")
    return slug


def _due_range(arguments: dict[str, Any], binding: planner.Binding) -> tuple[date | None, date | None]:
    """The bounds of due_on that the filter sets (overdue: before today), None where it sets none."""
    found = planner.filter_of(arguments)
    latest = binding.today - timedelta(days=1) if found.get("overdue") is True else None
    before = found.get("dueBefore")
    if latest is not None and (before is None or latest < before):
        before = latest
    return found.get("dueAfter"), before


def _due_between(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    """The filter's bounds again, as a range of due_on whatever the values (infinite where absent,
    due_on is never null): the plan made once for any values reads that range of an index on
    due_on instead of every milestone of the network. (Not in milestones_where: under one
    commitment, its index on commitment_id is the one to read.)"""
    earliest, latest = (plan.argument(target, ("filter",), _due_range, "date", part=n) for n in (0, 1))
    return (
        f"{to}.due_on BETWEEN COALESCE({earliest}, CAST('-infinity' AS date))"
        f" AND COALESCE({latest}, CAST('infinity' AS date))"
    )


def _in_place(plan_row: str, target: planner.Field, plan: planner.Compiler) -> str:
    """Whether the action_plan row `plan_row` is of the collectivity `collectivitySlug` names, if any."""
    slug = plan.argument(target, ("collectivitySlug",), _collectivity_slug, "text")
    place = plan.alias("sl")
    return (
        f"({slug} IS NULL OR {plan_row}.collectivity_id IN"
        f" (SELECT {place}.id FROM collectivity AS {place} WHERE {place}.slug = {slug}))"
    )


def _where(row: str, to: str, target: planner.Field, plan: planner.Compiler) -> str:
    return (
        f"{_due_between(to, target, plan)}"
        " AND EXISTS (SELECT 1 FROM commitment AS sc JOIN action_plan AS sp ON sp.id = sc.plan_id"
        f" WHERE sc.id = {to}.commitment_id AND {plan.readable_plan('sp')} AND {_in_place('sp', target, plan)})"
        f" AND {milestones_where(to, target, plan)}"
    )


def _order(to: str, target: planner.Field, plan: planner.Compiler) -> str:
    written = target.source("orderBy")
    if written is None or not written.startswith("$"):
        # Known from the document (as the resolver, any order but DUE_ON_DESC is by due date): an
        # order that the index on due_on gives, so that a page from the start stops reading the
        # network's milestones at its end.
        descending = written == MilestoneOrder.DUE_ON_DESC.name
        return f"{to}.due_on{' DESC' if descending else ''}, {to}.id"
    by_variable = plan.argument(target, ("orderBy",), due_on_descending, "boolean")
    return f"CASE WHEN {by_variable} THEN {to}.due_on END DESC, {to}.due_on, {to}.id"


def _only_overdue(arguments: dict[str, Any], binding: planner.Binding) -> bool:
    """Whether the filter asks for overdue milestones and nothing else: the network's counts
    (`network_stats`) tell how many there are."""
    found = planner.filter_of(arguments)
    return found.get("overdue") is True and not any(found.get(name) for name in ("status", "dueBefore", "dueAfter"))


_EVERY_STATUS = [status.value for status in WorkStatus]


def _statuses(arguments: dict[str, Any], binding: planner.Binding) -> list[str]:
    """The statuses the filter keeps: every one when it names none."""
    return planner.enum_values(planner.filter_of(arguments).get("status")) or _EVERY_STATUS


def _count(row: str, target: planner.Field, plan: planner.Compiler) -> str:
    """totalCount. Only overdue milestones: as the network's `overdueMilestoneCount` counts them
    (per plan, kept on write while exact). Any other filter: the matching milestones counted from
    the index on (status, due_on) that carries their commitment_id, less those of commitments the
    reader may not read. Those are few (drafts of other collectivities) and looked up once, in a
    hashed NOT IN, where checking each counted milestone's plan cost two index lookups a row (at
    N = 1,590, 3,945 milestones for the bench's search: most of the read). `status = ANY` with
    every status when the filter names none lets a plan made for any values use the index."""
    only_overdue = plan.argument(target, ("filter",), _only_overdue, "boolean")
    statuses = plan.argument(target, ("filter",), _statuses, "text[]")
    counted, commitment, plan_row = plan.alias("m"), plan.alias("hc"), plan.alias("hp")
    hidden = (
        f"SELECT {commitment}.id FROM commitment AS {commitment}"
        f" JOIN action_plan AS {plan_row} ON {plan_row}.id = {commitment}.plan_id"
        f" WHERE ({plan.readable_plan(plan_row)} AND {_in_place(plan_row, target, plan)}) IS NOT TRUE"
    )
    return (
        f"CASE WHEN {only_overdue} THEN (SELECT COALESCE(SUM({overdue_sql('cs', 'cp', plan.today)}), 0)"
        " FROM action_plan AS cp LEFT JOIN network_stats AS cs ON cs.plan_id = cp.id"
        f" WHERE {plan.readable_plan('cp')} AND {_in_place('cp', target, plan)})"
        f" ELSE (SELECT count(*) FROM milestone AS {counted} WHERE {counted}.status = ANY({statuses})"
        f" AND {_due_between(counted, target, plan)} AND {counted}.commitment_id NOT IN ({hidden})"
        f" AND {milestones_where(counted, target, plan)}) END"
    )


planner.spell(
    "Query",
    milestones=planner.Connection("Milestone", "milestone", _where, _order, count=planner.Expression(_count)),
)
