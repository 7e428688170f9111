"""Client mistakes get a clear error naming the field, never HTTP 500, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from graphql import GraphQLError
from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tracker.api.core.errors import classify
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.errors import RETRY_AFTER_SECONDS, Unavailable
from tracker.models import Milestone, OutboxEvent

CREATE_INDICATOR = """
mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { indicator { id } } }
"""
CREATE_PLAN = "mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } } }"


async def _counts(db: Database) -> tuple[int, int]:
    async with db.reader() as session:
        milestones = (await session.exec(select(func.count()).select_from(Milestone))).one()
        events = (await session.exec(select(func.count()).select_from(OutboxEvent))).one()
    return int(milestones), int(events)


async def _commitment_id(db: Database) -> str:
    _plan, commitments = await small_plan(db)
    return encode_id("Commitment", commitments[0].id)


def _milestone(commitment_id: str, **overrides: Any) -> dict[str, Any]:
    return {"input": {"commitmentId": commitment_id, "title": {"fr": "Étape"}, "dueOn": "2025-01-31", **overrides}}


async def test_milestone_due_outside_the_plan_period_is_refused_on_due_on(client: Client, db: Database) -> None:
    commitment_id = await _commitment_id(db)
    before = await _counts(db)
    body = await client.execute(operation("CreateMilestone"), _milestone(commitment_id, dueOn="2026-03-01"), admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "dueOn")]
    assert await _counts(db) == before


async def test_empty_translation_is_refused_on_title(client: Client, db: Database) -> None:
    commitment_id = await _commitment_id(db)
    body = await client.execute(operation("CreateMilestone"), _milestone(commitment_id, title={"fr": "  "}), admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "title")]


async def test_unknown_enum_value_is_refused_on_its_field(client: Client, db: Database) -> None:
    commitment_id = await _commitment_id(db)
    body = await client.execute(operation("CreateMilestone"), _milestone(commitment_id, status="FINISHED"), admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "status")]


async def test_malformed_date_is_refused_on_its_field(client: Client, db: Database) -> None:
    commitment_id = await _commitment_id(db)
    body = await client.execute(operation("CreateMilestone"), _milestone(commitment_id, dueOn="31/01/2025"), admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "dueOn")]


async def test_indicator_target_equal_to_baseline_is_refused_on_target(client: Client, db: Database) -> None:
    commitment_id = await _commitment_id(db)
    variables = {
        "input": {"commitmentId": commitment_id, "name": {"ar": "مؤشر"}, "unit": "%", "baseline": 5, "target": 5}
    }
    body = await client.execute(CREATE_INDICATOR, variables, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "target")]


async def test_plan_period_ending_before_it_starts_is_refused(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    variables = {
        "input": {
            "collectivityId": encode_id("Collectivity", plan.collectivity_id),
            "title": {"fr": "Plan"},
            "period": {"start": "2025-01-01", "end": "2024-01-01"},
        }
    }
    body = await client.execute(CREATE_PLAN, variables, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "period.end")]


async def test_id_of_another_type_is_refused_on_its_field(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    body = await client.execute(operation("CreateMilestone"), _milestone(encode_id("ActionPlan", plan.id)), admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "commitmentId")]


async def test_garbage_id_is_refused_not_crashed_on(client: Client, db: Database) -> None:
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": "%%not-an-id%%"})
    assert error_codes(body) == [("BAD_USER_INPUT", "id")]


async def test_unknown_commitment_is_not_found(client: Client, db: Database) -> None:
    missing = encode_id("Commitment", __import__("uuid").uuid4())
    body = await client.execute(operation("CreateMilestone"), _milestone(missing), admin=True)
    assert error_codes(body) == [("NOT_FOUND", "commitmentId")]


async def test_mutation_without_token_is_unauthenticated_and_changes_nothing(client: Client, db: Database) -> None:
    commitment_id = await _commitment_id(db)
    before = await _counts(db)
    body = await client.execute(operation("CreateMilestone"), _milestone(commitment_id))
    assert error_codes(body) == [("UNAUTHENTICATED", None)]
    assert await _counts(db) == before


async def test_malformed_cursor_is_refused_on_after(client: Client, db: Database) -> None:
    body = await client.execute('{ collectivities(after: "nope") { totalCount } }')
    assert error_codes(body) == [("BAD_USER_INPUT", "after")]


async def test_first_above_the_cap_is_refused(client: Client, db: Database) -> None:
    body = await client.execute("{ collectivities(first: 1000) { totalCount } }")
    assert error_codes(body) == [("BAD_USER_INPUT", "first")]


async def test_too_deep_query_is_too_complex(client: Client, db: Database) -> None:
    nested = "{ collectivities { edges { node " + "{ parent " * 14 + "{ slug }" + " }" * 14 + " } } }"
    body = await client.execute(nested)
    assert error_codes(body) == [("QUERY_TOO_COMPLEX", None)]


async def test_invalid_language_tag_is_refused_on_lang(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    body = await client.execute('{ collectivity(slug: "tiznit") { name(lang: "!!") } }')
    assert error_codes(body) == [("BAD_USER_INPUT", "lang")]


@pytest.mark.parametrize(
    ("content", "payload"),
    [
        ("application/json", b"{not json"),
        ("application/json", b'{"query": 42}'),
        ("application/json", b"[]"),
        ("application/json", b'"a string"'),
        ("application/json", b""),
        ("application/json", b'{"query": "{ network { planCount } }", "variables": [1]}'),
        ("text/plain", b"query { network { planCount } }"),
        ("application/x-www-form-urlencoded", b"query=x"),
    ],
)
async def test_malformed_http_requests_are_json_errors_with_a_code(
    client: Client, content: str, payload: bytes
) -> None:
    response = await client.http.post("/graphql", content=payload, headers={"Content-Type": content})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    assert error_codes(response.json())[0][0] == "BAD_USER_INPUT"


async def test_mutation_over_get_is_refused(client: Client) -> None:
    response = await client.http.get(
        "/graphql", params={"query": 'mutation { deletePlan(input: {id: "x"}) { deletedId } }'}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_an_unavailable_error_says_when_to_try_again_without_an_http_header() -> None:
    # Over WebSocket there is no Retry-After header: the error itself carries the delay.
    raised = GraphQLError("lost", original_error=Unavailable("The service is unavailable; try again shortly."))
    assert classify(raised).extensions == {"code": "UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"id": "x", "bogus": [1, None, True]},
            "Variable '$input' has invalid value: Expected value of type 'UpdateMilestoneInput' not to include "
            "unknown field 'bogus'.",
        ),
        (
            {"status": "COMPLETED"},
            "Variable '$input' has invalid value: Expected value of type 'UpdateMilestoneInput' to include "
            "required field 'id'.",
        ),
        (
            "str",
            "Variable '$input' has invalid value: Expected value of type 'UpdateMilestoneInput' to be an object, "
            "found a string.",
        ),
        (
            [None],
            "Variable '$input' has invalid value: Expected value of type 'UpdateMilestoneInput' to be an object, "
            "found a list.",
        ),
    ],
)
async def test_a_wrong_input_object_is_described_in_json_words_not_echoed_in_python(
    client: Client, value: Any, message: str
) -> None:
    mutation = "mutation($input: UpdateMilestoneInput!) { updateMilestone(input: $input) { milestone { id } } }"
    body = (await client.post(mutation, {"input": value})).json()
    assert [error["message"] for error in body["errors"]] == [message]
