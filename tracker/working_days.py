"""Working days in Morocco, for the deadlines of law 31-13 on access to information.

Weekends are Saturday and Sunday. Fixed national holidays are built in; holidays that follow the
Hijri calendar (Eid al-Fitr, Eid al-Adha, Islamic New Year, the Prophet's birthday) move every
year, so their dates come from `TRACKER_HOLIDAYS` (a list of ISO dates).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

# (month, day): New Year, Independence Manifesto, Amazigh New Year (since 2024), Labour Day,
# Throne Day, Oued Ed-Dahab, Revolution of the King and the People, Youth Day, Green March,
# Independence Day.
FIXED_HOLIDAYS = frozenset({(1, 1), (1, 11), (1, 14), (5, 1), (7, 30), (8, 14), (8, 20), (8, 21), (11, 6), (11, 18)})


def is_working_day(day: date, extra_holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS and day not in extra_holidays


def working_days_between(start: date, end: date, extra_holidays: Iterable[date] = ()) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
    holidays = frozenset(extra_holidays)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day, holidays):
            count += 1
        day += timedelta(days=1)
    return count


def add_working_days(start: date, days: int, extra_holidays: Iterable[date] = ()) -> date:
    """The date `days` working days after `start`."""
    holidays = frozenset(extra_holidays)
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            remaining -= 1
    return day
