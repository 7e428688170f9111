"""`tracker dev-sources` makes evidence flow into a local demo, and the real sources ship paused."""

from __future__ import annotations

import httpx
from sqlalchemy import func
from sqlmodel import select

from integrations.http import create_client
from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tracker import demo
from tracker.db import Database
from tracker.demo.dev_sources import app as publications
from tracker.jobs.sources import SourceRunner
from tracker.models import Evidence, EvidenceSource, Measurement, MeasurementOrigin, SourceState


async def test_the_demo_ships_its_real_sources_paused(db: Database) -> None:
    await ait_melloul(db)
    async with db.reader() as session:
        states = {source.url: source.state for source in (await session.exec(select(EvidenceSource))).all()}
    assert states == {"https://data.gov.ma": SourceState.PAUSED, "https://aitmelloul.ma/": SourceState.PAUSED}


async def test_dev_sources_bring_evidence_and_measurements(db: Database) -> None:
    await ait_melloul(db)
    with serve(publications) as base_url:
        async with db.transaction() as session:
            assert await demo.attach_dev_sources(session, base_url) == 3
        async with db.transaction() as session:
            assert await demo.attach_dev_sources(session, base_url) == 0
        async with create_client(allow_private=True) as http:
            assert await SourceRunner(db, http).run_due() == 3
    async with db.reader() as session:
        evidence = (
            await session.exec(
                select(func.count()).select_from(Evidence).where(Evidence.origin == MeasurementOrigin.SOURCE)
            )
        ).one()
        values = (
            await session.exec(
                select(func.count()).select_from(Measurement).where(Measurement.origin == MeasurementOrigin.SOURCE)
            )
        ).one()
    assert evidence >= 4  # the portal's datasets and the feed's news
    assert values >= 2  # the dataset count and the median answering time


def test_the_publications_change_over_time() -> None:
    with serve(publications) as base_url:
        feed = httpx.get(f"{base_url}/news.xml")
        stats = httpx.get(f"{base_url}/stats.json").json()
    assert feed.headers["content-type"].startswith("application/rss+xml")
    assert "Aït Melloul" in feed.text
    assert stats["accessRequests"]["medianDaysToAnswer"] > 0
