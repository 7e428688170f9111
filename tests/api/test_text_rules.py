"""Text PostgreSQL cannot store (NUL, lone surrogates) is refused in every text input, naming the
field and changing nothing; text is stored in Unicode NFC."""

from __future__ import annotations

import json
import logging
import random
import unicodedata
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tracker import models, plan_files
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.demo import AIT_MELLOUL
from tracker.text import TextError, clean_json

NUL, SURROGATE = "a\x00b", "a\ud800b"
DECOMPOSED = "e\u0301te\u0301"  # "été" typed with combining accents
COMPOSED = unicodedata.normalize("NFC", DECOMPOSED)

CREATE_COMMITMENT = """mutation($input: CreateCommitmentInput!) {
  createCommitment(input: $input) { commitment { id } } }"""
POST_COMMENT = "mutation($input: PostCommentInput!) { postComment(input: $input) { comment { id } } }"
RECORD_MEASUREMENT = """mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) { measurement { id } } }"""
CREATE_INDICATOR = "mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { indicator { id } } }"
CREATE_WEBHOOK = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { secret } }"""
CREATE_SOURCE = """mutation($input: CreateEvidenceSourceInput!) {
  createEvidenceSource(input: $input) { source { id } } }"""


class Plan:
    """A plan with a commitment, a milestone and an indicator, and the ids the API knows them by."""

    def __init__(self, plan: models.ActionPlan, commitment: models.Commitment, milestone: models.Milestone) -> None:
        self.row = plan
        self.id = encode_id("ActionPlan", plan.id)
        self.commitment = encode_id("Commitment", commitment.id)
        self.commitment_key = commitment.id
        self.milestone = encode_id("Milestone", milestone.id)
        self.indicator = ""


@pytest.fixture
async def plan(client: Client, db: Database) -> Plan:
    row, commitments = await small_plan(db)
    async with db.reader() as session:
        milestone = (await session.exec(select(models.Milestone))).one()
    made = Plan(row, commitments[0], milestone)
    variables = {
        "input": {"commitmentId": made.commitment, "name": {"fr": "Taux"}, "unit": "%", "baseline": 0, "target": 10}
    }
    made.indicator = (await client.data(CREATE_INDICATOR, variables, admin=True))["createIndicator"]["indicator"]["id"]
    return made


async def _events(db: Database) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(models.OutboxEvent))).one())


async def _send(client: Client, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    """The request as JSON text with \\u escapes: httpx cannot encode a lone surrogate as UTF-8."""
    return await client.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables or {}}),
        headers={**client.bearer(client.admin_token), "content-type": "application/json"},
    )


def _variables(plan: Plan, mutation: str, text: str) -> tuple[str, dict[str, Any], str]:
    """The document, its variables carrying `text` in one field, and that field's name."""
    if mutation == "createCommitment":
        input_ = {"planId": plan.id, "reference": "X-1", "title": {"fr": text}}
        return CREATE_COMMITMENT, {"input": input_}, "title.fr"
    if mutation == "postComment":
        return POST_COMMENT, {"input": {"subjectId": plan.commitment, "body": text}}, "body"
    if mutation == "updateMilestone":
        return operation("UpdateMilestone"), {"input": {"id": plan.milestone, "title": {"ar": text}}}, "title.ar"
    input_ = {"indicatorId": plan.indicator, "value": 5, "observedAt": "2024-06-01T00:00:00+00:00", "note": text}
    return RECORD_MEASUREMENT, {"input": input_}, "note"


def _literal(plan: Plan, mutation: str, escaped: str) -> tuple[str, str]:
    """The same mutations with the text written in the document (`escaped` as GraphQL source)."""
    if mutation == "createCommitment":
        fields = f'planId: "{plan.id}", reference: "X-1", title: {{fr: "{escaped}"}}'
        return f"mutation {{ createCommitment(input: {{{fields}}}) {{ commitment {{ id }} }} }}", "title.fr"
    if mutation == "postComment":
        fields = f'subjectId: "{plan.commitment}", body: "{escaped}"'
        return f"mutation {{ postComment(input: {{{fields}}}) {{ comment {{ id }} }} }}", "body"
    if mutation == "updateMilestone":
        fields = f'id: "{plan.milestone}", title: {{ar: "{escaped}"}}'
        return f"mutation {{ updateMilestone(input: {{{fields}}}) {{ milestone {{ id }} }} }}", "title.ar"
    fields = f'indicatorId: "{plan.indicator}", value: 5, observedAt: "2024-06-01T00:00:00+00:00", note: "{escaped}"'
    return f"mutation {{ recordMeasurement(input: {{{fields}}}) {{ measurement {{ id }} }} }}", "note"


MUTATIONS = ["createCommitment", "postComment", "updateMilestone", "recordMeasurement"]


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_bad_text_in_a_variable_is_refused_on_its_field(
    client: Client, db: Database, plan: Plan, mutation: str, text: str
) -> None:
    query, variables, field = _variables(plan, mutation, text)
    before = await _events(db)
    response = await _send(client, query, variables)
    assert error_codes(response.json()) == [("BAD_USER_INPUT", field)]
    assert await _events(db) == before


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_nul_written_in_the_document_is_refused_on_its_field(
    client: Client, db: Database, plan: Plan, mutation: str
) -> None:
    query, field = _literal(plan, mutation, "a\\u0000b")
    before = await _events(db)
    body = (await _send(client, query)).json()
    assert error_codes(body) == [("BAD_USER_INPUT", field)]
    assert body["errors"][0]["locations"]
    assert await _events(db) == before


