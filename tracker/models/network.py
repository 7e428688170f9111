"""Figures of the network kept on write: per plan, so that writers to different plans never wait
for each other (one network-wide row would make every writer queue behind it); the network's
answer sums them over the plans its reader may see."""

from __future__ import annotations

import uuid

from sqlmodel import Field, SQLModel

from tracker.models.enums import WorkStatus


def _count() -> int:
    return Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})  # type: ignore[no-any-return]


class NetworkStats(SQLModel, table=True):
    """How many commitments and milestones of one plan have each status.

    Kept by tracker.services.derived in the transaction of each change that moves them;
    `tracker verify` recounts them from the rows.
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


def commitment_count_column(status: WorkStatus) -> str:
    return f"commitments_{status.value.lower()}"


def milestone_count_column(status: WorkStatus) -> str:
    return f"milestones_{status.value.lower()}"


# Every count column, in a fixed order.
COUNT_COLUMNS = tuple(
    name for status in WorkStatus for name in (commitment_count_column(status), milestone_count_column(status))
)
