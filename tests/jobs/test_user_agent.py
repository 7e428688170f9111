"""Outbound requests name the tracker, its version and its public page, as `tracker serve` sends them."""

from __future__ import annotations

import importlib.metadata
from collections.abc import AsyncIterator

import pytest

from tests.support.builders import small_plan
from tests.support.publisher import publisher
from tests.support.receiver import receiver
from tests.support.webhooks import subscribe
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.jobs.scheduler import Scheduler
from tracker.services import sources, webhooks
from tracker.settings import Settings

PAGE = "https://suivi.example.ma"
EXPECTED = f"open-plan-tracker/{importlib.metadata.version('open-plan-tracker')} (+{PAGE})"


@pytest.fixture
async def scheduler(db: Database, database_url: str) -> AsyncIterator[Scheduler]:
    """The scheduler's own client and workers, not started: the tests run its ticks by hand."""
    made = Scheduler(db, Settings(database_url=database_url, allow_private_targets=True, base_url=PAGE))
    try:
        yield made
    finally:
        await made.shutdown()


async def test_a_webhook_delivery_names_the_tracker_version_and_page(db: Database, scheduler: Scheduler) -> None:
    with receiver() as hook:
        subscription, _secret = await subscribe(db, hook.url)
        async with db.transaction() as session:
            await webhooks.queue_test_delivery(session, subscription, actor=SYSTEM)
        assert await scheduler.deliveries.run_once() == 1
    assert [request.headers["user-agent"] for request in hook.received] == [EXPECTED]


async def test_an_evidence_source_fetch_names_the_tracker_version_and_page(db: Database, scheduler: Scheduler) -> None:
    _plan, commitments = await small_plan(db)
    with publisher(report=(200, "text/html", "<html><body><h1>Rapport 2025</h1></body></html>")) as site:
        async with db.transaction() as session:
            source = await sources.create_source(
                session,
                actor=SYSTEM,
                kind="DOCUMENT",
                url=f"{site.url}/report",
                schedule="PT6H",
                target_type="Commitment",
                target_id=commitments[0].id,
                allow_private=True,
            )
        run = await scheduler.sources.run_now(source.id)
    assert run is not None
    assert [headers["user-agent"] for headers in site.headers] == [EXPECTED]
