"""A malformed target URL is the client's mistake: BAD_USER_INPUT on the url field, never INTERNAL."""

from __future__ import annotations

import pytest

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes
from tracker.api.core.relay import encode_id
from tracker.db import Database

MALFORMED = [
    "http://0177.0.0.1/",
    "http://①②⑦.0.0.1/",
    "http://0x7f.1/",
    "http://xn--zz.example/",
    "http://\uff41.example/",  # a full-width letter
    "http://" + "a" * 64 + ".example/",
    "http://[zz]/",
    "http://example.org:99999/",
]
CREATE_WEBHOOK = """
mutation($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { secret } }
"""
CREATE_SOURCE = """
mutation($input: CreateEvidenceSourceInput!) { createEvidenceSource(input: $input) { source { id } } }
"""


@pytest.mark.parametrize("url", MALFORMED)
async def test_a_malformed_webhook_url_is_bad_user_input_on_url(client: Client, db: Database, url: str) -> None:
    body = await client.execute(CREATE_WEBHOOK, {"input": {"url": url, "format": "STANDARD"}}, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "url")]


@pytest.mark.parametrize("url", MALFORMED)
async def test_a_malformed_evidence_source_url_is_bad_user_input_on_url(client: Client, db: Database, url: str) -> None:
    _plan, made = await small_plan(db)
    variables = {
        "input": {
            "kind": "FEED",
            "url": url,
            "schedule": "PT6H",
            "targetId": encode_id("Commitment", made[0].id),
        }
    }
    body = await client.execute(CREATE_SOURCE, variables, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "url")]
