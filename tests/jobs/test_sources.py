"""Evidence sources end to end: configured over GraphQL, polled on loopback servers, recorded."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, update
from sqlmodel import col, select

from integrations.http import create_client
from tests.support.builders import ait_melloul, small_plan
from tests.support.cleanup import truncate_all
from tests.support.graphql import Client, error_codes
from tests.support.publisher import publisher
from tracker import migrate
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.jobs.sources import SourceRunner
from tracker.models import Evidence, EvidenceSource, Indicator, OutboxEvent, SourceRun
from tracker.models.base import utcnow
from tracker.services import indicators
from tracker.services import sources as source_service
from tracker.services.sources import backoff, parse_schedule

CREATE = """
mutation($input: CreateEvidenceSourceInput!) { createEvidenceSource(input: $input) { source { id state nextRunAt } } }
"""
RUN = """
mutation($id: ID!) {
  runSourceNow(input: {id: $id}) {
    source { state consecutiveFailures lastError }
    run { outcome itemsFound itemsNew measurements httpStatus error }
  }
}
"""


async def _targets(client: Client, db: Database) -> dict[str, str]:
    await ait_melloul(db)
    query = """
    { collectivity(slug: "ait-melloul") { currentPlan { commitments(first: 1) { edges { node {
        id indicators(first: 1) { edges { node { id } } } } } } } } }
    """
    node = (await client.data(query))["collectivity"]["currentPlan"]["commitments"]["edges"][0]["node"]
    return {"commitment": node["id"], "indicator": node["indicators"]["edges"][0]["node"]["id"]}


async def _create(client: Client, **source: Any) -> dict[str, Any]:
    body = await client.execute(CREATE, {"input": {"schedule": "PT6H", **source}}, admin=True)
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["createEvidenceSource"]["source"]
    return created


async def test_a_document_becomes_evidence_once(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    with publisher(report=(200, "text/html", "<html><body><h1>Rapport annuel 2025</h1></body></html>")) as site:
        source = await _create(client, kind="DOCUMENT", url=f"{site.url}/report", targetId=targets["commitment"])
        first = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]
        second = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]
    assert first["run"]["outcome"] == "SUCCESS"
    assert first["run"]["itemsNew"] == 1
    assert second["run"]["itemsNew"] == 0


async def test_a_json_api_value_becomes_a_measurement(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    payload = json.dumps({"data": {"answered": 42}})
    with publisher(stats=(200, "application/json", payload)) as site:
        source = await _create(
            client,
            kind="JSON_API",
            url=f"{site.url}/stats",
            targetId=targets["indicator"],
            options={"valuePath": "/data/answered"},
        )
        run = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]["run"]
    assert run["measurements"] == 1
    latest = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Indicator { latest { value origin } } } }",
        {"id": targets["indicator"]},
    )
    assert latest["node"]["latest"] == {"value": 42.0, "origin": "SOURCE"}


async def test_a_listing_read_again_unchanged_is_nothing_new_until_the_source_is_reconfigured(
    client: Client, db: Database
) -> None:
    targets = await _targets(client, db)
    listing = json.dumps({"count": 2, "items": [{"url": "/pv/1.pdf", "title": "PV 1"}, {"url": "/pv/2.pdf"}]})
    with publisher(listing=(200, "application/json", listing)) as site:
        source = await _create(
            client,
            kind="JSON_API",
            url=f"{site.url}/listing",
            targetId=targets["commitment"],
            options={"valuePath": "/count", "itemsPath": "/items"},
        )
        first = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]["run"]
        again = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]["run"]
        reconfigured = await client.execute(
            "mutation($input: UpdateEvidenceSourceInput!) { updateEvidenceSource(input: $input) { source { id } } }",
            {
                "input": {
                    "id": source["id"],
                    "options": {"valuePath": "/count", "itemsPath": "/items", "language": "ar"},
                }
            },
            admin=True,
        )
        assert "errors" not in reconfigured, reconfigured
        after = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]["run"]
    assert (first["outcome"], first["itemsFound"], first["itemsNew"]) == ("SUCCESS", 2, 2)
    assert (again["outcome"], again["itemsFound"], again["httpStatus"]) == ("NOT_MODIFIED", 0, 200)
    assert (after["outcome"], after["itemsFound"], after["itemsNew"]) == ("SUCCESS", 2, 0)


async def test_deleting_an_indicator_deletes_the_sources_feeding_it_and_no_other(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    with publisher(stats=(200, "application/json", '{"count": 3}')) as site:
        feeding = await _create(
            client,
            kind="JSON_API",
            url=f"{site.url}/stats",
            targetId=targets["indicator"],
            options={"valuePath": "/count"},
        )
        other = await _create(client, kind="DOCUMENT", url=f"{site.url}/stats", targetId=targets["commitment"])
    deleted = await client.execute(
        "mutation($id: ID!) { deleteIndicator(input: {id: $id}) { deletedId } }",
        {"id": targets["indicator"]},
        admin=True,
    )
    assert "errors" not in deleted, deleted
    query = "query($id: ID!) { node(id: $id) { id } }"
    assert (await client.data(query, {"id": feeding["id"]}, admin=True))["node"] is None
    assert (await client.data(query, {"id": other["id"]}, admin=True))["node"] == {"id": other["id"]}


async def test_three_failures_turn_a_source_failing_and_a_success_recovers_it(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    with publisher(down=(500, "text/plain", "boom")) as site:
        source = await _create(client, kind="DOCUMENT", url=f"{site.url}/down", targetId=targets["commitment"])
        for _ in range(3):
            result = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]
        assert result["source"]["state"] == "FAILING"
        assert result["run"]["httpStatus"] == 500
        site.pages["/down"] = (200, "text/html", "<p>back</p>")
        recovered = (await client.data(RUN, {"id": source["id"]}, admin=True))["runSourceNow"]
    assert recovered["source"] == {"state": "ACTIVE", "consecutiveFailures": 0, "lastError": None}
    async with db.reader() as session:
        types = (await session.exec(select(OutboxEvent.type).where(col(OutboxEvent.type).startswith("source.")))).all()
    assert sorted(types) == ["source.failed", "source.recovered"]


async def test_invalid_options_are_refused_naming_the_option(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    body = await client.execute(
        CREATE,
        {
            "input": {
                "kind": "JSON_API",
                "url": "http://127.0.0.1:9/x",
                "schedule": "PT1H",
                "targetId": targets["indicator"],
                "options": {},
            }
        },
        admin=True,
    )
    assert error_codes(body) == [("BAD_USER_INPUT", "options.valuePath")]


async def test_a_bad_schedule_is_refused(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    body = await client.execute(
        CREATE,
        {
            "input": {
                "kind": "DOCUMENT",
                "url": "http://127.0.0.1:9/x",
                "schedule": "every day",
                "targetId": targets["commitment"],
            }
        },
        admin=True,
    )
    assert error_codes(body) == [("BAD_USER_INPUT", "schedule")]


async def _runner_rounds(db: Database, rounds: int) -> None:
    async with create_client(allow_private=True) as http:
        runner = SourceRunner(db, http)
        for _ in range(rounds):
            await runner.run_due()


async def test_overdue_sources_run_once_after_a_restart_not_once_per_missed_slot(client: Client, db: Database) -> None:
    targets = await _targets(client, db)
    with publisher(a=(200, "text/html", "<p>a</p>"), b=(200, "text/html", "<p>b</p>")) as site:
        for path in ("a", "b"):
            await _create(client, kind="DOCUMENT", url=f"{site.url}/{path}", targetId=targets["commitment"])
        async with db.transaction() as session:
            # As if the process had been down for two days with a six-hour schedule.
            await session.exec(
                update(EvidenceSource)
                .where(col(EvidenceSource.url).startswith(site.url))
                .values(next_run_at=utcnow() - timedelta(days=2))
            )
        await _runner_rounds(db, 3)
    assert site.hits == Counter({"/a": 1, "/b": 1})
    async with db.reader() as session:
        sources = (await session.exec(select(EvidenceSource).where(col(EvidenceSource.url).startswith(site.url)))).all()
    assert len(sources) == 2
    assert all(source.next_run_at and source.next_run_at > utcnow() + timedelta(hours=5) for source in sources)


async def test_two_workers_on_postgresql_never_poll_a_source_twice_at_once(postgres_url: str) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        _plan, commitments = await small_plan(first, commitments_count=1)
        with publisher(**{f"p{n}": (200, "text/html", f"<p>{n}</p>") for n in range(20)}) as site:
            async with first.transaction() as session:
                for n in range(20):
                    await source_service.create_source(
                        session,
                        actor=SYSTEM,
                        kind="DOCUMENT",
                        url=f"{site.url}/p{n}",
                        schedule="PT6H",
                        target_type="Commitment",
                        target_id=commitments[0].id,
                        allow_private=True,
                    )
            await asyncio.gather(_runner_rounds(first, 2), _runner_rounds(second, 2))
        assert sum(site.hits.values()) == 20
        assert set(site.hits.values()) == {1}
        async with first.reader() as session:
            assert len((await session.exec(select(SourceRun))).all()) == 20
    finally:
        await truncate_all(first)
        await first.dispose()
        await second.dispose()


def test_backoff_doubles_from_five_minutes_and_stops_at_a_day() -> None:
    hourly = parse_schedule("PT1H")
    assert [backoff(n, hourly) for n in (1, 2, 3)] == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
    ]
    assert backoff(30, hourly) == timedelta(days=1)


def test_cron_schedules_are_understood() -> None:
    schedule = parse_schedule("0 6 * * 1")
    assert schedule.typical_gap == timedelta(days=7)


async def _json_api_source(db: Database, url: str, target_type: str, target_id: uuid.UUID, **options: Any) -> None:
    async with db.transaction() as session:
        await source_service.create_source(
            session,
            actor=SYSTEM,
            kind="JSON_API",
            url=url,
            schedule="PT6H",
            target_type=target_type,
            target_id=target_id,
            options={"valuePath": "/value", **options},
            allow_private=True,
        )


async def _commitment_with_indicator(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    _plan, commitments = await small_plan(db, commitments_count=1)
    async with db.transaction() as session:
        indicator = await indicators.create_indicator(
            session,
            actor=SYSTEM,
            commitment_id=commitments[0].id,
            name={"fr": "Taux"},
            unit="%",
            baseline=0,
            target=100,
        )
    return commitments[0].id, indicator.id


async def _delete_leaving_its_sources(db: Database, indicator_id: uuid.UUID) -> None:
    """Delete an indicator behind the services' back (which delete its sources with it), as
    versions before migration 0011 did: its sources are left without it."""
    async with db.transaction() as session:
        await session.exec(delete(Indicator).where(col(Indicator.id) == indicator_id))


async def test_a_run_that_cannot_be_recorded_holds_back_no_other_of_its_claim(db: Database) -> None:
    commitment_id, indicator_id = await _commitment_with_indicator(db)
    with publisher(stats=(200, "application/json", '{"value": 7}')) as site:
        for _ in range(3):
            await _json_api_source(db, f"{site.url}/stats", "Commitment", commitment_id)
        await _json_api_source(db, f"{site.url}/stats", "Indicator", indicator_id)
        await _delete_leaving_its_sources(db, indicator_id)  # that source's run cannot be recorded
        await _runner_rounds(db, 1)
    assert site.hits["/stats"] == 4
    async with db.reader() as session:
        runs = (await session.exec(select(SourceRun))).all()
        orphan = (await session.exec(select(EvidenceSource).where(EvidenceSource.target_type == "Indicator"))).one()
    assert [run.outcome.value for run in runs] == ["SUCCESS"] * 3
    # Not recorded, not lost: its lease runs out and it is polled again.
    assert orphan.next_run_at is not None and orphan.next_run_at > utcnow() + timedelta(minutes=5)


async def test_upgrading_deletes_the_sources_an_earlier_version_left_without_their_indicator(db: Database) -> None:
    commitment_id, indicator_id = await _commitment_with_indicator(db)
    await _json_api_source(db, "http://127.0.0.1:9/stats", "Indicator", indicator_id)
    await _json_api_source(db, "http://127.0.0.1:9/stats", "Commitment", commitment_id)
    await _delete_leaving_its_sources(db, indicator_id)
    await asyncio.to_thread(command.downgrade, migrate.alembic_config(db.url), "0010")
    await asyncio.to_thread(migrate.upgrade, db.url)
    async with db.reader() as session:
        kept = (await session.exec(select(EvidenceSource.target_type))).all()
    assert kept == ["Commitment"]


async def test_runs_recorded_together_add_a_shared_publication_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _plan, commitments = await small_plan(db, commitments_count=1)
    listing = json.dumps({"value": 1, "items": [{"url": "https://example.org/decision.pdf", "title": "Décision"}]})
    with publisher(a=(200, "application/json", listing), b=(200, "application/json", listing)) as site:
        for path in ("a", "b"):
            await _json_api_source(db, f"{site.url}/{path}", "Commitment", commitments[0].id, itemsPath="/items")
        await _runner_rounds(db, 1)
    async with db.reader() as session:
        evidence = (await session.exec(select(Evidence))).all()
        runs = (await session.exec(select(SourceRun))).all()
    assert len(evidence) == 1
    assert sorted((run.items_found, run.items_new) for run in runs) == [(1, 0), (1, 1)]
    assert not [record for record in caplog.records if "one by one" in record.getMessage()]


async def test_one_pass_polls_every_due_source_claim_after_claim(db: Database) -> None:
    _plan, commitments = await small_plan(db, commitments_count=1)
    pages = {f"p{n}": (200, "application/json", '{"value": 1}') for n in range(11)}
    with publisher(**pages) as site:
        for n in range(11):
            await _json_api_source(db, f"{site.url}/p{n}", "Commitment", commitments[0].id)
        async with create_client(allow_private=True) as http:
            polled = await SourceRunner(db, http, batch=4).run_due()
    assert polled == 11
    assert site.hits == Counter({f"/p{n}": 1 for n in range(11)})
    async with db.reader() as session:
        runs = (await session.exec(select(SourceRun))).all()
    assert sorted(run.outcome.value for run in runs) == ["SUCCESS"] * 11


async def test_a_source_paused_while_it_is_read_stays_paused_and_its_run_is_recorded(db: Database) -> None:
    _plan, commitments = await small_plan(db, commitments_count=1)
    with publisher(stats=(200, "application/json", '{"value": 3}')) as site:
        await _json_api_source(db, f"{site.url}/stats", "Commitment", commitments[0].id)
        async with create_client(allow_private=True) as http:
            runner = SourceRunner(db, http)
            [claimed] = await runner.claim()
            async with db.transaction() as session:
                await source_service.update_source(session, actor=SYSTEM, id=claimed.id, paused=True)
            await runner.record([await runner.fetch(claimed)])
    async with db.reader() as session:
        source = await session.get(EvidenceSource, claimed.id)
        runs = (await session.exec(select(SourceRun))).all()
    assert source is not None and source.state.value == "PAUSED"
    assert [run.outcome.value for run in runs] == ["SUCCESS"]
