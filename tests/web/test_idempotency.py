"""Idempotency-Key: a retried mutation gets its first answer back and changes nothing twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from tests.support.builders import small_plan
from tests.support.graphql import Client, error_codes, operation
from tests.support.tokens import token_for
from tracker.access import ANONYMOUS, SYSTEM
from tracker.api.core.context import Context
from tracker.api.core.persisted import sha256_of
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import Commitment, EvidenceSource, IdempotencyKey, Milestone, Role
from tracker.services import idempotency as keys
from tracker.services import indicators
from tracker.web.idempotency import Idempotency

CREATE_COMMITMENT = """
mutation($input: CreateCommitmentInput!) {
  createCommitment(input: $input) { commitment { id reference progress } }
}
"""
PLANS = "query { collectivities(first: 5) { totalCount } }"


async def _commitment_input(db: Database, reference: str = "I-1") -> dict[str, Any]:
    plan, _ = await small_plan(db)
    return {"input": {"planId": encode_id("ActionPlan", plan.id), "reference": reference, "title": {"fr": "Registre"}}}


async def _send(
    client: Client, variables: dict[str, Any], key: str, *, token: str | None = None, query: str = CREATE_COMMITMENT
) -> httpx.Response:
    headers = {"Idempotency-Key": key, **Client.bearer(token or client.admin_token)}
    return await client.post(query, variables, headers=headers)


async def _count(db: Database, model: type[Any], *where: Any) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(model).where(*where))).one())


def _stack_layer(client: Client, kind: type[Any]) -> Any:
    """The application's middleware instance of that kind (the stack is built by the first request)."""
    layer: Any = client.app.middleware_stack
    while layer is not None and not isinstance(layer, kind):
        layer = getattr(layer, "app", None)
    assert layer is not None, f"no {kind.__name__} in the middleware stack"
    return layer


