"""derived values kept on write

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:55:36

Progress of plans, commitments and indicators, each indicator's latest measurement, and per plan
the number of commitments and milestones by status (`network_stats`) are stored from now on and
kept by `tracker.services.derived` in the transaction of each change. This revision adds them and
fills them from the rows: progress by the rule itself (`tracker.progress.derive`), the latest
measurements and the counts in SQL. The queries are written out here, against the schema of this
revision, so that later changes to the services cannot change what this revision does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tracker import progress

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED', 'DELAYED', 'CANCELLED')


def upgrade() -> None:
    op.create_table('network_stats',
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    *(
        sa.Column(f'{kind}_{status.lower()}', sa.Integer(), server_default='0', nullable=False)
        for kind in ('commitments', 'milestones')
        for status in STATUSES
    ),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id')
    )
    # Constant defaults: SQLite then adds the columns in place. A default given as an SQL
    # expression makes Alembic copy each table, and dropping the old copy of action_plan would
    # delete every commitment, milestone and indicator through ON DELETE CASCADE.
    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.Float(), server_default='0', nullable=False))

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.Float(), server_default='0', nullable=False))

    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('latest_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('latest_observed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('latest_measurement_id', sa.Uuid(), nullable=True))

    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    """Fill the new columns and table from the rows (values pass through as the driver reads them)."""
    plans = [row[0] for row in connection.execute(sa.text('SELECT id FROM action_plan'))]
    commitments = connection.execute(
        sa.text('SELECT id, plan_id, status FROM commitment ORDER BY position, reference')
    ).all()
    weights = {
        row[0]: progress.MilestoneWeights(completed=float(row[1]), counted=float(row[2]))
        for row in connection.execute(
            sa.text(
                'SELECT commitment_id,'
                " COALESCE(SUM(CASE WHEN status = 'COMPLETED' THEN weight ELSE 0.0 END), 0.0),"
                " COALESCE(SUM(CASE WHEN status <> 'CANCELLED' THEN weight ELSE 0.0 END), 0.0)"
                ' FROM milestone GROUP BY commitment_id'
            )
        )
    }
    indicators = connection.execute(
        sa.text(
            'SELECT i.id, i.commitment_id, i.baseline, i.target, m.id, m.value, m.observed_at'
            ' FROM indicator AS i LEFT JOIN ('
            '   SELECT id, indicator_id, value, observed_at, row_number() OVER ('
            '     PARTITION BY indicator_id ORDER BY observed_at DESC, created_at DESC, id DESC) AS rank'
            '   FROM measurement'
            ' ) AS m ON m.indicator_id = i.id AND m.rank = 1'
            ' ORDER BY i.position, i.id'
        )
    ).all()
    derived = progress.derive(
        plans=plans,
        commitments=[(row[0], row[1], row[2]) for row in commitments],
        weights=weights,
        indicators=[(row[0], row[1], row[2], row[3], row[5]) for row in indicators],
    )
    _update(
        connection,
        'UPDATE indicator SET progress = :progress, latest_measurement_id = :measurement_id,'
        ' latest_value = :value, latest_observed_at = :observed_at WHERE id = :id',
        [
            {
                'id': row[0],
                'progress': derived.indicators[row[0]],
                'measurement_id': row[4],
                'value': row[5],
                'observed_at': row[6],
            }
            for row in indicators
        ],
    )
    _update(
        connection,
        'UPDATE commitment SET progress = :progress WHERE id = :id',
        [{'id': key, 'progress': value} for key, value in derived.commitments.items()],
    )
    _update(
        connection,
        'UPDATE action_plan SET progress = :progress WHERE id = :id',
        [{'id': key, 'progress': value} for key, value in derived.plans.items()],
    )
    counts = [
        f"(SELECT count(*) FROM commitment AS c WHERE c.plan_id = p.id AND c.status = '{status}')"
        for status in STATUSES
    ] + [
        f'(SELECT count(*) FROM milestone AS m JOIN commitment AS c ON c.id = m.commitment_id'
        f" WHERE c.plan_id = p.id AND m.status = '{status}')"
        for status in STATUSES
    ]
    columns = [f'{kind}_{status.lower()}' for kind in ('commitments', 'milestones') for status in STATUSES]
    connection.execute(
        sa.text(
            f'INSERT INTO network_stats (plan_id, {", ".join(columns)})'
            f' SELECT p.id, {", ".join(counts)} FROM action_plan AS p'
        )
    )


def _update(connection: sa.Connection, statement: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(sa.text(statement), rows)


def downgrade() -> None:
    # Dropped in place (SQLite has done so since 3.35), not by Alembic's batch mode: it copies
    # each table, and dropping the old action_plan would cascade to every commitment and milestone.
    for table, column in (
        ('indicator', 'latest_measurement_id'),
        ('indicator', 'latest_observed_at'),
        ('indicator', 'latest_value'),
        ('indicator', 'progress'),
        ('commitment', 'progress'),
        ('action_plan', 'progress'),
    ):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    op.drop_table('network_stats')
