"""A person who clicks a feed link sees a page, not raw XML, and that page (like a page not found)
is as accessible as the others (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser

from tests.support.browser import WIDTHS, checked_and_recorded, sqlite_only  # noqa: F401 (sqlite_only: the database_url fixture)
from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tracker.app import create_app
from tracker.db import Database
from tracker.settings import Settings

pytestmark = pytest.mark.slow


async def test_clicking_the_feed_link_shows_a_page_in_the_feeds_language(
    settings: Settings, db: Database, browser: Browser
) -> None:
    await ait_melloul(db)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        page = await browser.new_page(locale="fr-FR")
        await page.goto(f"{base_url}/?collectivity=ait-melloul&lang=ar")
        await page.get_by_role("link", name="خلاصة الأحداث (Atom)").first.click()
        await page.wait_for_selector("li[data-event-type]")
        assert await page.get_attribute("html", "lang") == "ar"
        assert await page.get_attribute("html", "dir") == "rtl"
        assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert await page.locator("li[data-event-type]").count() == 50
        assert (await page.input_value("#feed-url")).endswith("/feeds/ait-melloul.atom?lang=ar")
        await page.close()


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("device", list(WIDTHS))
async def test_the_feed_page_is_accessible_self_contained_and_fits_a_phone(
    settings: Settings, db: Database, browser: Browser, lang: str, device: str
) -> None:
    await ait_melloul(db)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        page = await browser.new_page(viewport={"width": WIDTHS[device], "height": 900})
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        # A browser asks for HTML first: the feed's address answers it with the page.
        response = await page.goto(f"{base_url}/feeds/ait-melloul.atom?lang={lang}")
        assert response is not None and response.status == 200
        results = await checked_and_recorded(page, lang, f"feed-{lang}-{device}")
        await page.close()
    assert results.violations_count == 0, results.generate_report()
    assert hosts == {urlsplit(base_url).netloc}


@pytest.mark.parametrize("lang", ["ar", "fr"])
async def test_a_page_not_found_is_accessible(settings: Settings, db: Database, browser: Browser, lang: str) -> None:
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        page = await browser.new_page(viewport={"width": WIDTHS["phone"], "height": 900})
        response = await page.goto(f"{base_url}/c/nowhere?lang={lang}")
        assert response is not None and response.status == 404
        results = await checked_and_recorded(page, lang, f"not-found-{lang}")
        await page.close()
    assert results.violations_count == 0, results.generate_report()
