"""NetworkSummary on PostgreSQL: one statement whose result is the answer's `data`, as JSON text.

The figures of `services.network.summarize`, computed where the rows are: milestone weight
sums, the indicators of commitments without counted milestones (their latest measurement by an
index lookup each), commitment and plan progress by the progress rule, then the counts and the
means. Sums run in the order the Python code adds (plans by id, commitments in plan order,
indicators by position), so that floats come out identical, not merely close.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.api.compiled import pg_sql
from tracker.api.compiled.pg_sql import EXACT_FLOATS, READABLE, clamp, indicator_progress
from tracker.api.compiled.reads import Reader
from tracker.models import CollectivityKind

Answer = tuple[bytes, frozenset[uuid.UUID] | None]


def _counts(source: str) -> str:
    """`[{status, count}]` of rows (status, n), sorted by status as Python sorts strings (by code point)."""
    return f"""COALESCE((
        SELECT json_agg(json_build_object('status', s.status, 'count', s.n) ORDER BY s.status COLLATE "C")
        FROM {source} AS s
    ), CAST('[]' AS json))"""


def _mean(values: str, source: str) -> str:
    """`progress.mean`: sum in the order of the plans over their number, 0.0 for none."""
    return f"COALESCE((SELECT SUM({values} ORDER BY id) / count(*) FROM {source}), CAST(0.0 AS float8))"


# The kinds listed, in the order of the enum (`by_kind` lists every kind, even without collectivities).
_KINDS = ", ".join(f"'{kind.value}'" for kind in CollectivityKind)

SQL = f"""
WITH plans AS (
    SELECT plan.id, plan.status, collectivity.kind
    FROM action_plan AS plan JOIN collectivity ON collectivity.id = plan.collectivity_id
    WHERE {READABLE}
),
commitments AS (
    SELECT c.id, c.plan_id, c.status, c.position, c.reference
    FROM commitment AS c
    WHERE c.plan_id IN (SELECT id FROM plans)
),
-- One pass over the milestones: weight sums per commitment (as services.progress.milestone_weight_sums,
-- rows added in the order they are read), counts per status.
milestones AS (
    SELECT m.commitment_id, m.status, GROUPING(m.commitment_id) AS by_status,
        COALESCE(SUM(CASE WHEN m.status = 'COMPLETED' THEN m.weight ELSE CAST(0.0 AS float8) END), 0.0) AS completed,
        COALESCE(SUM(CASE WHEN m.status <> 'CANCELLED' THEN m.weight ELSE CAST(0.0 AS float8) END), 0.0) AS counted,
        count(*) AS n,
        count(*) FILTER (
            WHERE m.due_on < CAST(:today AS date) AND m.status NOT IN ('COMPLETED', 'CANCELLED')
        ) AS late
    FROM milestone AS m
    WHERE m.commitment_id IN (SELECT id FROM commitments)
    GROUP BY GROUPING SETS ((m.commitment_id), (m.status))
),
weights AS (
    SELECT commitment_id, completed, counted FROM milestones WHERE by_status = 0
),
milestone_statuses AS (
    SELECT status, n, late FROM milestones WHERE by_status = 1
),
-- Indicators count only for commitments without counted milestones: read for those alone, each
-- with its latest measurement (one index probe).
by_indicators AS MATERIALIZED (
    SELECT c.id, ind.progress_sum, ind.counted
    FROM commitments AS c
    LEFT JOIN weights AS w ON w.commitment_id = c.id
    CROSS JOIN LATERAL (
        SELECT SUM(i.progress ORDER BY i.position, i.id) AS progress_sum, count(*) AS counted
        FROM (
            SELECT i.id, i.position,
                {indicator_progress(baseline="i.baseline", target="i.target", latest="latest.value")} AS progress
            FROM indicator AS i
            LEFT JOIN LATERAL (
                SELECT ms.value FROM measurement AS ms
                WHERE ms.indicator_id = i.id
                ORDER BY ms.observed_at DESC, ms.created_at DESC
                LIMIT 1
            ) AS latest ON true
            WHERE i.commitment_id = c.id
        ) AS i
    ) AS ind
    WHERE NOT COALESCE(w.counted > 0, false)
),
plan_sums AS (
    SELECT c.plan_id,
        SUM(
            CASE
                WHEN w.counted > 0 THEN {clamp("w.completed / w.counted * CAST(100.0 AS float8)")}
                WHEN ind.counted > 0 THEN {clamp("ind.progress_sum / ind.counted")}
                WHEN c.status = 'COMPLETED' THEN CAST(100.0 AS float8)
                ELSE CAST(0.0 AS float8)
            END
            ORDER BY c.position, c.reference
        ) AS progress_sum,
        count(*) AS counted
    FROM commitments AS c
    LEFT JOIN weights AS w ON w.commitment_id = c.id
    LEFT JOIN by_indicators AS ind ON ind.id = c.id
    WHERE c.status <> 'CANCELLED'
    GROUP BY c.plan_id
),
plan_progress AS (
    SELECT p.id, p.kind,
        CASE WHEN s.counted > 0 THEN {clamp("s.progress_sum / s.counted")} ELSE CAST(0.0 AS float8) END AS progress
    FROM plans AS p LEFT JOIN plan_sums AS s ON s.plan_id = p.id
),
kinds AS (
    SELECT k.kind, k.n,
        (SELECT count(*) FROM collectivity WHERE collectivity.kind = k.kind) AS collectivity_count
    FROM unnest(ARRAY[{_KINDS}]) WITH ORDINALITY AS k(kind, n)
)
SELECT CAST(json_build_object('network', json_build_object(
    'collectivityCount', (SELECT count(*) FROM collectivity),
    'planCount', (SELECT count(*) FROM plans),
    'commitmentCount', (SELECT count(*) FROM commitments),
    'milestoneCount', (SELECT COALESCE(SUM(n), 0) FROM milestone_statuses),
    'overdueMilestoneCount', (SELECT COALESCE(SUM(late), 0) FROM milestone_statuses),
    'meanProgress', {_mean("progress", "plan_progress")},
    'byKind', (
        SELECT json_agg(json_build_object(
            'kind', k.kind,
            'collectivityCount', k.collectivity_count,
            'planCount', (SELECT count(*) FROM plan_progress AS p WHERE p.kind = k.kind),
            'meanProgress', {_mean("progress", "plan_progress AS p WHERE p.kind = k.kind")}
        ) ORDER BY k.n)
        FROM kinds AS k
    ),
    'plansByStatus', {_counts("(SELECT status, count(*) AS n FROM plans GROUP BY status)")},
    'commitmentsByStatus', {_counts("(SELECT status, count(*) AS n FROM commitments GROUP BY status)")},
    'milestonesByStatus', {_counts("milestone_statuses")}
)) AS text) AS data,
    {EXACT_FLOATS}
"""
STATEMENT = pg_sql.statement(SQL)


async def run(session: AsyncSession, reader: Reader, variables: dict[str, Any]) -> Answer:
    row = await pg_sql.one_row(
        session,
        STATEMENT,
        {
            "today": reader.today,
            **pg_sql.visibility(reader.principal),
        },
    )
    data: str = row.data
    return data.encode(), None
