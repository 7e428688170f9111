"""overdue milestones of each plan kept on write, as of a day

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:00:00

`network_stats` gets, per plan, the number of open milestones due before a day
(`overdue_as_of`, `overdue_count`) and the first due date, that day or later, of an open
milestone (`next_overdue_on`): until that date the count stays exact without a write, so the
network's `overdueMilestoneCount` reads it instead of every milestone. This revision fills them as
of today, the tracker's today (`tracker.services.common.today`, the one the readers use). The
columns are added in place (nullable, or a constant default), as in 0015.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracker.services.common import today

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "m.status NOT IN ('COMPLETED', 'CANCELLED')"
OF_PLAN = 'FROM milestone AS m JOIN commitment AS c ON c.id = m.commitment_id WHERE c.plan_id = network_stats.plan_id'


def upgrade() -> None:
    with op.batch_alter_table('network_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_as_of', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('overdue_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_overdue_on', sa.Date(), nullable=True))
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    connection.execute(
        sa.text(
            'UPDATE network_stats SET overdue_as_of = :today,'
            f' overdue_count = (SELECT count(*) {OF_PLAN} AND {OPEN} AND m.due_on < :today),'
            f' next_overdue_on = (SELECT min(m.due_on) {OF_PLAN} AND {OPEN} AND m.due_on >= :today)'
        ).bindparams(sa.bindparam('today', type_=sa.Date())),
        {'today': today()},
    )


def downgrade() -> None:
    # In place, not by Alembic's batch mode (see 0015).
    for column in ('next_overdue_on', 'overdue_count', 'overdue_as_of'):
        op.execute(f'ALTER TABLE network_stats DROP COLUMN {column}')
