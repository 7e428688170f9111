"""A mistake written in the query text is answered as the same mistake sent in a variable: code
BAD_USER_INPUT, the input field, `locations`, and a message without Python in it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from graphql import GraphQLScalarType
from tests.support.graphql import Client, error_codes
from tracker.api.core.relay import encode_id
from tracker.api.schema import build_schema
from tracker.settings import Settings


@dataclass(frozen=True)
class Enum:
    """An enum value: a bare name in the document, a string in JSON."""

    name: str


@dataclass(frozen=True)
class Mistake:
    id: str
    scalar: str | None  # the scalar whose coercion the row exercises, if any
    root: str  # the root field, with its argument's type
    argument_type: str
    value: Any  # the argument's value, as a client would write it
    field: str  # extensions.field expected for both twins
    at: str  # where the literal's error must point: `^` in the first occurrence of this text
    selection: str = "__typename"
    query: bool = False

    def literal(self) -> str:
        kind = "query" if self.query else "mutation"
        return f"{kind} {{ {self.root}({self._argument()}: {_written(self.value)}) {{ {self.selection} }} }}"

    def variable(self) -> str:
        kind = "query" if self.query else "mutation"
        name = self._argument()
        return f"{kind}(${name}: {self.argument_type}) {{ {self.root}({name}: ${name}) {{ {self.selection} }} }}"

    def variables(self) -> dict[str, Any]:
        return {self._argument(): _sent(self.value)}

    def _argument(self) -> str:
        return "first" if self.query else "input"


def _written(value: Any) -> str:
    """A value as written in a GraphQL document."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_written(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_written(item) for item in value) + "]"
    return json.dumps(value)


