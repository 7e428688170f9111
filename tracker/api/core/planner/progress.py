"""The progress rule of `tracker.progress` (the reference), spelled in PostgreSQL for the planner.

The progress of commitments, plans and indicators, and an indicator's latest measurement, are
columns kept on write by `services.derived`: the planner reads them as columns. What stays here
is what depends on the day (`is_overdue`) and what is cheaper to spell than to store
(`milestone_progress`); `tests/test_sql_twins.py` holds both to their Python twins.
"""

from __future__ import annotations

from tracker.models.enums import WorkStatus

F = "float8"
COMPLETED = f"'{WorkStatus.COMPLETED.value}'"
CANCELLED = f"'{WorkStatus.CANCELLED.value}'"
HUNDRED = f"CAST(100.0 AS {F})"
ZERO = f"CAST(0.0 AS {F})"


def milestone_progress(milestone: str) -> str:
    """`progress.milestone_progress`."""
    return f"CASE WHEN {milestone}.status = {COMPLETED} THEN {HUNDRED} ELSE {ZERO} END"


def is_overdue(milestone: str, today: str) -> str:
    """`progress.is_overdue` of the milestone row `milestone`; `today` is SQL for a date."""
    return f"({milestone}.due_on < {today} AND {milestone}.status NOT IN ({COMPLETED}, {CANCELLED}))"