async def test_a_retry_gets_the_first_answer_and_changes_nothing(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    first = await _send(client, variables, key)
    again = await _send(client, variables, key)
    assert first.status_code == 200 and "errors" not in first.json(), first.text
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(db, Commitment, col(Commitment.reference) == "I-1") == 1


async def test_the_same_key_with_another_body_is_a_conflict_that_changes_nothing(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    assert (await _send(client, variables, key)).status_code == 200
    other = {"input": {**variables["input"], "reference": "I-2"}}
    response = await _send(client, other, key)
    assert response.status_code == 422
    assert error_codes(response.json()) == [("CONFLICT", None)]
    assert await _count(db, Commitment, col(Commitment.reference) == "I-2") == 0


async def test_the_same_body_spaced_otherwise_is_the_same_request(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    headers = {"Idempotency-Key": key, "Content-Type": "application/json", **Client.bearer(client.admin_token)}
    body = {"query": CREATE_COMMITMENT, "variables": variables}
    first = await client.http.post("/graphql", content=json.dumps(body), headers=headers)
    again = await client.http.post("/graphql", content=json.dumps(body, indent=2, sort_keys=True), headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"


async def test_concurrent_requests_with_one_key_apply_once(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    responses = await asyncio.gather(*(_send(client, variables, key) for _ in range(4)))
    created = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 409]
    assert len(created) + len(refused) == 4, [r.text for r in responses]
    assert all(error_codes(r.json()) == [("CONFLICT", None)] for r in refused)
    assert len({r.content for r in created}) == 1  # replays carry the first answer
    assert await _count(db, Commitment, col(Commitment.reference) == "I-1") == 1


async def test_two_replicas_given_one_key_at_once_apply_it_once(client: Client, db: Database) -> None:
    """Two applications on one database: no process-local guard is shared, the database decides."""
    other = Client(client.app.state.settings, db)
    await other.start()
    try:
        variables = await _commitment_input(db)
        key = str(uuid.uuid4())
        responses = await asyncio.gather(
            *(_send(app, variables, key, token=client.admin_token) for app in (client, other, client, other))
        )
    finally:
        await other.close()
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    assert await _count(db, Commitment, col(Commitment.reference) == "I-1") == 1


async def test_a_key_held_by_a_running_request_is_refused_with_409(client: Client, db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("on SQLite the single writer serializes requests; the PostgreSQL lock is what is tested")
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    owner = f"token:{client.admin_token.split('_')[1]}"
    async with db.transaction() as session:
        assert await keys.lock(session, scope=owner, key=key)  # as another replica's running request would
        response = await _send(client, variables, key)
    assert response.status_code == 409
    assert error_codes(response.json()) == [("CONFLICT", None)]
    assert await _count(db, Commitment, col(Commitment.reference) == "I-1") == 0


async def test_keys_belong_to_their_token(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    other_admin = await token_for(db, Role.ADMIN)
    first = await _send(client, variables, key)
    second = await _send(client, {"input": {**variables["input"], "reference": "I-2"}}, key, token=other_admin)
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert await _count(db, Commitment, col(Commitment.reference).in_(["I-1", "I-2"])) == 2


async def test_an_anonymous_client_cannot_replay_a_token_holders_answer(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    assert (await _send(client, variables, key)).status_code == 200
    anonymous = await client.post(CREATE_COMMITMENT, variables, headers={"Idempotency-Key": key})
    assert "idempotent-replayed" not in anonymous.headers
    assert error_codes(anonymous.json()) == [("UNAUTHENTICATED", None)]


async def test_an_expired_key_applies_again(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    assert (await _send(client, variables, key)).status_code == 200
    now = datetime.now(UTC) + timedelta(hours=24, minutes=1)
    _stack_layer(client, Idempotency).clock = lambda: now
    again = await _send(client, {"input": {**variables["input"], "reference": "I-2"}}, key)
    assert again.status_code == 200 and "errors" not in again.json(), again.text
    assert "idempotent-replayed" not in again.headers
    assert await _count(db, Commitment, col(Commitment.reference).in_(["I-1", "I-2"])) == 2


async def test_expired_keys_are_pruned(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    assert (await _send(client, variables, str(uuid.uuid4()))).status_code == 200
    layer = _stack_layer(client, Idempotency)
    later = datetime.now(UTC) + timedelta(days=2)
    layer.clock = lambda: later
    second = {"input": {**variables["input"], "reference": "I-2"}}
    assert (await _send(client, second, str(uuid.uuid4()))).status_code == 200
    # The first key expired and was deleted; the second is kept until its own expiry.
    assert await _count(db, IdempotencyKey) == 1


async def test_a_malformed_key_is_bad_input(client: Client, db: Database) -> None:
    variables = await _commitment_input(db)
    response = await _send(client, variables, "x" * 256)
    assert response.status_code == 400
    assert error_codes(response.json()) == [("BAD_USER_INPUT", "Idempotency-Key")]
    assert await _count(db, Commitment, col(Commitment.reference) == "I-1") == 0


async def test_a_quoted_key_is_the_same_key(client: Client, db: Database) -> None:
    """The draft writes the key as a Structured Field string, in quotes."""
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    assert (await _send(client, variables, f'"{key}"')).status_code == 200
    again = await _send(client, variables, key)
    assert again.headers.get("idempotent-replayed") == "true"


async def test_queries_ignore_the_key(client: Client, db: Database) -> None:
    first = await _send(client, {}, "x" * 300, query=PLANS)
    assert first.status_code == 200 and "errors" not in first.json(), first.text
    assert await _count(db, IdempotencyKey) == 0


async def test_a_refused_mutation_keeps_nothing_under_its_key(client: Client, db: Database) -> None:
    """Never executed (a validation error): the key stays free for the corrected request."""
    variables = await _commitment_input(db)
    key = str(uuid.uuid4())
    broken = await _send(client, {"input": {"reference": "I-1"}}, key)
    assert broken.status_code == 200
    assert error_codes(broken.json())[0][0] == "BAD_USER_INPUT"
    fixed = await _send(client, variables, key)
    assert fixed.status_code == 200 and "errors" not in fixed.json(), fixed.text


async def test_a_failing_mutation_changes_nothing_and_replays_its_error(client: Client, db: Database) -> None:
    variables = await _commitment_input(db, reference="T-1")  # the plan's first commitment already has it
    key = str(uuid.uuid4())
    first = await _send(client, variables, key)
    assert error_codes(first.json()) == [("CONFLICT", "reference")]
    again = await _send(client, variables, key)
    assert again.content == first.content
    assert await _count(db, Commitment, col(Commitment.reference) == "T-1") == 1


async def test_the_answer_is_read_inside_the_transaction(client: Client, db: Database) -> None:
    """The payload's nested fields (a commitment's progress) are read before the commit."""
    _plan, commitments = await small_plan(db)
    variables = {
        "input": {
            "commitmentId": encode_id("Commitment", commitments[0].id),
            "title": {"fr": "Nouvelle étape"},
            "dueOn": "2025-06-30",
        }
    }
    response = await _send(client, variables, str(uuid.uuid4()), query=operation("CreateMilestone"))
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["createMilestone"]["milestone"]["commitment"]["progress"] == 0.0
    assert await _count(db, Milestone, col(Milestone.commitment_id) == commitments[0].id) == 2


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


async def test_run_source_now_with_a_key_leaves_the_run_to_the_next_tick(client: Client, db: Database) -> None:
    """Polling inline would wait on the request's own uncommitted transaction: the source is made due instead."""
    _plan, commitments = await small_plan(db)
    created = await client.data(
        "mutation($input: CreateEvidenceSourceInput!) { createEvidenceSource(input: $input) { source { id } } }",
        {
            "input": {
                "kind": "DOCUMENT",
                "url": "http://127.0.0.1:9/report",
                "schedule": "PT6H",
                "targetId": encode_id("Commitment", commitments[0].id),
            }
        },
        admin=True,
    )
    source_id = created["createEvidenceSource"]["source"]["id"]
    run_now = "mutation($id: ID!) { runSourceNow(input: {id: $id}) { source { id } run { outcome } } }"
    response = await _send(client, {"id": source_id}, str(uuid.uuid4()), query=run_now)
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["runSourceNow"]["run"] is None
    async with db.reader() as session:
        source = (await session.exec(select(EvidenceSource))).one()
    assert source.next_run_at is not None and source.next_run_at <= datetime.now(UTC)


async def test_an_answer_read_inside_the_transaction_shows_the_change(client: Client, db: Database) -> None:
    """Derived values in the payload (a commitment's progress) are those after the change, as without a key."""
    _plan, commitments = await small_plan(db)
    query = "query($id: ID!) { node(id: $id) { ... on Commitment { milestones(first: 1) { edges { node { id } } } } } }"
    commitment_id = encode_id("Commitment", commitments[0].id)
    found = await client.data(query, {"id": commitment_id}, admin=True)
    milestone_id = found["node"]["milestones"]["edges"][0]["node"]["id"]
    variables = {"input": {"id": milestone_id, "status": "COMPLETED"}}
    response = await _send(client, variables, str(uuid.uuid4()), query=operation("UpdateMilestone"))
    answered = response.json()["data"]["updateMilestone"]["milestone"]
    assert answered["status"] == "COMPLETED"
    assert answered["commitment"]["progress"] == 100.0
    fresh = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Commitment { progress } } }", {"id": commitment_id}
    )
    assert fresh["node"]["progress"] == answered["commitment"]["progress"]


async def test_a_measurement_answered_inside_the_transaction_is_the_latest(client: Client, db: Database) -> None:
    _plan, commitments = await small_plan(db)
    async with db.transaction() as session:
        indicator = await indicators.create_indicator(
            session,
            actor=SYSTEM,
            commitment_id=commitments[0].id,
            name={"fr": "Demandes traitées"},
            unit="%",
            baseline=0,
            target=100,
        )
    variables = {
        "input": {
            "indicatorId": encode_id("Indicator", indicator.id),
            "value": 40,
            "observedAt": "2025-01-15T10:00:00Z",
        }
    }
    response = await _send(client, variables, str(uuid.uuid4()), query=operation("RecordMeasurement"))
    answered = response.json()["data"]["recordMeasurement"]["indicator"]
    assert answered["latest"]["value"] == 40
    assert answered["progress"] == 40.0


async def test_a_persisted_mutation_sent_by_document_id_is_replayed(client: Client, db: Database) -> None:
    _plan, commitments = await small_plan(db)
    variables = {
        "input": {
            "commitmentId": encode_id("Commitment", commitments[0].id),
            "title": {"fr": "Étape persistée"},
            "dueOn": "2025-06-30",
        }
    }
    payload = {"documentId": "sha256:" + sha256_of(operation("CreateMilestone")), "variables": variables}
    headers = {"Idempotency-Key": str(uuid.uuid4()), **Client.bearer(client.admin_token)}
    first = await client.http.post("/graphql", json=payload, headers=headers)
    again = await client.http.post("/graphql", json=payload, headers=headers)
    assert "errors" not in first.json(), first.text
    assert again.content == first.content
    assert again.headers.get("idempotent-replayed") == "true"
    assert await _count(db, Milestone, col(Milestone.commitment_id) == commitments[0].id) == 2
