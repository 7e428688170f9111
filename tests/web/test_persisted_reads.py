"""Persisted operations over HTTP: by id, cached for anonymous readers, never stale after a commit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client, operation
from tests.support.sql import count_statements
from tracker.api.core.persisted import sha256_of
from tracker.db import Database
from tracker.settings import Settings


def _document_id(name: str) -> str:
    return "sha256:" + sha256_of(operation(name))


async def _get(client: Client, name: str, variables: dict[str, Any], **headers: str) -> httpx.Response:
    params = {"documentId": _document_id(name), "variables": json.dumps(variables)}
    return await client.http.get("/graphql", params=params, headers=headers)


async def _first_milestone(client: Client) -> tuple[str, str]:
    data = await client.data(operation("PlanDashboard"), {"slug": "ait-melloul"}, admin=True)
    milestone = data["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"]["milestones"]["edges"][0]
    return milestone["node"]["id"], milestone["node"]["status"]


async def _set_status(client: Client, milestone_id: str, status: str) -> None:
    await client.data(operation("UpdateMilestone"), {"input": {"id": milestone_id, "status": status}}, admin=True)


def _status_of(body: dict[str, Any], milestone_id: str) -> str:
    for commitment in body["data"]["collectivity"]["currentPlan"]["commitments"]["edges"]:
        for milestone in commitment["node"]["milestones"]["edges"]:
            if milestone["node"]["id"] == milestone_id:
                return str(milestone["node"]["status"])
    raise AssertionError("milestone not in the dashboard")


async def test_a_document_id_gets_the_same_answer_as_the_text(client: Client, db: Database) -> None:
    await ait_melloul(db)
    by_id = await _get(client, "PlanDashboard", {"slug": "ait-melloul", "lang": "fr"})
    by_text = await client.post(operation("PlanDashboard"), {"slug": "ait-melloul", "lang": "fr"})
    assert by_id.status_code == 200
    assert by_id.json() == by_text.json()
    assert by_id.json()["data"]["collectivity"]["name"] == "Aït Melloul"


async def test_an_apollo_persisted_query_hash_is_understood(client: Client, db: Database) -> None:
    await ait_melloul(db)
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(operation("NetworkSummary"))}}
    response = await client.http.post("/graphql", json={"extensions": extensions})
    assert response.json()["data"]["network"]["planCount"] == 1


async def test_an_unknown_apollo_hash_asks_for_the_text(client: Client) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = await client.http.post("/graphql", json={"extensions": extensions})
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_unknown_document_id_is_a_bad_request_naming_the_field(client: Client) -> None:
    response = await client.http.get("/graphql", params={"documentId": "sha256:" + "0" * 64})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "documentId"}


async def test_a_persisted_mutation_sent_with_get_is_refused(client: Client) -> None:
    response = await _get(client, "UpdateMilestone", {"input": {"id": "x", "status": "COMPLETED"}})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_persisted_mutation_by_id_runs_with_post(client: Client, db: Database) -> None:
    await ait_melloul(db)
    milestone_id, _ = await _first_milestone(client)
    body = {"documentId": _document_id("UpdateMilestone"), "variables": {"input": {"id": milestone_id}}}
    response = await client.http.post("/graphql", json=body, headers=client.bearer(client.admin_token))
    assert response.json()["data"]["updateMilestone"]["milestone"]["id"] == milestone_id


async def test_an_anonymous_read_is_answered_again_from_memory_with_304(client: Client, db: Database) -> None:
    await ait_melloul(db)
    first = await _get(client, "PlanDashboard", {"slug": "ait-melloul"})
    etag = first.headers["etag"]
    assert "Accept-Language" in first.headers["vary"]
    with count_statements(db) as counter:
        again = await _get(client, "PlanDashboard", {"slug": "ait-melloul"}, **{"If-None-Match": etag})
        full = await _get(client, "PlanDashboard", {"slug": "ait-melloul"})
    assert again.status_code == 304
    assert again.content == b""
    assert full.content == first.content
    assert counter.count == 0


async def test_no_stale_read_after_a_mutation_commits(client: Client, db: Database) -> None:
    await ait_melloul(db)
    milestone_id, status = await _first_milestone(client)
    before = await _get(client, "PlanDashboard", {"slug": "ait-melloul"})
    assert _status_of(before.json(), milestone_id) == status
    changed = "CANCELLED" if status != "CANCELLED" else "IN_PROGRESS"
    await _set_status(client, milestone_id, changed)
    after = await _get(client, "PlanDashboard", {"slug": "ait-melloul"}, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert _status_of(after.json(), milestone_id) == changed
    assert after.headers["etag"] != before.headers["etag"]


async def test_a_change_anywhere_renews_every_cached_answer(client: Client, db: Database) -> None:
    await ait_melloul(db)
    dashboard = await _get(client, "PlanDashboard", {"slug": "ait-melloul"})
    summary = await _get(client, "NetworkSummary", {})
    await small_plan(db, slug="tiznit", commitments_count=1)
    with count_statements(db) as counter:
        renewed = await _get(
            client, "PlanDashboard", {"slug": "ait-melloul"}, **{"If-None-Match": dashboard.headers["etag"]}
        )
    assert counter.count > 0  # read again; the same bytes, so the client's copy stands
    assert renewed.status_code == 304
    renewed = await _get(client, "NetworkSummary", {}, **{"If-None-Match": summary.headers["etag"]})
    assert renewed.status_code == 200
    assert renewed.json()["data"]["network"]["planCount"] == 2


async def test_authenticated_reads_are_neither_cached_nor_served_from_the_cache(client: Client, db: Database) -> None:
    await ait_melloul(db)
    await _get(client, "NetworkSummary", {})
    with count_statements(db) as counter:
        response = await _get(client, "NetworkSummary", {}, **client.bearer(client.admin_token))
    assert response.status_code == 200
    assert "etag" not in response.headers
    assert counter.count > 0


async def test_answers_in_other_languages_are_kept_apart(client: Client, db: Database) -> None:
    await ait_melloul(db)
    arabic = await _get(client, "PlanDashboard", {"slug": "ait-melloul"}, **{"Accept-Language": "ar"})
    french = await _get(client, "PlanDashboard", {"slug": "ait-melloul"}, **{"Accept-Language": "fr"})
    assert arabic.json()["data"]["collectivity"]["name"] == "أيت ملول"
    assert french.json()["data"]["collectivity"]["name"] == "Aït Melloul"


async def test_errors_are_not_cached(client: Client, db: Database) -> None:
    await ait_melloul(db)
    await _get(client, "PlanDashboard", {"slug": "ait-melloul", "lang": "not a tag!"})
    with count_statements(db) as counter:
        response = await _get(client, "PlanDashboard", {"slug": "ait-melloul", "lang": "not a tag!"})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "etag" not in response.headers
    assert counter.count > 0


@pytest.fixture
async def replica(settings: Settings) -> AsyncIterator[Client]:
    """A second replica: its own application and engine on the same PostgreSQL database."""
    other = Client(settings, Database(settings.database_url))
    await other.start()
    try:
        yield other
    finally:
        await other.close()
        await other.app.state.db.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_commit_on_another_replica_renews_the_cached_answer(
    client: Client, replica: Client, db: Database
) -> None:
    await ait_melloul(db)
    milestone_id, status = await _first_milestone(client)
    await _get(client, "PlanDashboard", {"slug": "ait-melloul"})
    changed = "CANCELLED" if status != "CANCELLED" else "IN_PROGRESS"
    replica.admin_token = client.admin_token
    await _set_status(replica, milestone_id, changed)
    for _ in range(100):  # the NOTIFY arrives when the replica's transaction commits
        response = await _get(client, "PlanDashboard", {"slug": "ait-melloul"})
        if _status_of(response.json(), milestone_id) == changed:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the other replica's change never reached this replica's cache")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_replica_acts_once_on_its_own_changes_and_hears_the_others(
    client: Client, replica: Client, db: Database
) -> None:
    heard: list[frozenset[Any]] = []
    db.change_listeners.append(heard.append)
    mine, _ = await small_plan(db, slug="tiznit")  # announced at commit; its NOTIFY comes back too
    theirs, _ = await small_plan(replica.app.state.db, slug="agadir")  # heard only through NOTIFY
    for _ in range(100):  # notifications arrive in commit order: the echo of ours, if any, first
        if any(theirs.collectivity_id in changed for changed in heard):
            break
        await asyncio.sleep(0.05)
    assert [changed for changed in heard if mine.collectivity_id in changed] == [{mine.collectivity_id}]
    assert any(theirs.collectivity_id in changed for changed in heard)
