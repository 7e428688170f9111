"""Idempotency-Key: a retried mutation gets its first answer back and changes nothing twice."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from tests.support.builders import small_plan
from tests.support.graphql import Client
from tracker.access import ANONYMOUS
from tracker.api.context import Context
from tracker.api.relay import encode_id
from tracker.db import Database
from tracker.models import Commitment

CREATE_COMMITMENT = """
mutation($input: CreateCommitmentInput!) {
  createCommitment(input: $input) { commitment { id reference progress } }
}
"""


async def _commitment_input(db: Database, reference: str = "I-1") -> dict[str, Any]:
    plan, _ = await small_plan(db)
    return {"input": {"planId": encode_id("ActionPlan", plan.id), "reference": reference, "title": {"fr": "Registre"}}}


async def _count(db: Database, model: type[Any], *where: Any) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(model).where(*where))).one())


async def test_a_failing_change_listener_does_not_fail_a_committed_mutation(client: Client, db: Database) -> None:
    def broken(_changed: frozenset[uuid.UUID | None]) -> None:
        raise RuntimeError("listener down")

    variables = await _commitment_input(db)
    db.change_listeners.append(broken)
    body = await client.execute(CREATE_COMMITMENT, variables, admin=True)
    assert "errors" not in body, body
    assert await _count(db, Commitment, col(Commitment.reference) == "I-1") == 1


async def test_a_read_session_whose_connection_died_closes_quietly(client: Client, db: Database) -> None:
    """A database restart kills the request's read connection: ending that session after a
    committed mutation must not report the mutation as failed."""
    if db.dialect != "postgresql":
        pytest.skip("a backend to terminate is PostgreSQL's")
    context = Context(db=db, settings=client.app.state.settings, principal=ANONYMOUS)
    async with context.reading() as session:
        pid = (await session.exec(select(func.pg_backend_pid()))).one()
    async with db.engine.connect() as connection:
        await connection.execute(select(func.pg_terminate_backend(pid)))
    await context.close()
    async with context.reading() as session:  # the next read gets a live connection
        assert (await session.exec(select(func.count()).select_from(Commitment))).one() == 0
    await context.close()
