"""NetworkSummary on PostgreSQL: one statement whose result is the answer's `data`, as JSON text.

The figures of `services.network.summarize`, from the values kept on write: the plans' stored
progress, the per-plan counts of `network_stats` summed over the plans the reader may see; only
the overdue milestones (which depend on the day) are counted. Means add in the order the Python
code adds (plans by id), so that floats come out identical, not merely close.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.api.compiled import pg_sql
from tracker.api.compiled.pg_sql import EXACT_FLOATS, READABLE
from tracker.api.compiled.reads import Reader
from tracker.api.network import KINDS_SQL, STATS_SUMS, mean_sql, stats_statuses

Answer = tuple[bytes, frozenset[uuid.UUID] | None]


def _counts(source: str) -> str:
    """`[{status, count}]` of rows (status, n), sorted by status as Python sorts strings (by code point)."""
    return f"""COALESCE((
        SELECT json_agg(json_build_object('status', s.status, 'count', s.n) ORDER BY s.status COLLATE "C")
        FROM {source} AS s
    ), CAST('[]' AS json))"""


SQL = f"""
WITH plans AS (
    SELECT plan.id, plan.status, plan.progress, collectivity.kind
    FROM action_plan AS plan JOIN collectivity ON collectivity.id = plan.collectivity_id
    WHERE {READABLE}
),
stats AS (
    SELECT {STATS_SUMS} FROM network_stats AS s WHERE s.plan_id IN (SELECT id FROM plans)
),
commitment_statuses AS {stats_statuses("stats", "commitments")},
milestone_statuses AS {stats_statuses("stats", "milestones")},
-- Overdue depends on the day: counted, not stored.
overdue AS (
    SELECT count(*) AS n
    FROM milestone AS m JOIN commitment AS c ON c.id = m.commitment_id
    WHERE c.plan_id IN (SELECT id FROM plans)
        AND m.due_on < CAST(:today AS date) AND m.status NOT IN ('COMPLETED', 'CANCELLED')
),
kinds AS (
    SELECT k.kind, k.n,
        (SELECT count(*) FROM collectivity WHERE collectivity.kind = k.kind) AS collectivity_count
    FROM unnest(ARRAY[{KINDS_SQL}]) WITH ORDINALITY AS k(kind, n)
)
SELECT CAST(json_build_object('network', json_build_object(
    'collectivityCount', (SELECT count(*) FROM collectivity),
    'planCount', (SELECT count(*) FROM plans),
    'commitmentCount', (SELECT COALESCE(SUM(n), 0) FROM commitment_statuses),
    'milestoneCount', (SELECT COALESCE(SUM(n), 0) FROM milestone_statuses),
    'overdueMilestoneCount', (SELECT n FROM overdue),
    'meanProgress', {mean_sql("progress", "plans")},
    'byKind', (
        SELECT json_agg(json_build_object(
            'kind', k.kind,
            'collectivityCount', k.collectivity_count,
            'planCount', (SELECT count(*) FROM plans AS p WHERE p.kind = k.kind),
            'meanProgress', {mean_sql("progress", "plans AS p WHERE p.kind = k.kind")}
        ) ORDER BY k.n)
        FROM kinds AS k
    ),
    'plansByStatus', {_counts("(SELECT status, count(*) AS n FROM plans GROUP BY status)")},
    'commitmentsByStatus', {_counts("commitment_statuses")},
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
