"""A mistake in a value written in the document names its field, as one in a variable does."""

from __future__ import annotations

import pytest

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes
from tracker.api.core.relay import encode_id
from tracker.db import Database


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": "FINISHED"}, "status"),
        ({"weight": '"heavy"'}, "weight"),
        ({"title": "{fr: 3}"}, "title.fr"),
    ],
    ids=["unknown-enum", "string-for-float", "int-for-string"],
)
async def test_a_wrong_literal_in_a_mutation_input_names_its_field(
    client: Client, db: Database, fields: dict[str, str], field: str
) -> None:
    _plan, commitments = await small_plan(db)
    commitment = encode_id("Commitment", commitments[0].id)
    written = {"commitmentId": f'"{commitment}"', "title": '{fr: "Étape"}', "dueOn": '"2025-01-31"', **fields}
    values = ", ".join(f"{name}: {value}" for name, value in written.items())
    document = f"mutation {{ createMilestone(input: {{{values}}}) {{ milestone {{ id }} }} }}"
    body = await client.execute(document, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", field)]


async def test_a_wrong_literal_in_a_list_names_its_position(client: Client) -> None:
    document = """mutation { createWebhookSubscription(input: {url: "https://example.org/", format: STANDARD,
      eventTypes: ["plan.created", 7]}) { secret } }"""
    body = await client.execute(document, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "eventTypes[1]")]