async def test_lone_surrogate_written_in_the_document_is_a_syntax_error(
    client: Client, db: Database, plan: Plan
) -> None:
    # GraphQL's lexer refuses it before anything else: BAD_USER_INPUT, without a field to name.
    query, _field = _literal(plan, "postComment", "a\\ud800b")
    before = await _events(db)
    body = (await _send(client, query)).json()
    assert error_codes(body) == [("BAD_USER_INPUT", None)]
    assert await _events(db) == before


async def test_a_decomposed_title_is_stored_composed(client: Client, db: Database, plan: Plan) -> None:
    query, variables, _field = _variables(plan, "createCommitment", DECOMPOSED)
    await client.data(query, variables, admin=True)
    literal, _field = _literal(plan, "updateMilestone", DECOMPOSED)
    assert "errors" not in (await _send(client, literal)).json()
    async with db.reader() as session:
        commitment = (await session.exec(select(models.Commitment).where(models.Commitment.reference == "X-1"))).one()
        milestone = (await session.exec(select(models.Milestone))).one()
    assert commitment.title["fr"] == COMPOSED
    assert milestone.title["ar"] == COMPOSED


async def test_nul_inside_json_options_is_refused_on_its_path(client: Client, db: Database, plan: Plan) -> None:
    variables = {
        "input": {
            "kind": "DOCUMENT",
            "url": "https://example.org/",
            "schedule": "PT6H",
            "targetId": plan.commitment,
            "options": {"headers": {"x": ["ok", NUL]}},
        }
    }
    before = await _events(db)
    body = (await _send(client, CREATE_SOURCE, variables)).json()
    assert error_codes(body) == [("BAD_USER_INPUT", "options.headers.x[1]")]
    assert await _events(db) == before


async def test_nul_in_a_persisted_read_is_refused_without_an_internal_failure(
    client: Client, plan: Plan, caplog: pytest.LogCaptureFixture
) -> None:
    # No read path may send it to the database either (a compiled one logged a failure there).
    response = await _send(client, operation("PlanDashboard"), {"slug": "tiznit\x00"})
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "slug")]
    failures = [r.getMessage() for r in caplog.records if r.name.startswith("tracker") and r.levelno >= logging.ERROR]
    assert failures == []


def test_a_plan_file_with_nul_is_refused_with_its_path() -> None:
    data = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    data["plan"]["commitments"][1]["title"]["fr"] = NUL
    with pytest.raises(plan_files.PlanFileError) as caught:
        plan_files.parse(json.dumps(data), name="bad.json")
    assert caught.value.problems[0].startswith("bad.json: plan.commitments[1].title.fr: ")
    assert "NUL" in caught.value.problems[0]


def test_a_plan_file_with_a_lone_surrogate_is_refused_with_its_path() -> None:
    data = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    data["plan"]["commitments"][0]["partners"] = [SURROGATE]
    with pytest.raises(plan_files.PlanFileError) as caught:
        plan_files.parse(json.dumps(data), name="bad.json")
    assert caught.value.problems[0].startswith("bad.json: plan.commitments[0].partners[0]: ")


def test_a_plan_file_title_is_read_composed() -> None:
    data = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    data["plan"]["title"]["fr"] = DECOMPOSED
    assert plan_files.parse(json.dumps(data), name="plan.json").plan.title["fr"] == COMPOSED


def test_a_deeply_nested_json_value_is_cleaned_without_recursion() -> None:
    deep: Any = NUL
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(TextError) as caught:
        clean_json({"options": deep})
    assert len(caught.value.path) == 5001


# --------------------------------------------------------------------------- seeded corpus

PIECES = ["x", "وثيقة", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "e\u0301", "\u0627\u0653", "\x00", "\ud800", "\udfff", "\ud83d", " ", "é"]
FIELDS: dict[str, list[str]] = {
    "createCommitment": ["title.fr", "title.ar", "reference"],
    "postComment": ["body"],
    "updateMilestone": ["title.fr", "title.zgh"],
    "recordMeasurement": ["note"],
    "createWebhookSubscription": ["url", "lang", "eventTypes[0]"],
}


def _corpus_input(plan: Plan, mutation: str, field: str, text: str) -> tuple[str, dict[str, Any]]:
    name = field.split(".")[0].split("[")[0]
    value: Any = {field.split(".")[1]: text} if "." in field else [text] if "[" in field else text
    if mutation == "createWebhookSubscription":
        input_: dict[str, Any] = {"url": "https://example.org/hook", "format": "STANDARD", name: value}
        document = (
            "mutation($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { secret } }"
        )
        return document, {"input": input_}
    document, variables, _field = _variables(plan, mutation, "x")
    variables["input"][name] = value
    if mutation == "createCommitment":
        variables["input"]["reference"] = text if name == "reference" else f"R-{uuid.uuid4().hex[:8]}"
    return document, variables


@pytest.mark.parametrize("mutation", sorted(FIELDS))
async def test_seeded_strings_with_nul_surrogates_and_combining_marks(
    client: Client, db: Database, plan: Plan, mutation: str
) -> None:
    rng = random.Random(f"text-rules-{mutation}")
    for _ in range(25):
        field = rng.choice(FIELDS[mutation])
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
        document, variables = _corpus_input(plan, mutation, field, text)
        before = await _events(db)
        response = await _send(client, document, variables)
        assert response.status_code == 200, (text, response.text)
        codes = error_codes(response.json())
        received = json.loads(json.dumps(text))  # JSON joins an escaped high and low surrogate into one
        if "\x00" in received or any(0xD800 <= ord(char) <= 0xDFFF for char in received):
            assert codes == [("BAD_USER_INPUT", field)], (text, codes)
            assert await _events(db) == before
        else:
            assert all(code not in ("INTERNAL", None) for code, _ in codes), (text, codes)
