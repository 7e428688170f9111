"""The progress rule: pure functions, the only place where progress is decided.

Progress is a number from 0 to 100, derived from the rows by these functions. The progress of
indicators, commitments and plans (and an indicator's latest measurement) is also stored on their
rows, so that readers do not recompute it: `tracker.services.derived` keeps those columns by
calling these functions in the transaction of every change that moves them, the migration that
added them filled them with `derive`, and `tracker verify` recomputes everything with `derive`
and reports any stored value that differs. Nothing else decides a progress.

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
* **Precision**: a progress is given to one decimal place (`published`): the shortest decimal
  that reads back as the computed value (what Python's `repr` and PostgreSQL print), rounded
  half up: 12.25 gives 12.3, 12.35 gives 12.4, 0.05 gives 0.1. Rounding that decimal rather than
  the binary value (12.35 is stored as 12.3499999...) gives what a reader of the figure expects,
  and PostgreSQL's `numeric` rounding of the same text agrees exactly. Pages and chat show whole
  percentages of the published value by the same rule (`whole`). Stored values keep full
  precision: only what goes out is rounded, so means are taken of exact values.
* **Overdue**: a milestone whose due date is before today (in the tracker's time zone) and that is
  neither ``COMPLETED`` nor ``CANCELLED``.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tracker.models.enums import WorkStatus

CLOSED_STATUSES = frozenset({WorkStatus.COMPLETED, WorkStatus.CANCELLED})


# Decimal places of a progress as the API, the events and the feeds give it.
PRECISION = 1


def published(value: float, places: int = PRECISION) -> float:
    """`value` as it goes out: its shortest decimal, rounded to `places` places, halves up."""
    if not math.isfinite(value):
        return value
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def whole(value: float) -> int:
    """A whole percentage for pages and messages: `published(value, 0)`."""
    return int(published(value, 0))


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


def weighs_alike(before: WorkStatus | str, after: WorkStatus | str) -> bool:
    """Whether a milestone moving from status `before` to `after` leaves what `MilestoneWeights`
    reads of it unchanged (it reads only whether a milestone is completed, and whether it is
    cancelled): its commitment's progress then stays where it was, without a recount."""
    return _weighed_as(before) == _weighed_as(after)


def _weighed_as(status: WorkStatus | str) -> tuple[bool, bool]:
    return status == WorkStatus.COMPLETED, status == WorkStatus.CANCELLED


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


def awaits_confirmation(*, status: WorkStatus | str, milestone_statuses: Iterable[WorkStatus | str]) -> bool:
    """A commitment still open whose every counted milestone is completed: its progress is 100 %
    while its own status is not, so readers are told it awaits its editors' confirmation rather
    than shown "In progress" beside 100 % (pages and cards)."""
    counted = [milestone for milestone in milestone_statuses if milestone != WorkStatus.CANCELLED]
    done = bool(counted) and all(milestone == WorkStatus.COMPLETED for milestone in counted)
    return done and status not in CLOSED_STATUSES


def is_overdue(*, due_on: date, status: WorkStatus | str, today: date) -> bool:
    return due_on < today and status not in CLOSED_STATUSES


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


@dataclass(frozen=True, slots=True)
class Derived:
    """Progress of every indicator, commitment and plan of a set of plans."""

    indicators: dict[uuid.UUID, float]
    commitments: dict[uuid.UUID, float]
    plans: dict[uuid.UUID, float]


def derive(
    *,
    plans: Iterable[uuid.UUID],
    commitments: Iterable[tuple[uuid.UUID, uuid.UUID, WorkStatus | str]],
    weights: Mapping[uuid.UUID, MilestoneWeights],
    indicators: Iterable[tuple[uuid.UUID, uuid.UUID, float, float, float | None]],
) -> Derived:
    """The rule applied to whole plans, from their rows.

    `commitments` are (id, plan id, status) in plan order (position, then reference);
    `weights` the milestone weight sums by commitment; `indicators` are (id, commitment id,
    baseline, target, latest value) in the commitment's order (position, then id). Means add
    their terms in those orders, as the stored values are computed.
    """
    indicator_progress_of: dict[uuid.UUID, float] = {}
    by_commitment: dict[uuid.UUID, list[float]] = defaultdict(list)
    for indicator_id, commitment_id, baseline, target, latest in indicators:
        value = indicator_progress(baseline=baseline, target=target, latest=latest)
        indicator_progress_of[indicator_id] = value
        by_commitment[commitment_id].append(value)
    empty = MilestoneWeights()
    commitment_progress_of: dict[uuid.UUID, float] = {}
    by_plan: dict[uuid.UUID, list[tuple[WorkStatus | str, float]]] = defaultdict(list)
    for commitment_id, plan_id, status in commitments:
        value = commitment_progress(
            status=status,
            milestones=weights.get(commitment_id, empty),
            indicator_progresses=by_commitment.get(commitment_id, ()),
        )
        commitment_progress_of[commitment_id] = value
        by_plan[plan_id].append((status, value))
    return Derived(
        indicators=indicator_progress_of,
        commitments=commitment_progress_of,
        plans={plan_id: plan_progress(by_plan.get(plan_id, ())) for plan_id in plans},
    )
