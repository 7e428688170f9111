"""The network page in a real browser (Debian's Chromium), in Arabic and French, at desktop and
phone widths: axe-core finds no WCAG 2.x A or AA violation, nothing is asked of another host,
nothing scrolls sideways on a phone, and the form and paging work without a script."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser

from tests.support.browser import sqlite_only  # noqa: F401 (the database_url fixture: SQLite)
from tests.support.loopback import serve
from tests.support.network_world import small_network
from tracker.app import create_app
from tracker.db import Database
from tracker.demo.network import generate
from tracker.settings import Settings

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = {"desktop": 1280, "phone": 390}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def _seed(db: Database) -> None:
    await small_network(db)
    async with db.transaction() as session:
        # Enough for a second page.
        await generate(session, n=60, seed=5, measurements=1, slug_prefix="x-")


@pytest.mark.parametrize("lang", ["ar", "fr"])
async def test_the_network_page_is_accessible_local_and_fits_a_phone(
    settings: Settings, db: Database, browser: Browser, lang: str
) -> None:
    await _seed(db)
    ARTIFACTS.mkdir(exist_ok=True)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        own_host = urlsplit(base_url).netloc
        for device, width in WIDTHS.items():
            page = await browser.new_page(viewport={"width": width, "height": 900})
            hosts: set[str] = set()
            page.on("request", lambda request, hosts=hosts: hosts.add(urlsplit(request.url).netloc))
            await page.goto(f"{base_url}/?lang={lang}")
            assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
            results = await Axe().run(page, options=WCAG)
            assert results.violations_count == 0, results.generate_report()
            fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert fits, f"{lang} at {width}px scrolls sideways"
            await page.screenshot(path=str(ARTIFACTS / f"network-{lang}-{device}.png"), full_page=True)
            assert hosts == {own_host}
            await page.close()


async def test_the_filters_and_paging_work_without_javascript(
    settings: Settings, db: Database, browser: Browser
) -> None:
    await _seed(db)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        context = await browser.new_context(java_script_enabled=False)
        page = await context.new_page()
        await page.goto(f"{base_url}/?lang=fr")
        await page.locator('a[rel="next"]').first.click()
        await page.wait_for_load_state()
        assert "page=2" in page.url
        await page.get_by_label("Rechercher par nom").fill("commune 1")
        await page.get_by_label("Région").select_option("souss")
        await page.get_by_role("button", name="Afficher").click()
        await page.wait_for_load_state()
        names = await page.locator(".places li a").all_inner_texts()
        assert names == ["Commune 1", "Commune 10"]
        await context.close()
