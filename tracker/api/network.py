"""The Network aggregate: progress compared across collectivities."""

from __future__ import annotations

import strawberry

from tracker import models
from tracker.api.context import Info
from tracker.api.core import planner
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.services import network


@strawberry.type(description="Figures for one kind of collectivity.")
class KindSummary:
    kind: models.CollectivityKind = strawberry.field(description="The kind of collectivity.")
    collectivity_count: int = strawberry.field(description="Collectivities of this kind.")
    plan_count: int = strawberry.field(description="Readable plans of collectivities of this kind.")
    mean_progress: float = strawberry.field(description="Mean progress of those plans, 0 to 100.")


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
    mean_progress: float = strawberry.field(description="Mean plan progress, 0 to 100.")
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
            mean_progress=summary.mean_progress,
            by_kind=[
                KindSummary(
                    kind=item.kind,
                    collectivity_count=item.collectivity_count,
                    plan_count=item.plan_count,
                    mean_progress=item.mean_progress,
                )
                for item in summary.by_kind
            ],
            plans_by_status=_counts(summary.plans_by_status),
            commitments_by_status=_counts(summary.commitments_by_status),
            milestones_by_status=_counts(summary.milestones_by_status),
        )


# How the read planner spells `network` (tracker/api/core/planner): the figures of
# `services.network.summarize`, computed where the rows are. Sums run in the order the Python code
# adds (plans by id, commitments in plan order, indicators by position), so that floats come out
# identical, not merely close.
def _mean(values: str, source: str) -> str:
    """`progress.mean`: the sum in the order of the plans over their number, 0.0 for none."""
    return f"COALESCE((SELECT SUM({values} ORDER BY id) / count(*) FROM {source}), CAST(0.0 AS float8))"


# Every kind, in the order of the enum, even without collectivities.
_KINDS = ", ".join(f"'{kind.value}'" for kind in models.CollectivityKind)


def _figures(plan: planner.Compiler) -> str:
    """The CTEs of the network's figures, ending with `nw_figures`, one row."""
    return f"""nw_plans AS (
    SELECT plan.id, plan.status, collectivity.kind
    FROM action_plan AS plan JOIN collectivity ON collectivity.id = plan.collectivity_id
    WHERE {plan.readable_plan("plan")}
),
nw_commitments AS (
    SELECT c.id, c.plan_id, c.status, c.position, c.reference FROM commitment AS c
    WHERE c.plan_id IN (SELECT id FROM nw_plans)
),
nw_milestones AS (
    SELECT m.commitment_id, m.status, GROUPING(m.commitment_id) AS by_status,
        COALESCE(SUM(CASE WHEN m.status = 'COMPLETED' THEN m.weight ELSE CAST(0.0 AS float8) END), 0.0) AS completed,
        COALESCE(SUM(CASE WHEN m.status <> 'CANCELLED' THEN m.weight ELSE CAST(0.0 AS float8) END), 0.0) AS counted,
        count(*) AS n,
        count(*) FILTER (WHERE {planned_progress.is_overdue("m", plan.today)}) AS late
    FROM milestone AS m
    WHERE m.commitment_id IN (SELECT id FROM nw_commitments)
    GROUP BY GROUPING SETS ((m.commitment_id), (m.status))
),
nw_weights AS (SELECT commitment_id, completed, counted FROM nw_milestones WHERE by_status = 0),
nw_milestone_statuses AS (SELECT status, n, late FROM nw_milestones WHERE by_status = 1),
nw_by_indicators AS MATERIALIZED (
    SELECT c.id, ind.progress_sum, ind.counted
    FROM nw_commitments AS c
    LEFT JOIN nw_weights AS w ON w.commitment_id = c.id
    CROSS JOIN LATERAL (
        SELECT SUM(i.progress ORDER BY i.position, i.id) AS progress_sum, count(*) AS counted
        FROM (
            SELECT i.id, i.position, {planned_progress.indicator_progress("i")} AS progress
            FROM indicator AS i WHERE i.commitment_id = c.id
        ) AS i
    ) AS ind
    WHERE NOT COALESCE(w.counted > 0, false)
),
nw_plan_sums AS (
    SELECT c.plan_id,
        SUM(
            CASE
                WHEN w.counted > 0 THEN {planned_progress.clamp("w.completed / w.counted * CAST(100.0 AS float8)")}
                WHEN ind.counted > 0 THEN {planned_progress.clamp("ind.progress_sum / ind.counted")}
                WHEN c.status = 'COMPLETED' THEN CAST(100.0 AS float8)
                ELSE CAST(0.0 AS float8)
            END
            ORDER BY c.position, c.reference, c.id
        ) AS progress_sum,
        count(*) AS counted
    FROM nw_commitments AS c
    LEFT JOIN nw_weights AS w ON w.commitment_id = c.id
    LEFT JOIN nw_by_indicators AS ind ON ind.id = c.id
    WHERE c.status <> 'CANCELLED'
    GROUP BY c.plan_id
),
nw_plan_progress AS (
    SELECT p.id, p.kind,
        CASE WHEN s.counted > 0 THEN {planned_progress.clamp("s.progress_sum / s.counted")}
            ELSE CAST(0.0 AS float8) END AS progress
    FROM nw_plans AS p LEFT JOIN nw_plan_sums AS s ON s.plan_id = p.id
),
nw_kinds AS (
    SELECT k.kind, k.n,
        (SELECT count(*) FROM collectivity WHERE collectivity.kind = k.kind) AS collectivity_count,
        (SELECT count(*) FROM nw_plan_progress AS p WHERE p.kind = k.kind) AS plan_count,
        {_mean("progress", "nw_plan_progress AS p WHERE p.kind = k.kind")} AS mean_progress
    FROM unnest(ARRAY[{_KINDS}]) WITH ORDINALITY AS k(kind, n)
),
nw_figures AS (
    SELECT
        (SELECT count(*) FROM collectivity) AS collectivity_count,
        (SELECT count(*) FROM nw_plans) AS plan_count,
        (SELECT count(*) FROM nw_commitments) AS commitment_count,
        (SELECT COALESCE(SUM(n), 0) FROM nw_milestone_statuses) AS milestone_count,
        (SELECT COALESCE(SUM(late), 0) FROM nw_milestone_statuses) AS overdue_milestone_count,
        {_mean("progress", "nw_plan_progress")} AS mean_progress
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
    mean_progress=planner.Column("mean_progress"),
)
planner.spell(
    "Network",
    collectivity_count=planner.Column("collectivity_count"),
    plan_count=planner.Column("plan_count"),
    commitment_count=planner.Column("commitment_count"),
    milestone_count=planner.Column("milestone_count"),
    overdue_milestone_count=planner.Column("overdue_milestone_count"),
    mean_progress=planner.Column("mean_progress"),
    by_kind=planner.Expression(
        lambda row, target, plan: sql.json_list(
            plan.object(target, plan.object_type("KindSummary"), "kn"), "FROM nw_kinds AS kn", "kn.n"
        )
    ),
    plans_by_status=_status_counts("SELECT status, count(*) AS count FROM nw_plans GROUP BY status"),
    commitments_by_status=_status_counts("SELECT status, count(*) AS count FROM nw_commitments GROUP BY status"),
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
