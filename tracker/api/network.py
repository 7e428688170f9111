"""The Network aggregate: progress compared across collectivities."""

from __future__ import annotations

import strawberry

from tracker import models, progress
from tracker.api.core import planner
from tracker.api.core.context import Info
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.models.network import COUNT_COLUMNS
from tracker.services import network


@strawberry.type(description="Figures for one kind of collectivity.")
class KindSummary:
    kind: models.CollectivityKind = strawberry.field(description="The kind of collectivity.")
    collectivity_count: int = strawberry.field(description="Collectivities of this kind.")
    plan_count: int = strawberry.field(description="Readable plans of collectivities of this kind.")
    mean_progress: float = strawberry.field(
        description="Mean progress of those plans, 0 to 100, to one decimal place (see the progress rule)."
    )


@strawberry.type(description="How many items have a given status.")
class StatusCount:
    status: str = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many.")


def _counts(values: dict[str, int]) -> list[StatusCount]:
    return [StatusCount(status=status, count=count) for status, count in sorted(values.items())]


@strawberry.type(description="Aggregates across the network of open territorial collectivities.")
class Network:
    collectivity_count: int = strawberry.field(description="Collectivities in the tracker.")
    plan_count: int = strawberry.field(description="Plans the caller may read.")
    commitment_count: int = strawberry.field(description="Commitments of those plans.")
    milestone_count: int = strawberry.field(description="Milestones of those commitments.")
    overdue_milestone_count: int = strawberry.field(description="Milestones past due and not closed.")
    mean_progress: float = strawberry.field(
        description="Mean plan progress, 0 to 100, to one decimal place (see the progress rule)."
    )
    by_kind: list[KindSummary] = strawberry.field(description="The same figures per kind of collectivity.")
    plans_by_status: list[StatusCount] = strawberry.field(description="Plans per status.")
    commitments_by_status: list[StatusCount] = strawberry.field(description="Commitments per status.")
    milestones_by_status: list[StatusCount] = strawberry.field(description="Milestones per status.")


@strawberry.type
class NetworkQuery:
    @strawberry.field(description="Aggregates across all collectivities (drafts only for those who may read them).")
    async def network(self, info: Info) -> Network:
        async with info.context.reading() as session:
            summary = await network.summarize(session, principal=info.context.principal, today=info.context.today)
        return Network(
            collectivity_count=summary.collectivity_count,
            plan_count=summary.plan_count,
            commitment_count=summary.commitment_count,
            milestone_count=summary.milestone_count,
            overdue_milestone_count=summary.overdue_milestone_count,
            mean_progress=progress.published(summary.mean_progress),
            by_kind=[
                KindSummary(
                    kind=item.kind,
                    collectivity_count=item.collectivity_count,
                    plan_count=item.plan_count,
                    mean_progress=progress.published(item.mean_progress),
                )
                for item in summary.by_kind
            ],
            plans_by_status=_counts(summary.plans_by_status),
            commitments_by_status=_counts(summary.commitments_by_status),
            milestones_by_status=_counts(summary.milestones_by_status),
        )


# How the read planner spells `network` (tracker/api/core/planner): the figures of
# `services.network.summarize`, from the values kept on write (the plans' stored progress and the
# per-plan counts of `network_stats`, summed over the plans the reader may see); overdue
# milestones, which depend on the day, are read from network_stats too while its count holds
# (`overdue_sql`), counted otherwise. Means add in the order the Python code adds
# (plans by id), so that floats come out identical, not merely close.
def mean_sql(values: str, source: str) -> str:
    """`progress.mean`: the sum in the order of the plans over their number, 0.0 for none."""
    return f"COALESCE((SELECT SUM({values} ORDER BY id) / count(*) FROM {source}), CAST(0.0 AS float8))"


# Every kind, in the order of the enum, even without collectivities.
KINDS_SQL = ", ".join(f"'{kind.value}'" for kind in models.CollectivityKind)
STATS_SUMS = ", ".join(f"COALESCE(SUM(s.{name}), 0) AS {name}" for name in COUNT_COLUMNS)


def stats_statuses(stats: str, prefix: str) -> str:
    """(status, n) rows of the summed counts of `stats` whose columns start with `prefix`, none for 0."""
    rows = ", ".join(f"('{status.value}', {stats}.{prefix}_{status.value.lower()})" for status in models.WorkStatus)
    return f"(SELECT u.status, u.n FROM {stats} CROSS JOIN LATERAL (VALUES {rows}) AS u(status, n) WHERE u.n > 0)"


