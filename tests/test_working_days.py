"""Working days for the deadlines of law 31-13."""

from __future__ import annotations

from datetime import date

from tracker.working_days import add_working_days, working_days_between


def test_weekends_do_not_count() -> None:
    assert working_days_between(date(2025, 3, 7), date(2025, 3, 10)) == 1  # Friday to Monday


def test_fixed_national_holidays_do_not_count() -> None:
    assert working_days_between(date(2025, 4, 30), date(2025, 5, 2)) == 1  # Labour Day


def test_configured_moving_holidays_do_not_count() -> None:
    eid = date(2025, 3, 31)
    assert working_days_between(date(2025, 3, 28), date(2025, 4, 1), [eid]) == 1


def test_twenty_working_days_after_a_monday_is_four_weeks_later() -> None:
    assert add_working_days(date(2025, 2, 3), 20) == date(2025, 3, 3)


def test_the_same_day_counts_zero() -> None:
    assert working_days_between(date(2025, 2, 3), date(2025, 2, 3)) == 0
