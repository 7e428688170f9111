"""milestones by status and due date, with their commitment

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 10:00:00

`milestones(filter: {status, dueAfter, dueBefore})` counts the network's milestones of some
statuses due in a window (totalCount). The index on (status, due_on), carrying commitment_id,
answers that count from the index alone: the rows the filter selects, and their commitment for
the visibility check, without reading the milestone table (at N = 1,590 the window read most of
its pages). It replaces the index on status alone, which it serves as well (status leads).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_milestone_status_due_on', 'milestone', ['status', 'due_on'], postgresql_include=['commitment_id']
    )
    op.drop_index('ix_milestone_status', table_name='milestone')


def downgrade() -> None:
    op.create_index('ix_milestone_status', 'milestone', ['status'])
    op.drop_index('ix_milestone_status_due_on', table_name='milestone')
