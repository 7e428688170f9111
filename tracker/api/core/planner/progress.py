"""The progress rule of `tracker.progress` (the reference), spelled in PostgreSQL for the planner.

The progress of commitments, plans and indicators, and an indicator's latest measurement, are
columns kept on write by `services.derived`: the planner reads them as columns. What stays here
is what depends on the day (`is_overdue`), what is cheaper to spell than to store
(`milestone_progress`), and the precision every progress goes out with (`published`);
`tests/test_sql_twins.py` holds each to its Python twin.
"""

from __future__ import annotations

from tracker.models.enums import WorkStatus
from tracker.progress import PRECISION

F = "float8"
COMPLETED = f"'{WorkStatus.COMPLETED.value}'"
CANCELLED = f"'{WorkStatus.CANCELLED.value}'"
HUNDRED = f"CAST(100.0 AS {F})"
ZERO = f"CAST(0.0 AS {F})"


def published(value: str, places: int = PRECISION) -> str:
    """`progress.published` of the float8 `value`: its text is the shortest decimal that reads
    back as it (float8out while extra_float_digits > 0, which every planned statement checks),
    and `round` of a numeric takes halves away from zero. (A float8 cast straight to numeric
    keeps 15 digits only: 12.349999999999998 would become 12.35, then 12.4.)"""
    return f"CAST(round(CAST(CAST({value} AS text) AS numeric), {places}) AS {F})"


def milestone_progress(milestone: str) -> str:
    """`progress.milestone_progress`."""
    return f"CASE WHEN {milestone}.status = {COMPLETED} THEN {HUNDRED} ELSE {ZERO} END"


def is_overdue(milestone: str, today: str) -> str:
    """`progress.is_overdue` of the milestone row `milestone`; `today` is SQL for a date."""
    return f"({milestone}.due_on < {today} AND {milestone}.status NOT IN ({COMPLETED}, {CANCELLED}))"
