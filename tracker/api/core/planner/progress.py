"""The progress rule of `tracker.progress` (the reference), spelled in PostgreSQL for the planner.

Same floating-point operations in the same order as the Python rule, so that floats come out
identical, not merely close: sums run in the order the Python path adds (commitments in plan
order, indicators by position).

Progress is derived at read time today. Once commitments, plans and indicators keep it in a
column, each of `commitment_progress`, `plan_progress`, `indicator_progress` and
`indicator_latest_value` becomes `f"{row}.<column>"`: these four functions are the only place the
planner reads progress from.
"""

from __future__ import annotations

from tracker.models.enums import WorkStatus

F = "float8"
COMPLETED = f"'{WorkStatus.COMPLETED.value}'"
CANCELLED = f"'{WorkStatus.CANCELLED.value}'"
HUNDRED = f"CAST(100.0 AS {F})"
ZERO = f"CAST(0.0 AS {F})"


def clamp(value: str) -> str:
    """`progress._clamp`: max(0.0, min(100.0, value))."""
    return f"GREATEST({ZERO}, LEAST({HUNDRED}, {value}))"


def indicator_latest_value(indicator: str) -> str:
    """The value of the latest measurement of the indicator row `indicator` (NULL: none yet)."""
    return (
        "(SELECT lm.value FROM measurement AS lm"
        f" WHERE lm.indicator_id = {indicator}.id ORDER BY lm.observed_at DESC, lm.created_at DESC LIMIT 1)"
    )


def indicator_progress(indicator: str) -> str:
    """`progress.indicator_progress` of the indicator row `indicator`."""
    return indicator_progress_of(
        baseline=f"{indicator}.baseline", target=f"{indicator}.target", latest=indicator_latest_value(indicator)
    )


def indicator_progress_of(*, baseline: str, target: str, latest: str) -> str:
    moved = f"({latest} - {baseline}) / ({target} - {baseline}) * {HUNDRED}"
    return f"CASE WHEN {latest} IS NULL OR {target} = {baseline} THEN {ZERO} ELSE {clamp(moved)} END"


def commitment_progress(commitment: str) -> str:
    """`progress.commitment_progress` of the commitment row `commitment`: its milestones' weights
    (as services.progress.milestone_weight_sums), else the mean of its indicators (read only
    then), else its own status."""
    by_indicators = (
        f"(SELECT CASE WHEN count(*) > 0 THEN {clamp('SUM(ci.progress ORDER BY ci.position, ci.id) / count(*)')}"
        f" WHEN {commitment}.status = {COMPLETED} THEN {HUNDRED} ELSE {ZERO} END"
        f" FROM (SELECT cii.position, cii.id, {indicator_progress('cii')} AS progress"
        f" FROM indicator AS cii WHERE cii.commitment_id = {commitment}.id) AS ci)"
    )
    return (
        f"(SELECT CASE WHEN cw.counted > 0 THEN {clamp(f'cw.completed / cw.counted * {HUNDRED}')}"
        f" ELSE {by_indicators} END"
        " FROM (SELECT"
        f" COALESCE(SUM(CASE WHEN cm.status = {COMPLETED} THEN cm.weight ELSE {ZERO} END), 0.0) AS completed,"
        f" COALESCE(SUM(CASE WHEN cm.status <> {CANCELLED} THEN cm.weight ELSE {ZERO} END), 0.0) AS counted"
        f" FROM milestone AS cm WHERE cm.commitment_id = {commitment}.id) AS cw)"
    )


def plan_progress(plan: str) -> str:
    """`progress.plan_progress` of the action_plan row `plan`: its commitments in plan order."""
    return (
        f"(SELECT CASE WHEN count(*) = 0 THEN {ZERO}"
        f" ELSE {clamp('SUM(pc.progress ORDER BY pc.position, pc.reference, pc.id) / count(*)')} END"
        f" FROM (SELECT pcc.position, pcc.reference, pcc.id, {commitment_progress('pcc')} AS progress"
        f" FROM commitment AS pcc WHERE pcc.plan_id = {plan}.id AND pcc.status <> {CANCELLED}) AS pc)"
    )


def milestone_progress(milestone: str) -> str:
    """`progress.milestone_progress`."""
    return f"CASE WHEN {milestone}.status = {COMPLETED} THEN {HUNDRED} ELSE {ZERO} END"


def is_overdue(milestone: str, today: str) -> str:
    """`progress.is_overdue` of the milestone row `milestone`; `today` is SQL for a date."""
    return f"({milestone}.due_on < {today} AND {milestone}.status NOT IN ({COMPLETED}, {CANCELLED}))"
