"""when an event's fact happened, and whether it is announced

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 04:00:00

`outbox_event.happened_at` holds the time of an imported or seeded fact (a milestone's completion
date, a measurement's observation) when it differs from `occurred_at`, the commit; `announced` is
false for the creation events of loaded content, which feeds and webhooks leave out.
Both are added in place (constant defaults): copying outbox_event on SQLite would go through the
webhook deliveries that refer to it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('happened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('announced', sa.Boolean(), server_default='1', nullable=False))


def downgrade() -> None:
    # In place, not by Alembic's batch mode, which would copy the table (see upgrade).
    for column in ('announced', 'happened_at'):
        op.execute(f'ALTER TABLE outbox_event DROP COLUMN {column}')
