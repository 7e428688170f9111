"""Debian's Chromium driven by Playwright, for the pages' browser tests (the `browser` fixture is
in tests/web/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe, AxeResults
from playwright.async_api import Page

CHROMIUM = "/usr/bin/chromium"
# Where the browser tests leave their screenshots.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# axe-core's rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = {"desktop": 1280, "phone": 390}
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(name="database_url")
def sqlite_only(sqlite_url: str) -> str:
    """What a browser sees is the page, whatever stores its data: browser tests run on SQLite,
    and the pages' own tests (without a browser) run on both databases."""
    return sqlite_url


async def checked_and_recorded(page: Page, lang: str, screenshot: str) -> AxeResults:
    """What every page kind passes in a browser, asserted: `<html>` in the reader's language and
    direction, no horizontal scrolling; then a screenshot in ARTIFACTS, and axe-core's results
    for the caller to assert once the page is closed."""
    assert await page.get_attribute("html", "lang") == lang
    assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    results = await Axe().run(page, options=WCAG)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{screenshot}.png"), full_page=True)
    return results
