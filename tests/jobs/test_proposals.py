"""Sources propose, staff decide: no milestone changes status silently."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from tests.support.builders import ait_melloul
from tests.support.graphql import Client, error_codes
from tests.support.publisher import publisher
from tracker.db import Database
from tracker.models import OutboxEvent

OPEN = """
{ collectivity(slug: "ait-melloul") { currentPlan { commitments { edges { node { id milestones { edges { node {
  id status } } } indicators(first: 1) { edges { node { id } } } } } } } } }
"""
CREATE = """
mutation($input: CreateEvidenceSourceInput!) { createEvidenceSource(input: $input) { source { id } } }
"""
RUN = "mutation($id: ID!) { runSourceNow(input: {id: $id}) { run { outcome measurements } } }"
PROPOSALS = """
query($id: ID!) { node(id: $id) { ... on Milestone { status proposals { id status reason value } } } }
"""


async def _open_milestone(client: Client) -> dict[str, Any]:
    data = await client.data(OPEN)
    for edge in data["collectivity"]["currentPlan"]["commitments"]["edges"]:
        for milestone in edge["node"]["milestones"]["edges"]:
            if milestone["node"]["status"] in ("IN_PROGRESS", "DELAYED"):
                return {
                    "milestone": milestone["node"]["id"],
                    "indicator": edge["node"]["indicators"]["edges"][0]["node"]["id"],
                }
    raise AssertionError("the demo has open milestones")


async def _propose(client: Client, db: Database, count: int) -> dict[str, Any]:
    await ait_melloul(db)
    targets = await _open_milestone(client)
    with publisher(stats=(200, "application/json", json.dumps({"datasets": count}))) as site:
        source = (
            await client.data(
                CREATE,
                {
                    "input": {
                        "kind": "JSON_API",
                        "url": f"{site.url}/stats",
                        "schedule": "P1D",
                        "targetId": targets["milestone"],
                        "options": {"valuePath": "/datasets", "completeWhen": {"atLeast": 10}},
                    }
                },
                admin=True,
            )
        )["createEvidenceSource"]["source"]
        await client.data(RUN, {"id": source["id"]}, admin=True)
        await client.data(RUN, {"id": source["id"]}, admin=True)
    return targets


async def test_a_value_reaching_the_rule_proposes_completion_once(client: Client, db: Database) -> None:
    targets = await _propose(client, db, 12)
    node = (await client.data(PROPOSALS, {"id": targets["milestone"]}))["node"]
    assert node["status"] != "COMPLETED"
    assert [(p["status"], p["value"]) for p in node["proposals"]] == [("PENDING", 12.0)]
    async with db.reader() as session:
        proposed = (
            await session.exec(select(OutboxEvent).where(OutboxEvent.type == "milestone.completion_proposed"))
        ).all()
    assert len(proposed) == 1


async def test_a_value_below_the_rule_proposes_nothing(client: Client, db: Database) -> None:
    targets = await _propose(client, db, 9)
    assert (await client.data(PROPOSALS, {"id": targets["milestone"]}))["node"]["proposals"] == []


async def test_accepting_completes_the_milestone(client: Client, db: Database) -> None:
    targets = await _propose(client, db, 12)
    proposal = (await client.data(PROPOSALS, {"id": targets["milestone"]}))["node"]["proposals"][0]
    accept = """
    mutation($id: ID!) { acceptMilestoneProposal(input: {id: $id, completedOn: "2025-11-30"}) { proposal { status } } }
    """
    assert (await client.data(accept, {"id": proposal["id"]}, admin=True))["acceptMilestoneProposal"]["proposal"][
        "status"
    ] == "ACCEPTED"
    assert (await client.data(PROPOSALS, {"id": targets["milestone"]}))["node"]["status"] == "COMPLETED"
    again = await client.execute(accept, {"id": proposal["id"]}, admin=True)
    assert error_codes(again) == [("CONFLICT", "id")]


async def test_rejecting_keeps_the_milestone_and_the_reason(client: Client, db: Database) -> None:
    targets = await _propose(client, db, 12)
    proposal = (await client.data(PROPOSALS, {"id": targets["milestone"]}))["node"]["proposals"][0]
    reject = """
    mutation($id: ID!) {
      rejectMilestoneProposal(input: {id: $id, note: "Jeux incomplets"}) { proposal { status decisionNote } }
    }
    """
    decided = (await client.data(reject, {"id": proposal["id"]}, admin=True))["rejectMilestoneProposal"]["proposal"]
    assert decided == {"status": "REJECTED", "decisionNote": "Jeux incomplets"}
    assert (await client.data(PROPOSALS, {"id": targets["milestone"]}))["node"]["status"] != "COMPLETED"


async def test_a_completion_rule_needs_a_milestone_target(client: Client, db: Database) -> None:
    await ait_melloul(db)
    targets = await _open_milestone(client)
    body = await client.execute(
        CREATE,
        {
            "input": {
                "kind": "JSON_API",
                "url": "http://127.0.0.1:9/stats",
                "schedule": "P1D",
                "targetId": targets["indicator"],
                "options": {"valuePath": "/datasets", "completeWhen": {"atLeast": 10}},
            }
        },
        admin=True,
    )
    assert error_codes(body) == [("BAD_USER_INPUT", "options.completeWhen")]
