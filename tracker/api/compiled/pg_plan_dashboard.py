"""PlanDashboard on PostgreSQL: one statement whose result is the answer's `data`, as JSON text.

The same reads as `plan_dashboard` (same orders, same pages, progress and latest measurements
from the columns kept on write), assembled by the database with json_build_object and json_agg
instead of by Python. See `pg_sql` for how each value is rendered.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.api.compiled import pg_sql
from tracker.api.compiled.pg_sql import EXACT_FLOATS, READABLE, pick
from tracker.api.compiled.reads import Reader
from tracker.api.core.planner.sql import iso_date, iso_datetime
from tracker.ids import encode_id_sql

Answer = tuple[bytes, frozenset[uuid.UUID] | None]

_MILESTONE = f"""json_build_object(
    'id', {encode_id_sql("Milestone", "m.id")},
    'title', {pick("m.title")},
    'dueOn', {iso_date("m.due_on")},
    'status', m.status,
    'completedOn', {iso_date("m.completed_on")},
    'weight', m.weight,
    'isOverdue', m.due_on < CAST(:today AS date) AND m.status NOT IN ('COMPLETED', 'CANCELLED')
)"""

_INDICATOR = f"""json_build_object(
    'id', {encode_id_sql("Indicator", "i.id")},
    'name', {pick("i.name")},
    'unit', i.unit,
    'baseline', i.baseline,
    'target', i.target,
    'direction', i.direction,
    'progress', i.progress,
    'latest', CASE WHEN i.latest_value IS NULL THEN NULL
        ELSE json_build_object('value', i.latest_value, 'observedAt', {iso_datetime("i.latest_observed_at")}) END
)"""

_COMMITMENT = f"""json_build_object(
    'id', {encode_id_sql("Commitment", "c.id")},
    'reference', c.reference,
    'title', {pick("c.title")},
    'status', c.status,
    'ogpValues', c.ogp_values,
    'progress', c.progress,
    'milestones', json_build_object('totalCount', ms.total, 'edges', COALESCE(ms.edges, CAST('[]' AS json))),
    'indicators', json_build_object('edges', COALESCE(ind.edges, CAST('[]' AS json)))
)"""

_PLAN = f"""json_build_object(
    'id', {encode_id_sql("ActionPlan", "cp.id")},
    'title', {pick("cp.title")},
    'status', cp.status,
    'adoptedOn', {iso_date("cp.adopted_on")},
    'period', json_build_object('start', {iso_date("cp.period_start")}, 'end', {iso_date("cp.period_end")}),
    'progress', cp.progress,
    'commitments', json_build_object(
        'totalCount', (SELECT count(*) FROM commitments),
        'edges', COALESCE((
            SELECT json_agg(json_build_object('node', {_COMMITMENT}) ORDER BY c.n)
            FROM commitments AS c
            CROSS JOIN LATERAL (
                SELECT count(*) AS total,
                    array_to_json(
                        (array_agg(json_build_object('node', {_MILESTONE}) ORDER BY m.due_on, m.position))[1:100]
                    ) AS edges
                FROM milestone AS m
                WHERE m.commitment_id = c.id
            ) AS ms
            CROSS JOIN LATERAL (
                SELECT array_to_json((array_agg(json_build_object('node', {_INDICATOR}) ORDER BY i.position))[1:20])
                    AS edges
                FROM indicator AS i
                WHERE i.commitment_id = c.id
            ) AS ind
            WHERE c.n <= 100
        ), CAST('[]' AS json))
    )
)"""

_COLLECTIVITY = f"""json_build_object(
    'id', {encode_id_sql("Collectivity", "found.id")},
    'slug', found.slug,
    'name', {pick("found.name")},
    'kind', found.kind,
    'parent', CASE WHEN found.parent_id IS NULL THEN NULL
        ELSE json_build_object('slug', found.parent_slug, 'name', {pick("found.parent_name")}) END,
    'currentPlan', (SELECT {_PLAN} FROM current_plan AS cp)
)"""

# Children are read by lateral subqueries that aggregate, which PostgreSQL cannot flatten into
# joins: each is an index lookup by its parent, whatever the planner estimates (the tables may
# have no statistics) -- a join would risk sequential scans of the whole network's milestones.
SQL = f"""
WITH found AS (
    SELECT c.id, c.slug, c.name, c.kind, p.id AS parent_id, p.slug AS parent_slug, p.name AS parent_name
    FROM collectivity AS c LEFT JOIN collectivity AS p ON p.id = c.parent_id
    WHERE c.slug = :slug
),
current_plan AS (
    SELECT plan.id, plan.title, plan.status, plan.adopted_on, plan.period_start, plan.period_end, plan.progress
    FROM action_plan AS plan JOIN found ON plan.collectivity_id = found.id
    WHERE {READABLE}
    ORDER BY plan.period_start DESC, plan.created_at DESC
    LIMIT 1
),
commitments AS (
    SELECT c.id, c.reference, c.title, c.status, c.ogp_values, c.progress,
        row_number() OVER (ORDER BY c.position, c.reference) AS n
    FROM commitment AS c JOIN current_plan ON c.plan_id = current_plan.id
)
SELECT
    CAST(json_build_object('collectivity', CASE WHEN found.id IS NULL THEN NULL ELSE {_COLLECTIVITY} END) AS text)
        AS data,
    found.id AS collectivity_id,
    found.parent_id,
    {EXACT_FLOATS}
FROM (SELECT 1) AS one LEFT JOIN found ON true
"""
STATEMENT = pg_sql.statement(SQL)


async def run(session: AsyncSession, reader: Reader, variables: dict[str, Any]) -> Answer:
    row = await pg_sql.one_row(
        session,
        STATEMENT,
        {
            "slug": variables["slug"],
            "langs": pg_sql.languages(reader),
            "today": reader.today,
            **pg_sql.visibility(reader.principal),
        },
    )
    data: str = row.data
    if row.collectivity_id is None:
        return data.encode(), None  # may appear with any change: depends on the network
    depends = {row.collectivity_id} | ({row.parent_id} if row.parent_id is not None else set())
    return data.encode(), frozenset(depends)
