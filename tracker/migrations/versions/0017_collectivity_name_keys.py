"""natural-order keys of collectivity names, kept on write

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:30:00

`collectivity.name_key` holds, for each reader's language, the key that orders the name the
reader is shown in natural order ("Commune 2" before "Commune 10"; tracker.natural). The lists
order by it on SQLite and PostgreSQL alike. This revision fills it for the existing rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tracker.natural import name_keys

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('collectivity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.JSON().with_variant(JSONB(), 'postgresql'), nullable=True))
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    table = sa.table(
        'collectivity',
        sa.column('id', sa.Uuid()),
        sa.column('name', sa.JSON().with_variant(JSONB(), 'postgresql')),
        sa.column('name_key', sa.JSON().with_variant(JSONB(), 'postgresql')),
    )
    rows = connection.execute(sa.select(table.c.id, table.c.name)).all()
    for row_id, name in rows:
        if isinstance(name, str):
            name = json.loads(name)
        connection.execute(table.update().where(table.c.id == row_id).values(name_key=name_keys(name)))


def downgrade() -> None:
    # In place, not by Alembic's batch mode (see 0015).
    op.execute('ALTER TABLE collectivity DROP COLUMN name_key')
