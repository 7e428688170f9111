"""The progress rule, edge case by edge case."""

from __future__ import annotations

from datetime import date

import pytest

from tracker import progress
from tracker.models import WorkStatus
from tracker.progress import (
    MilestoneWeights,
    commitment_progress,
    indicator_progress,
    is_overdue,
    plan_progress,
    published,
    weighs_alike,
    whole,
)


def test_increasing_indicator_progress_is_the_share_of_the_way_to_target() -> None:
    assert indicator_progress(baseline=10, target=30, latest=15) == pytest.approx(25.0)


def test_decreasing_indicator_progress_uses_the_same_rule() -> None:
    assert indicator_progress(baseline=18, target=10, latest=12) == pytest.approx(75.0)


def test_indicator_without_measurement_is_at_zero() -> None:
    assert indicator_progress(baseline=0, target=10, latest=None) == 0.0


def test_indicator_beyond_its_target_is_capped_at_100() -> None:
    assert indicator_progress(baseline=0, target=25, latest=31) == 100.0


def test_indicator_going_the_wrong_way_is_floored_at_0() -> None:
    assert indicator_progress(baseline=18, target=10, latest=25) == 0.0


def test_indicator_whose_target_equals_its_baseline_counts_zero() -> None:
    assert indicator_progress(baseline=5, target=5, latest=5) == 0.0


def test_commitment_progress_is_the_weighted_share_of_completed_milestones() -> None:
    weights = MilestoneWeights.of([(WorkStatus.COMPLETED, 3), (WorkStatus.IN_PROGRESS, 1)])
    assert commitment_progress(status=WorkStatus.IN_PROGRESS, milestones=weights) == pytest.approx(75.0)


def test_cancelled_milestones_do_not_count() -> None:
    weights = MilestoneWeights.of([(WorkStatus.COMPLETED, 1), (WorkStatus.CANCELLED, 5)])
    assert commitment_progress(status=WorkStatus.IN_PROGRESS, milestones=weights) == 100.0


@pytest.mark.parametrize("before", list(WorkStatus))
@pytest.mark.parametrize("after", list(WorkStatus))
def test_a_status_move_weighs_alike_exactly_when_the_commitments_weights_stay(
    before: WorkStatus, after: WorkStatus
) -> None:
    others = [(WorkStatus.COMPLETED, 2.0), (WorkStatus.NOT_STARTED, 1.0)]
    stays = MilestoneWeights.of([*others, (before, 3.0)]) == MilestoneWeights.of([*others, (after, 3.0)])
    assert weighs_alike(before, after) is stays


def test_commitment_without_milestones_takes_its_indicators_mean() -> None:
    result = commitment_progress(
        status=WorkStatus.IN_PROGRESS, milestones=MilestoneWeights(), indicator_progresses=[50.0, 100.0]
    )
    assert result == pytest.approx(75.0)


def test_commitment_with_only_cancelled_milestones_falls_back_to_indicators() -> None:
    weights = MilestoneWeights.of([(WorkStatus.CANCELLED, 1)])
    assert commitment_progress(status=WorkStatus.NOT_STARTED, milestones=weights, indicator_progresses=[40.0]) == 40.0


def test_commitment_with_nothing_to_measure_follows_its_status() -> None:
    assert commitment_progress(status=WorkStatus.COMPLETED, milestones=MilestoneWeights()) == 100.0
    assert commitment_progress(status=WorkStatus.IN_PROGRESS, milestones=MilestoneWeights()) == 0.0


def test_plan_progress_is_the_mean_of_its_non_cancelled_commitments() -> None:
    result = plan_progress([(WorkStatus.COMPLETED, 100.0), (WorkStatus.IN_PROGRESS, 50.0), (WorkStatus.CANCELLED, 0.0)])
    assert result == pytest.approx(75.0)


def test_empty_plan_has_zero_progress() -> None:
    assert plan_progress([]) == 0.0


def test_milestone_due_yesterday_and_open_is_overdue() -> None:
    assert is_overdue(due_on=date(2025, 3, 1), status=WorkStatus.IN_PROGRESS, today=date(2025, 3, 2))


def test_milestone_due_today_is_not_yet_overdue() -> None:
    assert not is_overdue(due_on=date(2025, 3, 2), status=WorkStatus.NOT_STARTED, today=date(2025, 3, 2))


@pytest.mark.parametrize("status", [WorkStatus.COMPLETED, WorkStatus.CANCELLED])
def test_closed_milestones_are_never_overdue(status: WorkStatus) -> None:
    assert not is_overdue(due_on=date(2024, 1, 1), status=status, today=date(2025, 1, 1))


# (computed value, as published): halves of the shortest decimal go up, whatever the binary value
# under it (12.35 is 12.3499999999999996... as a double, 0.05 is 0.05000000000000000277...).
PUBLISHED = [
    (80.27210884353742, 80.3),
    (12.25, 12.3),
    (12.35, 12.4),
    (12.45, 12.5),
    (0.05, 0.1),
    (0.04999999999999999, 0.0),
    (12.349999999999998, 12.3),
    (33.333333333333336, 33.3),
    (66.66666666666667, 66.7),
    (99.95, 100.0),
    (0.0, 0.0),
    (100.0, 100.0),
    (1e-20, 0.0),
]


@pytest.mark.parametrize(("computed", "shown"), PUBLISHED)
def test_progress_is_published_to_one_decimal_place_halves_up(computed: float, shown: float) -> None:
    assert published(computed) == shown


@pytest.mark.parametrize(("computed", "shown"), [(12.5, 13), (0.5, 1), (2.5, 3), (12.49, 12), (99.5, 100), (0.0, 0)])
def test_whole_percentages_round_halves_up(computed: float, shown: int) -> None:
    assert whole(computed) == shown


def test_an_open_commitment_with_every_counted_milestone_completed_awaits_confirmation() -> None:
    statuses = [WorkStatus.COMPLETED, WorkStatus.CANCELLED, "COMPLETED"]
    assert progress.awaits_confirmation(status=WorkStatus.IN_PROGRESS, milestone_statuses=statuses)
    assert progress.awaits_confirmation(status="NOT_STARTED", milestone_statuses=statuses)


def test_a_commitment_awaits_nothing_once_closed_or_while_a_milestone_is_open_or_none_counts() -> None:
    assert not progress.awaits_confirmation(status=WorkStatus.COMPLETED, milestone_statuses=["COMPLETED"])
    assert not progress.awaits_confirmation(status=WorkStatus.CANCELLED, milestone_statuses=["COMPLETED"])
    assert not progress.awaits_confirmation(status="IN_PROGRESS", milestone_statuses=["COMPLETED", "DELAYED"])
    assert not progress.awaits_confirmation(status="IN_PROGRESS", milestone_statuses=["CANCELLED"])
    assert not progress.awaits_confirmation(status="IN_PROGRESS", milestone_statuses=[])
