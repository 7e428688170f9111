"""Random client input never yields HTTP 500 or an INTERNAL error (a bounded, seeded fuzz).

Inputs of mutations (NUL, lone surrogates and combining marks among them), variables operations
do not declare, and JSON nested to any depth."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from tests.support.builders import small_plan
from tests.support.graphql import Client
from tracker.access import SYSTEM
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.services.sources import create_source
from tracker.web.limits import MAX_JSON_DEPTH

WEIRD: list[Any] = [
    None,
    "",
    " ",
    "x" * 5000,
    "٣",
    "ⵜ",
    "<script>",
    "'; DROP TABLE milestone; --",
    "2025-13-45",
    "2025-02-30",
    "9999-12-31",
    "0000-01-01",
    "PT0S",
    "P",
    "* * * * *",
    -1,
    0,
    2**31 - 1,
    2**31,
    2**63,
    -(2**63),
    1e308,
    -1e-308,
    True,
    [],
    {},
    {"ar": None},
    {"xx": "y"},
    ["milestone.*"],
    "bm9wZQ",
    "Q29tbWl0bWVudDpub3BlCg",
    # Text PostgreSQL cannot store, or that is not text at all: refused naming the field.
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "e\u0301",
    {"fr": "\x00"},
    {"ar": "\udc00"},
    "https://example.org/\x00",
    ["milestone.\ud800"],
]
MUTATIONS = {
    "createMilestone": ("CreateMilestoneInput", ["commitmentId", "title", "dueOn", "weight", "status", "completedOn"]),
    "updateMilestone": ("UpdateMilestoneInput", ["id", "title", "dueOn", "weight", "status", "completedOn"]),
    "createIndicator": ("CreateIndicatorInput", ["commitmentId", "name", "unit", "baseline", "target", "direction"]),
    "recordMeasurement": ("RecordMeasurementInput", ["indicatorId", "value", "observedAt", "note"]),
    "addEvidence": ("AddEvidenceInput", ["commitmentId", "url", "title", "kind", "publishedAt"]),
    "createEvidenceSource": ("CreateEvidenceSourceInput", ["kind", "url", "schedule", "targetId", "options"]),
    "updateEvidenceSource": ("UpdateEvidenceSourceInput", ["id", "url", "schedule", "options", "paused"]),
    "createWebhookSubscription": ("CreateWebhookSubscriptionInput", ["url", "format", "eventTypes", "lang", "scopeId"]),
    "postComment": ("PostCommentInput", ["subjectId", "body", "replyToId"]),
}


def _value(rng: random.Random, valid: dict[str, Any], name: str) -> Any:
    return valid[name] if name in valid and rng.random() < 0.5 else rng.choice(WEIRD)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_random_input_is_answered_without_a_server_error(client: Client, db: Database, mutation: str) -> None:
    _plan, commitments = await small_plan(db)
    commitment = encode_id("Commitment", commitments[0].id)
    async with db.transaction() as session:
        source = await create_source(
            session,
            actor=SYSTEM,
            kind="DOCUMENT",
            url="https://example.org/",
            schedule="PT6H",
            target_type="Commitment",
            target_id=commitments[0].id,
            resolve_url=False,
        )
    valid = {
        "commitmentId": commitment,
        "subjectId": commitment,
        "targetId": commitment,
        "title": {"fr": "x"},
        "name": {"fr": "x"},
        "dueOn": "2025-01-31",
        "weight": 1,
        "unit": "%",
        "baseline": 0,
        "target": 1,
        "url": "https://example.org/",
        "kind": "DOCUMENT",
        "schedule": "PT6H",
        "format": "STANDARD",
        "body": "x",
        "id": encode_id("EvidenceSource", source.id),
    }
    input_type, fields = MUTATIONS[mutation]
    document = f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ __typename }} }}"
    rng = random.Random(f"{mutation}-2024")
    for _ in range(40):
        variables = {"input": {name: _value(rng, valid, name) for name in fields if rng.random() < 0.9}}
        response = await client.http.post(
            "/graphql",
            # json.dumps escapes lone surrogates, which a UTF-8 body cannot carry as they are
            content=json.dumps({"query": document, "variables": variables}),
            headers={**client.bearer(client.admin_token), "Content-Type": "application/json"},
        )
        assert response.status_code < 500, (variables, response.text)
        codes = {error.get("extensions", {}).get("code") for error in response.json().get("errors", [])}
        assert "INTERNAL" not in codes, (variables, response.text)


DECLARED = {
    "query($slug: String!, $lang: String) { collectivity(slug: $slug) { name(lang: $lang) } }": ["slug", "lang"],
    "{ network { planCount } }": [],
}


def _junk_name(rng: random.Random) -> str:
    return rng.choice("abcxyz_") + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(8))


async def test_random_undeclared_variables_are_refused_by_name(client: Client, db: Database) -> None:
    rng = random.Random("undeclared-2024")
    for _ in range(40):
        query, declared = rng.choice(sorted(DECLARED.items()))
        junk = {_junk_name(rng) for _ in range(rng.randint(1, 4))}
        variables = {name: rng.choice(WEIRD) for name in [*declared, *junk]}
        names = list(variables)
        rng.shuffle(names)
        variables = {name: variables[name] for name in names}
        if rng.random() < 0.5:
            body = json.dumps({"query": query, "variables": variables})  # lone surrogates escaped
            response = await client.http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        else:
            params = {"query": query, "variables": json.dumps(variables)}
            response = await client.http.get("/graphql", params=params)
        assert response.status_code == 400, (variables, response.text)
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] in junk


def _nested_json(rng: random.Random, depth: int) -> tuple[str, int]:
    """JSON text of containers nested `depth` deep or one more, arrays and objects mixed (the json
    module cannot write it past ~1000), with its true depth."""
    openings = [rng.choice(['{"k":', "["]) for _ in range(depth)]
    closings = ["}" if opening.startswith("{") else "]" for opening in reversed(openings)]
    innermost = rng.choice(['"x"', "1", "null", "{}", "[]"])
    return "".join(openings) + innermost + "".join(closings), depth + (innermost in ("{}", "[]"))


async def test_random_nesting_depths_are_refused_past_the_limit_and_never_crash(client: Client, db: Database) -> None:
    rng = random.Random("nesting-2024")
    query = (
        "mutation($options: JSON) { createEvidenceSource(input: "
        '{kind: DOCUMENT, url: "https://example.org/", schedule: "PT6H", targetId: "x", options: $options})'
        " { source { id } } }"
    )
    for _ in range(40):
        nested, depth = _nested_json(rng, rng.choice([rng.randint(1, 70), rng.randint(MAX_JSON_DEPTH, 5000)]))
        where = rng.choice(["variables", "extensions", "extra"])
        if where == "variables":  # inside the body's object and the variables' object
            payload, depth = '{"query": ' + json.dumps(query) + ', "variables": {"options": ' + nested + "}}", depth + 2
        else:
            payload, depth = '{"query": ' + json.dumps(query) + ', "' + where + '": ' + nested + "}", depth + 1
        response = await client.http.post(
            "/graphql",
            content=payload,
            headers={"Content-Type": "application/json", **client.bearer(client.admin_token)},
        )
        assert response.status_code < 500, (depth, where, response.text)
        errors = response.json().get("errors", [])
        codes = {error.get("extensions", {}).get("code") for error in errors}
        assert "INTERNAL" not in codes, (depth, where, response.text)
        refused = response.status_code == 400 and any("nested more than" in error["message"] for error in errors)
        assert refused == (depth > MAX_JSON_DEPTH), (depth, where, response.text)
