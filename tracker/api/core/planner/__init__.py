"""The read planner: a query's root fields answered by one SQL statement that builds their JSON.

`spelling` holds what each type's module declares (how its fields are spelled in SQL),
`compiler` turns a selection into SQL text with bind parameters, `execution` caches plans and
answers queries with them inside strawberry's execution, `progress` spells the progress rule.
See docs/planner.md.
"""

from tracker.api.core.planner.compiler import Binding, Compiler, Fallback, Field, Uncovered
from tracker.api.core.planner.execution import PlanCache, PlannedReads
from tracker.api.core.planner.spelling import (
    REGISTRY,
    Column,
    Connection,
    Expression,
    GlobalId,
    Spelling,
    ToOne,
    Translated,
    enum_values,
    filter_of,
    filter_statuses,
    spell,
    static_order,
)

__all__ = [
    "REGISTRY",
    "Binding",
    "Column",
    "Compiler",
    "Connection",
    "Expression",
    "Fallback",
    "Field",
    "GlobalId",
    "PlanCache",
    "PlannedReads",
    "Spelling",
    "ToOne",
    "Translated",
    "Uncovered",
    "enum_values",
    "filter_of",
    "filter_statuses",
    "spell",
    "static_order",
]
