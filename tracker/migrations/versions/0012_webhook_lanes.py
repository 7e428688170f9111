"""webhook delivery lanes and circuit breaker

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:30:00

Each subscription gets a lane lease (one sender at a time, across replicas) and a circuit
breaker (failures in a row, paused until), shared by every replica through the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.drop_column('paused_until')
        batch_op.drop_column('consecutive_failures')
        batch_op.drop_column('lane_until')
