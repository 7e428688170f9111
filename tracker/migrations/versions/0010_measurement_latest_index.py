"""measurement index for the latest value: indicator, observed_at, created_at

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.create_index('ix_measurement_latest', ['indicator_id', 'observed_at', 'created_at'], unique=False)
        batch_op.drop_index('ix_measurement_indicator_observed')


def downgrade() -> None:
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.create_index('ix_measurement_indicator_observed', ['indicator_id', 'observed_at'], unique=False)
        batch_op.drop_index('ix_measurement_latest')