def overdue_sql(stats: str, plan: str, today: str) -> str:
    """How many milestones of the plan `plan` are overdue on `today` (`progress.is_overdue`): the
    count `stats` keeps (its row of network_stats) while it is exact, from the day it was counted
    for to the first due date of an open milestone after it (see NetworkStats); otherwise (another
    day, a row never counted or missing) its milestones counted, through the plan's commitments."""
    return f"""CASE WHEN {stats}.overdue_as_of <= {today}
            AND ({stats}.next_overdue_on IS NULL OR {stats}.next_overdue_on >= {today})
        THEN {stats}.overdue_count
        ELSE (SELECT count(*) FROM commitment AS c JOIN milestone AS m ON m.commitment_id = c.id
            WHERE c.plan_id = {plan}.id AND {planned_progress.is_overdue("m", today)})
        END"""


def _figures(plan: planner.Compiler) -> str:
    """The CTEs of the network's figures, ending with `nw_figures`, one row."""
    return f"""nw_plans AS (
    SELECT plan.id, plan.status, plan.progress, collectivity.kind
    FROM action_plan AS plan JOIN collectivity ON collectivity.id = plan.collectivity_id
    WHERE {plan.readable_plan("plan")}
),
nw_stats AS (
    SELECT {STATS_SUMS}, COALESCE(SUM({overdue_sql("s", "p", plan.today)}), 0) AS overdue
    FROM nw_plans AS p LEFT JOIN network_stats AS s ON s.plan_id = p.id
),
nw_commitment_statuses AS {stats_statuses("nw_stats", "commitments")},
nw_milestone_statuses AS {stats_statuses("nw_stats", "milestones")},
nw_kinds AS (
    SELECT k.kind, k.n,
        (SELECT count(*) FROM collectivity WHERE collectivity.kind = k.kind) AS collectivity_count,
        (SELECT count(*) FROM nw_plans AS p WHERE p.kind = k.kind) AS plan_count,
        {mean_sql("progress", "nw_plans AS p WHERE p.kind = k.kind")} AS mean_progress
    FROM unnest(ARRAY[{KINDS_SQL}]) WITH ORDINALITY AS k(kind, n)
),
nw_figures AS (
    SELECT
        (SELECT count(*) FROM collectivity) AS collectivity_count,
        (SELECT count(*) FROM nw_plans) AS plan_count,
        (SELECT COALESCE(SUM(n), 0) FROM nw_commitment_statuses) AS commitment_count,
        (SELECT COALESCE(SUM(n), 0) FROM nw_milestone_statuses) AS milestone_count,
        (SELECT overdue FROM nw_stats) AS overdue_milestone_count,
        {mean_sql("progress", "nw_plans")} AS mean_progress
)"""


def _status_counts(source: str) -> planner.Expression:
    """A list of StatusCount from rows (status, count), sorted as Python sorts strings."""
    return planner.Expression(
        lambda row, target, plan: sql.json_list(
            plan.object(target, plan.object_type("StatusCount"), "sc"),
            f"FROM ({source}) AS sc",
            'sc.status COLLATE "C"',
        )
    )


planner.spell("StatusCount", status=planner.Column("status"), count=planner.Column("count"))
planner.spell(
    "KindSummary",
    kind=planner.Column("kind"),
    collectivity_count=planner.Column("collectivity_count"),
    plan_count=planner.Column("plan_count"),
    mean_progress=planner.Column("mean_progress", planned_progress.published),
)
planner.spell(
    "Network",
    collectivity_count=planner.Column("collectivity_count"),
    plan_count=planner.Column("plan_count"),
    commitment_count=planner.Column("commitment_count"),
    milestone_count=planner.Column("milestone_count"),
    overdue_milestone_count=planner.Column("overdue_milestone_count"),
    mean_progress=planner.Column("mean_progress", planned_progress.published),
    by_kind=planner.Expression(
        lambda row, target, plan: sql.json_list(
            plan.object(target, plan.object_type("KindSummary"), "kn"), "FROM nw_kinds AS kn", "kn.n"
        )
    ),
    plans_by_status=_status_counts("SELECT status, count(*) AS count FROM nw_plans GROUP BY status"),
    commitments_by_status=_status_counts("SELECT status, n AS count FROM nw_commitment_statuses"),
    milestones_by_status=_status_counts("SELECT status, n AS count FROM nw_milestone_statuses"),
)
planner.spell(
    "Query",
    network=planner.Expression(
        lambda row, target, plan: (
            f"(WITH {_figures(plan)} SELECT {plan.object(target, plan.object_type('Network'), 'nw_figures')}"
            " FROM nw_figures)"
        )
    ),
)
