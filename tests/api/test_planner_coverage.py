"""What the read planner answers and what it leaves to strawberry: a new field is a decision.

Each covered type lists the fields the planner spells in SQL and those left to their resolvers; a
field added to the schema fails this test until it is put in one list or the other (and, when
covered, in the differential test's reach: tests/api/test_planner_differential.py).
"""

from __future__ import annotations

from graphql import GraphQLObjectType
from tracker.api.core.planner import REGISTRY
from tracker.api.schema import build_schema
from tracker.settings import Settings

# Root fields: covered ones are compiled into the plan's statement, the others run in strawberry.
COVERED_ROOTS = {"collectivity", "collectivities", "node", "nodes", "network", "milestones"}
FALLBACK_ROOTS = {"viewer", "auditEntries", "webhookSubscriptions", "events"}

# Per type: (fields the planner spells, fields left to the resolvers). A root field whose
# selection reaches a field left to the resolvers is answered by strawberry as a whole.
TYPES: dict[str, tuple[set[str], set[str]]] = {
    "Collectivity": (
        {"id", "slug", "kind", "name", "parent", "children", "plans", "currentPlan", "overdueMilestoneCount"},
        {"history", "consultativeBodies", "accessRequestStats", "accessRequests"},
    ),
    "ActionPlan": (
        {"id", "status", "adoptedOn", "title", "description", "period", "collectivity", "progress", "commitments"},
        {"history"},
    ),
    "Period": ({"start", "end"}, set()),
    "Commitment": (
        {
            "id",
            "reference",
            "ogpValues",
            "partners",
            "status",
            "title",
            "description",
            "leadUnit",
            "progress",
            "plan",
            "milestones",
            "indicators",
            "evidence",
        },
        {"history", "comments", "assessments", "evidenceSources"},
    ),
    "Milestone": (
        {"id", "dueOn", "status", "completedOn", "weight", "title", "isOverdue", "progress", "commitment", "evidence"},
        {"history", "comments", "proposals"},
    ),
    "Indicator": (
        {"id", "unit", "baseline", "target", "direction", "name", "latest", "progress", "measurements"},
        {"history"},
    ),
    "Measurement": ({"id", "value", "observedAt", "note", "origin", "recordedAt"}, set()),
    "Evidence": ({"id", "url", "kind", "publishedAt", "fingerprint", "origin", "addedAt", "title"}, {"history"}),
    "Network": (
        {
            "collectivityCount",
            "planCount",
            "commitmentCount",
            "milestoneCount",
            "overdueMilestoneCount",
            "meanProgress",
            "byKind",
            "plansByStatus",
            "commitmentsByStatus",
            "milestonesByStatus",
        },
        set(),
    ),
    "KindSummary": ({"kind", "collectivityCount", "planCount", "meanProgress"}, set()),
    "StatusCount": ({"status", "count"}, set()),
}


def _schema_fields(name: str) -> set[str]:
    schema = build_schema(Settings(database_url="sqlite:///unused.db"))._schema
    found = schema.get_type(name)
    assert isinstance(found, GraphQLObjectType), name
    return set(found.fields)


def test_the_planner_covers_the_listed_root_fields_and_leaves_the_others_to_strawberry() -> None:
    assert set(REGISTRY["Query"].fields) == COVERED_ROOTS
    assert _schema_fields("Query") == COVERED_ROOTS | FALLBACK_ROOTS


def test_each_covered_type_lists_every_field_as_covered_or_left_to_its_resolver() -> None:
    for name, (covered, left) in TYPES.items():
        assert set(REGISTRY[name].fields) == covered, name
        assert _schema_fields(name) == covered | left, name


def test_no_type_is_spelled_without_being_listed_here() -> None:
    assert set(REGISTRY) == {"Query", *TYPES}