def _sent(value: Any) -> Any:
    """The same value as sent in JSON variables."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return {key: _sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sent(item) for item in value]
    return value


MILESTONE = encode_id("Milestone", uuid.UUID(int=1))
PLAN = encode_id("ActionPlan", uuid.UUID(int=2))
COLLECTIVITY = encode_id("Collectivity", uuid.UUID(int=3))
INDICATOR = encode_id("Indicator", uuid.UUID(int=4))
SUBSCRIPTION = encode_id("WebhookSubscription", uuid.UUID(int=5))


def _milestone(**fields: Any) -> dict[str, Any]:
    return {"id": MILESTONE, **fields}


def _plan(period: dict[str, Any]) -> dict[str, Any]:
    return {"collectivityId": COLLECTIVITY, "title": {"fr": "Plan"}, "period": period}


UPDATE_MILESTONE = ("updateMilestone", "UpdateMilestoneInput!")
CREATE_PLAN = ("createPlan", "CreatePlanInput!")
MISTAKES = [
    Mistake("date-not-iso", "Date", *UPDATE_MILESTONE, _milestone(completedOn="30/11/2025"), "completedOn", "On: ^"),
    Mistake("no-such-day", "Date", *UPDATE_MILESTONE, _milestone(completedOn="2025-02-30"), "completedOn", "On: ^"),
    Mistake("date-as-number", "Date", *UPDATE_MILESTONE, _milestone(completedOn=20251130), "completedOn", "On: ^"),
    Mistake(
        "datetime-in-words",
        "DateTime",
        "recordMeasurement",
        "RecordMeasurementInput!",
        {"indicatorId": INDICATOR, "value": 3, "observedAt": "yesterday"},
        "observedAt",
        "At: ^",
    ),
    Mistake("unknown-enum", None, *UPDATE_MILESTONE, _milestone(status=Enum("FINISHED")), "status", "status: ^"),
    Mistake("number-for-enum", None, *UPDATE_MILESTONE, _milestone(status=3), "status", "status: ^"),
    Mistake("float-for-id", "ID", *UPDATE_MILESTONE, {"id": 4.5}, "id", "id: ^"),
    Mistake("null-for-required-id", None, *UPDATE_MILESTONE, {"id": None}, "id", "id: ^"),
    Mistake("string-for-float", "Float", *UPDATE_MILESTONE, _milestone(weight="heavy"), "weight", "weight: ^"),
    Mistake("number-for-string", "String", *UPDATE_MILESTONE, _milestone(title={"fr": 3}), "title.fr", "fr: ^"),
    Mistake("unknown-input-field", None, *UPDATE_MILESTONE, _milestone(nope=1), "nope", ", ^nope"),
    Mistake(
        "nested-date",
        "Date",
        *CREATE_PLAN,
        _plan({"start": "2025-13-01", "end": "2025-12-31"}),
        "period.start",
        "start: ^",
    ),
    Mistake("nested-required-field", None, *CREATE_PLAN, _plan({"start": "2025-01-01"}), "period.end", "period: ^"),
    Mistake(
        "list-item",
        None,
        "createWebhookSubscription",
        "CreateWebhookSubscriptionInput!",
        {"url": "https://example.org/", "format": Enum("STANDARD"), "eventTypes": ["plan.created", 7]},
        "eventTypes[1]",
        ", ^7",
        selection="secret",
    ),
    Mistake(
        "string-for-boolean",
        "Boolean",
        "updateWebhookSubscription",
        "UpdateWebhookSubscriptionInput!",
        {"id": SUBSCRIPTION, "active": "yes"},
        "active",
        "active: ^",
        selection="__typename",
    ),
    Mistake(
        "int-beyond-32-bits",
        "Int",
        "collectivities",
        "Int",
        99999999999,
        "first",
        "first: ^",
        selection="totalCount",
        query=True,
    ),
]
# Mistakes found when the mutation runs, not when the document is checked: the same either way.
MISTAKES_AT_RUN = [
    Mistake("id-of-another-type", None, *UPDATE_MILESTONE, {"id": PLAN}, "id", "updateMilestone"),
    Mistake("id-not-an-id", None, *UPDATE_MILESTONE, {"id": "%%not-an-id%%"}, "id", "updateMilestone"),
]
PYTHON_ISMS = (
    "invalid literal",
    "Traceback",
    "Error:",
    "ValueError",
    "TypeError",
    "isoformat",
    "Expected 4 digits",
    "must be in 1..",
    "out of range for month",
    "<class",
    "NoneType",
    "None.",
    "datetime.",
)


def _location(document: str, text: str) -> list[dict[str, int]]:
    """The location of the `^` in `text`, found in a one-line document."""
    before, after = text.split("^")
    return [{"line": 1, "column": document.index(before + after) + len(before) + 1}]


@pytest.mark.parametrize("mistake", MISTAKES + MISTAKES_AT_RUN, ids=lambda mistake: mistake.id)
async def test_a_literal_mistake_names_the_field_its_variable_twin_names(client: Client, mistake: Mistake) -> None:
    written = await client.execute(mistake.literal(), admin=True)
    sent = await client.execute(mistake.variable(), mistake.variables(), admin=True)
    assert error_codes(written) == error_codes(sent) == [("BAD_USER_INPUT", mistake.field)]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.id)
async def test_a_literal_mistake_points_at_the_value_written(client: Client, mistake: Mistake) -> None:
    document = mistake.literal()
    body = await client.execute(document, admin=True)
    assert [error["locations"] for error in body["errors"]] == [_location(document, mistake.at)]


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda mistake: mistake.id)
async def test_a_variable_mistake_points_at_the_variable(client: Client, mistake: Mistake) -> None:
    document = mistake.variable()
    body = await client.execute(document, mistake.variables(), admin=True)
    assert [error["locations"] for error in body["errors"]] == [_location(document, "(^$")]


@pytest.mark.parametrize("mistake", MISTAKES + MISTAKES_AT_RUN, ids=lambda mistake: mistake.id)
async def test_a_mistake_is_told_without_python_in_it(client: Client, mistake: Mistake) -> None:
    written = await client.execute(mistake.literal(), admin=True)
    sent = await client.execute(mistake.variable(), mistake.variables(), admin=True)
    messages = [error["message"] for error in written["errors"] + sent["errors"]]
    assert [message for message in messages if any(word in message for word in PYTHON_ISMS)] == []


def test_every_scalar_that_can_refuse_a_value_has_a_mistake_in_the_table() -> None:
    types = build_schema(Settings())._schema.type_map
    scalars = {name for name, kind in types.items() if isinstance(kind, GraphQLScalarType)}
    accepting_every_value = {"JSON"}
    assert scalars - accepting_every_value <= {mistake.scalar for mistake in MISTAKES}


async def test_a_float_literal_beyond_a_double_is_refused_on_its_field(client: Client) -> None:
    document = f'mutation {{ updateMilestone(input: {{id: "{MILESTONE}", weight: 1e400}}) {{ __typename }} }}'
    body = await client.execute(document, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "weight")]
    assert body["errors"][0]["locations"] == _location(document, "weight: ^1e400")


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (
            "mutation($day: Date) { updateMilestone(input: "
            f'{{id: "{MILESTONE}", completedOn: $day}}) {{ __typename }} }}',
            {"day": "30/11/2025"},
            "completedOn",
        ),
        (
            "mutation($types: [String!]!) { createWebhookSubscription(input: "
            '{url: "https://example.org/", format: STANDARD, eventTypes: $types}) { secret } }',
            {"types": ["plan.created", 7]},
            "eventTypes[1]",
        ),
    ],
    ids=["scalar", "list"],
)
async def test_a_variable_for_one_field_is_named_after_that_field(
    client: Client, document: str, variables: dict[str, Any], field: str
) -> None:
    body = await client.execute(document, variables, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", field)]
