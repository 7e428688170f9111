"""Figures of the network kept on write: per plan, so that writers to different plans never wait
for each other (one network-wide row would make every writer queue behind it); the network's
answer sums them over the plans its reader may see."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Field, SQLModel

from tracker.models.enums import WorkStatus


def _count() -> int:
    return Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})  # type: ignore[no-any-return]


class NetworkStats(SQLModel, table=True):
    """How many commitments and milestones of one plan have each status, and how many of its
    milestones are overdue as of a day.

    Kept by tracker.services.derived in the transaction of each change that moves them;
    `tracker verify` recounts them from the rows. The overdue figures hold as of `overdue_as_of`
    (the day of the last change that counted them): `overdue_count` open milestones were due
    before that day, and none falls due until `next_overdue_on` (the first due date, that day or
    later, of an open milestone; None: none). So the count is still exact on any day from
    `overdue_as_of` to `next_overdue_on` included, without a write; outside that span a reader
    counts the plan's milestones. `overdue_as_of` None: never counted.
    """

    __tablename__ = "network_stats"

    plan_id: uuid.UUID = Field(primary_key=True, foreign_key="action_plan.id", ondelete="CASCADE")
    commitments_not_started: int = _count()
    commitments_in_progress: int = _count()
    commitments_completed: int = _count()
    commitments_delayed: int = _count()
    commitments_cancelled: int = _count()
    milestones_not_started: int = _count()
    milestones_in_progress: int = _count()
    milestones_completed: int = _count()
    milestones_delayed: int = _count()
    milestones_cancelled: int = _count()
    overdue_as_of: date | None = Field(default=None, nullable=True)
    overdue_count: int = _count()
    next_overdue_on: date | None = Field(default=None, nullable=True)


def commitment_count_column(status: WorkStatus) -> str:
    return f"commitments_{status.value.lower()}"


def milestone_count_column(status: WorkStatus) -> str:
    return f"milestones_{status.value.lower()}"


# Every count column, in a fixed order.
COUNT_COLUMNS = tuple(
    name for status in WorkStatus for name in (commitment_count_column(status), milestone_count_column(status))
)

# The overdue figures, kept as of a day (see NetworkStats).
OVERDUE_COLUMNS = ("overdue_as_of", "overdue_count", "next_overdue_on")
STATS_COLUMNS = COUNT_COLUMNS + OVERDUE_COLUMNS
