"""The progress rule: pure functions, the only place where progress is decided.

Progress is a number from 0 to 100, always derived, never stored.

* **Indicator**: how far the latest measurement has moved from the baseline towards the target,
  ``(latest - baseline) / (target - baseline) * 100``, clamped to 0..100. The same formula serves
  increasing and decreasing indicators (both differences change sign together). No measurement
  yet means the indicator is at its baseline: 0. Going beyond the target counts as 100; going the
  wrong way counts as 0.
* **Milestone**: 100 when ``COMPLETED``, otherwise 0. ``CANCELLED`` milestones do not count at all.
* **Commitment**: the weighted share of its counted milestones that are completed
  (``sum(weight of completed) / sum(weight of non-cancelled) * 100``). A commitment without
  counted milestones takes the mean progress of its indicators; without either it is 100 when
  its own status is ``COMPLETED`` and 0 otherwise.
* **Plan**: the mean progress of its commitments, ``CANCELLED`` commitments left out; 0 for a
  plan with nothing to count.
* **Overdue**: a milestone whose due date is before today (in the tracker's time zone) and that is
  neither ``COMPLETED`` nor ``CANCELLED``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker.models.enums import WorkStatus

CLOSED_STATUSES = frozenset({WorkStatus.COMPLETED, WorkStatus.CANCELLED})


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def indicator_progress(*, baseline: float, target: float, latest: float | None) -> float:
    if latest is None or target == baseline:
        return 0.0
    return _clamp((latest - baseline) / (target - baseline) * 100.0)


@dataclass(frozen=True, slots=True)
class MilestoneWeights:
    """What the commitment rule needs of its milestones; sums may come straight from SQL."""

    completed: float = 0.0
    counted: float = 0.0

    @classmethod
    def of(cls, milestones: Iterable[tuple[WorkStatus | str, float]]) -> MilestoneWeights:
        completed = counted = 0.0
        for status, weight in milestones:
            if status == WorkStatus.CANCELLED:
                continue
            counted += weight
            if status == WorkStatus.COMPLETED:
                completed += weight
        return cls(completed=completed, counted=counted)


def milestone_progress(status: WorkStatus | str) -> float:
    return 100.0 if status == WorkStatus.COMPLETED else 0.0


def commitment_progress(
    *,
    status: WorkStatus | str,
    milestones: MilestoneWeights,
    indicator_progresses: Iterable[float] = (),
) -> float:
    if milestones.counted > 0:
        return _clamp(milestones.completed / milestones.counted * 100.0)
    indicators = list(indicator_progresses)
    if indicators:
        return _clamp(sum(indicators) / len(indicators))
    return 100.0 if status == WorkStatus.COMPLETED else 0.0


def plan_progress(commitments: Iterable[tuple[WorkStatus | str, float]]) -> float:
    counted = [progress for status, progress in commitments if status != WorkStatus.CANCELLED]
    if not counted:
        return 0.0
    return _clamp(sum(counted) / len(counted))


def is_overdue(*, due_on: date, status: WorkStatus | str, today: date) -> bool:
    return due_on < today and status not in CLOSED_STATUSES


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
