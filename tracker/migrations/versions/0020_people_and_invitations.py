"""people, their roles, invitations; API tokens owned by a person

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 11:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _row() -> list[sa.Column[object]]:
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('person',
    *_row(),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_person_email', 'person', ['email'], unique=True)
    op.create_table('person_role',
    *_row(),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('collectivity_id', sa.Uuid(), nullable=True),
    sa.Column('body_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collectivity_id'], ['collectivity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['body_id'], ['consultative_body.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_person_role_person_id', 'person_role', ['person_id'], unique=False)
    op.create_table('invitation',
    *_row(),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('collectivity_id', sa.Uuid(), nullable=True),
    sa.Column('body_id', sa.Uuid(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['collectivity_id'], ['collectivity.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['body_id'], ['consultative_body.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_invitation_token_hash', 'invitation', ['token_hash'], unique=True)
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_api_token_owner_id', ['owner_id'], unique=False)
        batch_op.create_foreign_key('fk_api_token_owner_id_person', 'person', ['owner_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint('fk_api_token_owner_id_person', type_='foreignkey')
        batch_op.drop_index('ix_api_token_owner_id')
        batch_op.drop_column('owner_id')
    op.drop_index('ix_invitation_token_hash', table_name='invitation')
    op.drop_table('invitation')
    op.drop_index('ix_person_role_person_id', table_name='person_role')
    op.drop_table('person_role')
    op.drop_index('ix_person_email', table_name='person')
    op.drop_table('person')
