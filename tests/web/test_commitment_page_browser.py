"""A commitment's page in a real browser (Debian's Chromium driven by Playwright), checked by
axe-core in Arabic and French, on a desktop and a phone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser

from tests.support.browser import (
    WIDTHS,
    checked_and_recorded,
    sqlite_only,  # noqa: F401 (the database_url fixture: SQLite)
)
from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tracker.app import create_app
from tracker.db import Database
from tracker.settings import Settings

pytestmark = pytest.mark.slow

FIRST_COMMITMENT = """
query { collectivity(slug: "ait-melloul") { currentPlan { commitments(first: 1) { nodes { id } } } } }
"""


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("device", list(WIDTHS))
async def test_the_commitment_page_is_accessible_self_contained_and_fits_a_phone(
    settings: Settings, db: Database, browser: Browser, lang: str, device: str
) -> None:
    await ait_melloul(db)
    app = create_app(settings.model_copy(update={"scheduler_enabled": False}))
    with serve(app, lifespan="on") as base_url:
        page = await browser.new_page(viewport={"width": WIDTHS[device], "height": 900})
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        await page.goto(f"{base_url}/c/ait-melloul?lang={lang}")
        # From the collectivity to its plan, then the commitment's heading, as a reader would.
        await page.locator('a[href*="/plans/"]').first.click()
        await page.locator("article h4 a").first.click()
        await page.wait_for_selector("svg.timeline")
        assert "/commitments/" in page.url
        results = await checked_and_recorded(page, lang, f"commitment-{lang}-{device}")
        await page.close()
    assert results.violations_count == 0, results.generate_report()
    assert hosts == {urlsplit(base_url).netloc}
