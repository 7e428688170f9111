"""The access-to-information register and the indicators it feeds."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul
from tests.support.graphql import Client, error_codes
from tracker.db import Database
from tracker.models import AccessRequest, AccessRequestStatus
from tracker.services.access_requests import compute_stats

RECORD = """
mutation($input: RecordAccessRequestInput!) { recordAccessRequest(input: $input) { request { id status deadline } } }
"""
UPDATE = """
mutation($input: UpdateAccessRequestInput!) { updateAccessRequest(input: $input) { request { status answeredOn } } }
"""


async def _collectivity(client: Client, slug: str) -> str:
    data = await client.data("query($s: String!) { collectivity(slug: $s) { id } }", {"s": slug})
    return str(data["collectivity"]["id"])


async def _record(client: Client, collectivity: str, reference: str, received: date, **headers: Any) -> dict[str, Any]:
    variables = {"input": {"collectivityId": collectivity, "reference": reference, "receivedOn": received.isoformat()}}
    data = await client.data(RECORD, variables, admin=True)
    request: dict[str, Any] = data["recordAccessRequest"]["request"]
    return request


async def test_a_request_is_due_twenty_working_days_after_receipt(client: Client, db: Database) -> None:
    await place_with_body(db)
    request = await _record(client, await _collectivity(client, "tiznit"), "DI-1", date(2025, 2, 3))
    assert request["status"] == "RECEIVED"
    assert request["deadline"] == "2025-03-03"


async def test_a_refusal_needs_its_reason(client: Client, db: Database) -> None:
    await place_with_body(db)
    request = await _record(client, await _collectivity(client, "tiznit"), "DI-1", date(2025, 2, 3))
    body = await client.execute(UPDATE, {"input": {"id": request["id"], "status": "REFUSED"}}, admin=True)
    assert error_codes(body) == [("BAD_USER_INPUT", "refusalReason")]


async def test_figures_are_public_and_entries_are_not(client: Client, db: Database) -> None:
    await place_with_body(db)
    collectivity = await _collectivity(client, "tiznit")
    request = await _record(client, collectivity, "DI-1", date(2025, 2, 3))
    await client.data(
        UPDATE, {"input": {"id": request["id"], "status": "ANSWERED", "answeredOn": "2025-02-17"}}, admin=True
    )
    stats = await client.data(
        '{ collectivity(slug: "tiznit") { accessRequestStats { total decided shareInTime medianWorkingDays } } }'
    )
    assert stats["collectivity"]["accessRequestStats"] == {
        "total": 1,
        "decided": 1,
        "shareInTime": 100.0,
        "medianWorkingDays": 10.0,
    }
    body = await client.execute('{ collectivity(slug: "tiznit") { accessRequests { totalCount } } }')
    assert error_codes(body) == [("FORBIDDEN", None)]


def test_a_late_pending_request_counts_against_the_share_in_time() -> None:
    received = date(2025, 1, 6)
    answered = AccessRequest(
        collectivity_id=uuid.uuid4(),
        reference="A",
        received_on=received,
        status=AccessRequestStatus.ANSWERED,
        answered_on=received + timedelta(days=7),
    )
    late = AccessRequest(collectivity_id=answered.collectivity_id, reference="B", received_on=received)
    stats = compute_stats([answered, late], on=date(2025, 3, 1), holidays=[])
    assert stats.late == 1
    assert stats.share_in_time == 50.0


async def test_the_register_feeds_an_indicator_through_a_source(client: Client, db: Database) -> None:
    await ait_melloul(db)
    collectivity = await _collectivity(client, "ait-melloul")
    for number, (received, answered) in enumerate([(date(2025, 2, 3), "2025-02-10"), (date(2025, 2, 4), "2025-03-20")]):
        request = await _record(client, collectivity, f"DI-{number}", received)
        await client.data(
            UPDATE, {"input": {"id": request["id"], "status": "ANSWERED", "answeredOn": answered}}, admin=True
        )
    query = """
    { collectivity(slug: "ait-melloul") { currentPlan { commitments(first: 1) { edges { node {
      indicators(first: 1) { edges { node { id } } } } } } } } }
    """
    indicator = (await client.data(query))["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"][
        "indicators"
    ]["edges"][0]["node"]["id"]
    created = await client.data(
        "mutation($i: CreateEvidenceSourceInput!) { createEvidenceSource(input: $i) { source { id url } } }",
        {
            "i": {
                "kind": "ACCESS_REQUESTS",
                "url": "register",
                "schedule": "P1D",
                "targetId": indicator,
                "options": {"measure": "shareAnsweredInTime"},
            }
        },
        admin=True,
    )
    source = created["createEvidenceSource"]["source"]
    assert source["url"] == "register:access-requests"
    run = await client.data(
        "mutation($id: ID!) { runSourceNow(input: {id: $id}) { run { outcome measurements } } }",
        {"id": source["id"]},
        admin=True,
    )
    assert run["runSourceNow"]["run"] == {"outcome": "SUCCESS", "measurements": 1}
    latest = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Indicator { latest { value } } } }", {"id": indicator}
    )
    assert latest["node"]["latest"]["value"] == 50.0
