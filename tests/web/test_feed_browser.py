"""A person who clicks a feed link sees a page, not raw XML (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.support.browser import sqlite_only  # noqa: F401 (the database_url fixture: SQLite)
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
