"""A real `tracker serve` restarted with overdue sources polls each of them once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from tests.support.processes import tracker_command, tracker_server
from tests.support.publisher import Publisher, publisher
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.models import Commitment, EvidenceSource
from tracker.models.base import utcnow
from tracker.services import sources

pytestmark = pytest.mark.slow


async def _overdue_sources(url: str, site: Publisher, count: int) -> None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            commitment = (await session.exec(select(Commitment))).first()
            assert commitment is not None
            for number in range(count):
                await sources.create_source(
                    session,
                    actor=SYSTEM,
                    kind="DOCUMENT",
                    url=f"{site.url}/doc{number}",
                    schedule="PT6H",
                    target_type="Commitment",
                    target_id=commitment.id,
                    allow_private=True,
                )
            # As if the server had been down for two days: every source missed eight slots.
            await session.exec(update(EvidenceSource).values(next_run_at=utcnow() - timedelta(days=2)))
    finally:
        await db.dispose()


def _wait_for(site: Publisher, total: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(site.hits.values()) < total and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_restart_with_overdue_sources_polls_each_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    env = {"TRACKER_DATABASE_URL": url, "TRACKER_ALLOW_PRIVATE_TARGETS": "true", "TRACKER_SOURCE_INTERVAL_SECONDS": "1"}
    tracker_command("seed-demo", env=env)
    pages = {f"doc{number}": (200, "text/html", f"<p>document {number}</p>") for number in range(3)}
    with publisher(**pages) as site:
        asyncio.run(_overdue_sources(url, site, 3))
        with tracker_server(env=env):
            _wait_for(site, 3)
            time.sleep(3)  # three more ticks: an overdue source must not be polled again
        assert dict(site.hits) == {"/doc0": 1, "/doc1": 1, "/doc2": 1}
        with tracker_server(env=env):
            time.sleep(3)
    assert dict(site.hits) == {"/doc0": 1, "/doc1": 1, "/doc2": 1}
