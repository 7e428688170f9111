"""Assessments: drafted privately by a body, public once published."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from tests.support.accountability import Place, place_with_body
from tests.support.builders import ait_melloul
from tests.support.graphql import Client, error_codes, operation
from tests.support.tokens import token_for
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.models import BodyKind, Collectivity, OutboxEvent, Role
from tracker.services.bodies import create_body

CREATE = "mutation($input: CreateAssessmentInput!) { createAssessment(input: $input) { assessment { id status } } }"
UPDATE = "mutation($input: UpdateAssessmentInput!) { updateAssessment(input: $input) { assessment { rationale } } }"
PUBLISH = """
mutation($input: PublishAssessmentInput!) { publishAssessment(input: $input) { assessment { status publishedAt } } }
"""
LIST = """
query($id: ID!) {
  node(id: $id) { ... on Commitment { assessments { totalCount edges { node { status completion body { slug } } } } } }
}
"""


def _draft(place: Place) -> dict[str, Any]:
    return {
        "input": {
            "commitmentId": place.commitment_id,
            "completion": "SUBSTANTIAL",
            "potentialImpact": "MODERATE",
            "openedGovernment": "MARGINAL",
            "rationale": "Les données budgétaires sont publiées, mais sans format ouvert.",
        }
    }


async def _drafted(client: Client, place: Place) -> str:
    data = await client.data(CREATE, _draft(place), headers=client.bearer(place.monitor))
    assert data["createAssessment"]["assessment"]["status"] == "DRAFT"
    return str(data["createAssessment"]["assessment"]["id"])


async def _visible_count(client: Client, place: Place, headers: dict[str, str] | None = None) -> int:
    data = await client.data(LIST, {"id": place.commitment_id}, headers=headers)
    return int(data["node"]["assessments"]["totalCount"])


async def test_a_draft_is_seen_by_its_body_only(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await _drafted(client, place)
    assert await _visible_count(client, place, client.bearer(place.monitor)) == 1
    assert await _visible_count(client, place, client.bearer(place.editor)) == 0
    assert await _visible_count(client, place) == 0


async def test_a_published_assessment_is_public_and_announced(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    assessment_id = await _drafted(client, place)
    published = await client.data(PUBLISH, {"input": {"id": assessment_id}}, headers=client.bearer(place.monitor))
    assert published["publishAssessment"]["assessment"]["status"] == "PUBLISHED"
    data = await client.data(LIST, {"id": place.commitment_id})
    assert data["node"]["assessments"]["edges"][0]["node"] == {
        "status": "PUBLISHED",
        "completion": "SUBSTANTIAL",
        "body": {"slug": "tiznit-equality"},
    }
    async with db.reader() as session:
        assert (await session.exec(select(OutboxEvent).where(OutboxEvent.type == "assessment.published"))).one()


async def test_a_published_assessment_cannot_be_changed(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    assessment_id = await _drafted(client, place)
    await client.data(PUBLISH, {"input": {"id": assessment_id}}, headers=client.bearer(place.monitor))
    body = await client.execute(
        UPDATE, {"input": {"id": assessment_id, "rationale": "autre"}}, headers=client.bearer(place.monitor)
    )
    assert error_codes(body) == [("CONFLICT", "id")]


async def test_another_body_cannot_touch_a_draft(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    assessment_id = await _drafted(client, place)
    async with db.transaction() as session:
        tiznit = (await session.exec(select(Collectivity).where(Collectivity.slug == "tiznit"))).one()
        await create_body(
            session,
            actor=SYSTEM,
            collectivity_id=tiznit.id,
            slug="tiznit-youth",
            kind=BodyKind.YOUTH_COUNCIL,
            name={"fr": "Conseil des jeunes"},
        )
    youth = await token_for(db, Role.MONITOR, body="tiznit-youth")
    body = await client.execute(PUBLISH, {"input": {"id": assessment_id}}, headers=client.bearer(youth))
    assert error_codes(body) == [("NOT_FOUND", "id")]


async def test_editors_cannot_write_assessments(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    body = await client.execute(CREATE, _draft(place), headers=client.bearer(place.editor))
    assert error_codes(body) == [("FORBIDDEN", None)]


async def test_unknown_completion_level_names_its_field(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    variables = _draft(place)
    variables["input"]["completion"] = "HALF"
    body = await client.execute(CREATE, variables, headers=client.bearer(place.monitor))
    assert error_codes(body) == [("BAD_USER_INPUT", "completion")]


async def test_the_demo_shows_a_published_assessment_and_a_discussion(client: Client, db: Database) -> None:
    await ait_melloul(db)
    dashboard = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul"})
    first = dashboard["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"]["id"]
    query = """
    query($id: ID!) { node(id: $id) { ... on Commitment {
      assessments { edges { node { status body { slug } } } }
      comments { edges { node { authorRole replies { totalCount } } } }
    } } }
    """
    node = (await client.data(query, {"id": first}))["node"]
    published = {"status": "PUBLISHED", "body": {"slug": "ait-melloul-equality-gender"}}
    assert node["assessments"]["edges"][0]["node"] == published
    assert node["comments"]["edges"][0]["node"] == {"authorRole": "MONITOR", "replies": {"totalCount": 1}}


async def test_drafting_is_audited_but_only_the_body_sees_it(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    assessment_id = await _drafted(client, place)
    await client.data(
        UPDATE, {"input": {"id": assessment_id, "rationale": "Revu."}}, headers=client.bearer(place.monitor)
    )
    await client.data(PUBLISH, {"input": {"id": assessment_id}}, headers=client.bearer(place.monitor))
    query = "query($id: ID!) { node(id: $id) { ... on Assessment { history { edges { node { action } } } } } }"
    own = await client.data(query, {"id": assessment_id}, headers=client.bearer(place.monitor))
    public = await client.data(query, {"id": assessment_id})
    assert [edge["node"]["action"] for edge in own["node"]["history"]["edges"]] == [
        "assessment.published",
        "assessment.updated",
        "assessment.drafted",
    ]
    assert [edge["node"]["action"] for edge in public["node"]["history"]["edges"]] == ["assessment.published"]
