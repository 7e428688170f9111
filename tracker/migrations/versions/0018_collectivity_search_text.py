"""collectivity search text, kept on write

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 10:00:00

`collectivity.search_text` holds the slug and the name in every language, folded (accents, case,
Arabic diacritics set aside, digits in ASCII; tracker.natural.search_text). Searches look into it
on SQLite and PostgreSQL alike, instead of lowering the name's JSON text (which matched the
language keys and lowered only ASCII letters on SQLite). This revision fills it for the existing
rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tracker.natural import search_text

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("collectivity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(), nullable=True))
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    table = sa.table(
        "collectivity",
        sa.column("id", sa.Uuid()),
        sa.column("slug", sa.String()),
        sa.column("name", sa.JSON().with_variant(JSONB(), "postgresql")),
        sa.column("search_text", sa.String()),
    )
    rows = connection.execute(sa.select(table.c.id, table.c.slug, table.c.name)).all()
    for row_id, slug, name in rows:
        if isinstance(name, str):
            name = json.loads(name)
        connection.execute(table.update().where(table.c.id == row_id).values(search_text=search_text(slug, name)))


def downgrade() -> None:
    # In place, not by Alembic's batch mode (see 0015).
    op.execute("ALTER TABLE collectivity DROP COLUMN search_text")
