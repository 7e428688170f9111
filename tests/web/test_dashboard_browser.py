"""The dashboard in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from tests.support.browser import sqlite_only  # noqa: F401 (the database_url fixture: SQLite)
from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tracker.app import create_app
from tracker.db import Database
from tracker.settings import Settings

pytestmark = pytest.mark.slow


async def test_a_reader_goes_from_the_network_to_the_plan_and_switches_language(
    settings: Settings, db: Database, browser: Browser, tmp_path: Path
) -> None:
    await ait_melloul(db)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        page = await browser.new_page(locale="ar-MA")
        await page.goto(f"{base_url}/")
        assert await page.get_attribute("html", "dir") == "rtl"
        await page.get_by_role("link", name="أيت ملول", exact=True).click()
        await page.get_by_role("link", name="خطة انفتاح جماعة أيت ملول 2024-2025").click()
        await page.wait_for_selector("article")
        assert await page.locator("article").count() == 7
        direction = await page.evaluate("getComputedStyle(document.body).direction")
        assert direction == "rtl"
        await page.screenshot(path=str(tmp_path / "plan-ar.png"), full_page=True)
        await page.get_by_role("link", name="Français").click()
        await page.wait_for_load_state()
        assert await page.get_attribute("html", "lang") == "fr"
        assert await page.get_attribute("html", "dir") == "ltr"
        assert await page.locator("article").count() == 7
        await page.close()


async def test_the_plan_page_breaks_no_rule_of_its_content_security_policy(
    settings: Settings, db: Database, browser: Browser
) -> None:
    await ait_melloul(db)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        page = await browser.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        await page.goto(f"{base_url}/?collectivity=ait-melloul&lang=fr")
        await page.get_by_role("link", name="Plan d'ouverture de la commune d'Aït Melloul 2024-2025").click()
        await page.wait_for_selector("article")
        # The progress bars are drawn by inline styles: the policy lets them through.
        width = await page.evaluate("getComputedStyle(document.querySelector('.bar span')).width")
        await page.close()
    assert [text for text in console if "Content Security Policy" in text] == []
    assert width != "0px"
