"""Consultative bodies: listed on their collectivity, registered by its staff."""

from __future__ import annotations

from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client, error_codes
from tests.support.tokens import token_for
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import Role

CREATE = """
mutation($input: CreateConsultativeBodyInput!) {
  createConsultativeBody(input: $input) { body { slug kind name(lang: "fr") members { role name } } }
}
"""


async def test_ait_melloul_lists_its_equality_and_gender_body(client: Client, db: Database) -> None:
    await ait_melloul(db)
    query = (
        '{ collectivity(slug: "ait-melloul") { consultativeBodies { slug name(lang: "ar") kind members { role } } } }'
    )
    bodies = (await client.data(query))["collectivity"]["consultativeBodies"]
    equality = next(body for body in bodies if body["kind"] == "EQUALITY_AND_GENDER")
    assert equality["name"] == "هيئة المساواة وتكافؤ الفرص ومقاربة النوع"
    assert equality["members"] == [{"role": "rapporteur"}]


async def _create_variables(db: Database, slug: str = "tiznit") -> dict[str, object]:
    plan, _ = await small_plan(db, slug=slug)
    return {
        "input": {
            "collectivityId": encode_id("Collectivity", plan.collectivity_id),
            "slug": f"{slug}-citizens",
            "kind": "CITIZEN_COUNCIL",
            "name": {"fr": "Conseil des citoyens", "ar": "مجلس المواطنين"},
            "members": [{"role": "président", "name": "Nom publié"}],
        }
    }


async def test_an_editor_registers_a_body_of_its_collectivity(client: Client, db: Database) -> None:
    variables = await _create_variables(db)
    editor = await token_for(db, Role.EDITOR, collectivity="tiznit")
    body = (await client.data(CREATE, variables, headers=client.bearer(editor)))["createConsultativeBody"]["body"]
    assert body == {
        "slug": "tiznit-citizens",
        "kind": "CITIZEN_COUNCIL",
        "name": "Conseil des citoyens",
        "members": [{"role": "président", "name": "Nom publié"}],
    }


async def test_an_editor_of_another_collectivity_is_forbidden(client: Client, db: Database) -> None:
    variables = await _create_variables(db)
    await small_plan(db, slug="agadir")
    editor = await token_for(db, Role.EDITOR, collectivity="agadir")
    body = await client.execute(CREATE, variables, headers=client.bearer(editor))
    assert error_codes(body) == [("FORBIDDEN", None)]


async def test_a_body_slug_is_unique(client: Client, db: Database) -> None:
    variables = await _create_variables(db)
    await client.data(CREATE, variables, admin=True)
    body = await client.execute(CREATE, variables, admin=True)
    assert error_codes(body) == [("CONFLICT", "slug")]
