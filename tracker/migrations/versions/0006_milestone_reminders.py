"""milestone reminders

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:51:09.394473
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('milestone_reminder',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('milestone_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('milestone_id', 'kind', 'due_on', name='uq_milestone_reminder')
    )
    with op.batch_alter_table('milestone_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_reminder_milestone_id'), ['milestone_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('milestone_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_reminder_milestone_id'))

    op.drop_table('milestone_reminder')
