"""Every change leaves an audit entry, in the same transaction, that nobody can alter."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tests.support.tokens import token_for
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import AuditEntry, Milestone, Role

HISTORY = """
query($id: ID!) {
  node(id: $id) {
    ... on Milestone {
      history(first: 10) {
        totalCount
        edges { node { action actorRole actorName changes { field before after } } }
      }
    }
  }
}
"""


async def _first_milestone_id(db: Database) -> str:
    async with db.reader() as session:
        milestone = (await session.exec(select(Milestone))).first()
    assert milestone is not None
    return encode_id("Milestone", milestone.id)


async def _editor_completes_a_milestone(client: Client, db: Database) -> str:
    await small_plan(db, slug="tiznit")
    editor = await token_for(db, Role.EDITOR, collectivity="tiznit")
    milestone_id = await _first_milestone_id(db)
    await client.data(
        operation("UpdateMilestone"),
        {"input": {"id": milestone_id, "status": "COMPLETED", "completedOn": "2024-06-20"}},
        headers=client.bearer(editor),
    )
    return milestone_id


async def test_an_editor_changing_a_milestone_leaves_before_and_after_values(client: Client, db: Database) -> None:
    milestone_id = await _editor_completes_a_milestone(client, db)
    data = await client.data(HISTORY, {"id": milestone_id}, admin=True)
    latest = data["node"]["history"]["edges"][0]["node"]
    assert latest["action"] == "milestone.updated"
    assert latest["actorRole"] == "EDITOR"
    assert latest["actorName"] == "test editor"
    changes = {change["field"]: (change["before"], change["after"]) for change in latest["changes"]}
    assert changes["status"] == ("NOT_STARTED", "COMPLETED")
    assert changes["completedOn"] == (None, "2024-06-20")


async def test_public_history_shows_the_role_but_not_who(client: Client, db: Database) -> None:
    milestone_id = await _editor_completes_a_milestone(client, db)
    data = await client.data(HISTORY, {"id": milestone_id})
    entries = [edge["node"] for edge in data["node"]["history"]["edges"]]
    assert [entry["action"] for entry in entries] == ["milestone.updated", "milestone.created"]
    assert all(entry["actorName"] is None for entry in entries)
    assert entries[0]["actorRole"] == "EDITOR"


async def test_the_audit_trail_cannot_be_rewritten_or_erased(db: Database) -> None:
    await small_plan(db)
    with pytest.raises(DBAPIError):
        async with db.transaction() as session:
            await session.exec(update(AuditEntry).values(actor_name="someone else"))
    with pytest.raises(DBAPIError):
        async with db.transaction() as session:
            await session.exec(delete(AuditEntry))


async def test_a_failed_mutation_leaves_no_audit_entry(client: Client, db: Database) -> None:
    await small_plan(db)
    milestone_id = await _first_milestone_id(db)
    async with db.reader() as session:
        before = len((await session.exec(select(AuditEntry))).all())
    body = await client.execute(
        operation("UpdateMilestone"), {"input": {"id": milestone_id, "dueOn": "2030-01-01"}}, admin=True
    )
    assert error_codes(body) == [("BAD_USER_INPUT", "dueOn")]
    async with db.reader() as session:
        assert len((await session.exec(select(AuditEntry))).all()) == before


async def test_admins_filter_the_whole_trail_by_collectivity_and_action(client: Client, db: Database) -> None:
    await _editor_completes_a_milestone(client, db)
    await small_plan(db, slug="agadir")
    query = """
    { auditEntries(filter: { collectivitySlug: "tiznit", action: ["milestone.updated"] }) {
        totalCount edges { node { action subjectType } } } }
    """
    data = await client.data(query, admin=True)
    assert data["auditEntries"]["totalCount"] == 1
    assert data["auditEntries"]["edges"][0]["node"] == {"action": "milestone.updated", "subjectType": "Milestone"}


async def test_only_admins_read_the_whole_trail(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit")
    editor = await token_for(db, Role.EDITOR, collectivity="tiznit")
    body = await client.execute("{ auditEntries { totalCount } }", headers=client.bearer(editor))
    assert error_codes(body) == [("FORBIDDEN", None)]
    anonymous = await client.execute("{ auditEntries { totalCount } }")
    assert error_codes(anonymous) == [("UNAUTHENTICATED", None)]
