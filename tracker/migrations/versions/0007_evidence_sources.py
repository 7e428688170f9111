"""evidence sources

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 00:15:09.609197
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('evidence_source',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('schedule', sa.String(length=120), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('commitment_id', sa.Uuid(), nullable=False),
    sa.Column('collectivity_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('poll_state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['collectivity_id'], ['collectivity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_source_collectivity_id'), ['collectivity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_source_commitment_id'), ['commitment_id'], unique=False)
        batch_op.create_index('ix_source_due', ['state', 'next_run_at'], unique=False)

    op.create_table('source_run',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('items_found', sa.Integer(), nullable=False),
    sa.Column('items_new', sa.Integer(), nullable=False),
    sa.Column('measurements', sa.Integer(), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('bytes_read', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('warnings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['evidence_source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('source_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_run_source_id'), ['source_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('source_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_run_source_id'))

    op.drop_table('source_run')
    with op.batch_alter_table('evidence_source', schema=None) as batch_op:
        batch_op.drop_index('ix_source_due')
        batch_op.drop_index(batch_op.f('ix_evidence_source_commitment_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_source_collectivity_id'))

    op.drop_table('evidence_source')
