"""`tracker dev-sources` makes evidence flow into a local demo, and the real sources ship paused."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from integrations.http import create_client
from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tracker import demo
from tracker.db import Database
from tracker.demo import dev_sources
from tracker.demo.dev_sources import app as publications
from tracker.jobs.sources import SourceRunner
from tracker.models import Evidence, EvidenceSource, Indicator, Measurement, MeasurementOrigin, SourceState

ROOT = Path(__file__).resolve().parents[2]


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


async def _latest_source_values(db: Database) -> dict[str, float]:
    """The value each source last recorded, by the indicator's unit."""
    async with db.reader() as session:
        rows = (
            await session.exec(
                select(Indicator.unit, Measurement.value)
                .join(Indicator, col(Indicator.id) == col(Measurement.indicator_id))
                .where(Measurement.origin == MeasurementOrigin.SOURCE)
                .order_by(col(Measurement.created_at))
            )
        ).all()
    return dict(rows)


async def test_the_first_reading_keeps_the_demos_figures(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # The server's first period: this process imported the module minutes ago, in a long run.
    monkeypatch.setattr(dev_sources, "ticks", lambda: 0)
    await ait_melloul(db)
    with serve(publications) as base_url:
        async with db.transaction() as session:
            await demo.attach_dev_sources(session, base_url)
        async with create_client(allow_private=True) as http:
            await SourceRunner(db, http).run_due()
    assert await _latest_source_values(db) == {"datasets": 31, "days": 11}


def test_the_publications_change_a_little_each_period(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    with serve(publications) as base_url:
        for step in range(6):
            monkeypatch.setattr(dev_sources, "ticks", lambda step=step: step)
            portal = httpx.get(f"{base_url}/api/3/action/package_search", params={"q": "x", "rows": 100}).json()
            stats = httpx.get(f"{base_url}/stats.json").json()
            seen.append((portal["result"]["count"], stats["accessRequests"]["medianDaysToAnswer"]))
    assert seen == [(31, 11), (32, 11), (33, 10), (34, 10), (35, 9), (36, 9)]


def test_the_portal_pages_its_datasets_as_ckan_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev_sources, "ticks", lambda: 0)
    with serve(publications) as base_url:
        url = f"{base_url}/api/3/action/package_search"
        first = httpx.get(url, params={"rows": 20}).json()["result"]
        second = httpx.get(url, params={"rows": 20, "start": 20}).json()["result"]
    ids = [dataset["id"] for dataset in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == first["count"] == 31


async def test_the_sources_read_as_often_as_the_publications_change(db: Database) -> None:
    await ait_melloul(db)
    async with db.transaction() as session:
        await demo.attach_dev_sources(session, "http://127.0.0.1:8010")
    async with db.reader() as session:
        schedules = (
            await session.exec(select(EvidenceSource.schedule).where(col(EvidenceSource.url).contains("127.0.0.1")))
        ).all()
    assert schedules == [f"PT{dev_sources.PERIOD_MINUTES}M"] * 3


@pytest.mark.parametrize("path", ["Makefile", "README.md"])
def test_the_makefile_and_readme_state_the_period_of_the_code(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    section = text[text.index("dev-sources") :]
    assert re.findall(r"every (\d+) minutes?", section)[0] == str(dev_sources.PERIOD_MINUTES)


def test_the_banner_states_the_period_and_the_demos_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from tracker.cli import app

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    result = CliRunner().invoke(app, ["dev-sources", "--no-attach"])
    assert result.exit_code == 0, result.output
    assert f"change every {dev_sources.PERIOD_MINUTES} minutes" in result.output
    assert "31 datasets" in result.output and "11 days" in result.output
