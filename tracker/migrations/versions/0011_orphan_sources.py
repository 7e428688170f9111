"""evidence sources whose indicator or milestone was deleted go with it

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 09:30:00

Deleting an indicator or a milestone now deletes the sources feeding it. Sources left behind by
earlier deletions failed at every poll, their runs never recorded: they are deleted here too.
Nothing to restore on downgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM evidence_source WHERE"
        " (target_type = 'Indicator' AND NOT EXISTS (SELECT 1 FROM indicator WHERE indicator.id = evidence_source.target_id))"
        " OR (target_type = 'Milestone' AND NOT EXISTS (SELECT 1 FROM milestone WHERE milestone.id = evidence_source.target_id))"
    )


def downgrade() -> None:
    pass
