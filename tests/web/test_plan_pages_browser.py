"""A collectivity's page and its plan's page in a real browser (Debian's Chromium driven by
Playwright): Arabic and French, desktop and phone, axe-core's WCAG 2.x A and AA rules, nothing
fetched from another host, and a plan's progress that follows a change made by another client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from tests.support.browser import sqlite_only  # noqa: F401 (the database_url fixture: SQLite)
from tests.support.builders import ait_melloul
from tests.support.loopback import serve
from tests.support.tokens import token_for
from tracker.app import create_app
from tracker.db import Database
from tracker.models import Role
from tracker.settings import Settings

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture
async def demo(settings: Settings, db: Database) -> AsyncIterator[str]:
    """The demo served on loopback; yields its base URL."""
    await ait_melloul(db)
    with serve(create_app(settings.model_copy(update={"scheduler_enabled": False})), lifespan="on") as base_url:
        yield base_url


@pytest.fixture
async def live(settings: Settings, db: Database) -> AsyncIterator[str]:
    """The demo served with its dispatcher running: the live updates follow dispatched events."""
    await ait_melloul(db)
    quick = {"scheduler_enabled": True, "dispatch_interval_seconds": 0.1, "live_poll_seconds": 0.2}
    with serve(create_app(settings.model_copy(update=quick)), lifespan="on") as base_url:
        yield base_url


def _plan_id(base_url: str) -> str:
    answer = httpx.post(
        f"{base_url}/graphql", json={"query": '{ collectivity(slug: "ait-melloul") { currentPlan { id progress } } }'}
    )
    return str(answer.json()["data"]["collectivity"]["currentPlan"]["id"])


async def _open(browser: Browser, url: str, width: int) -> tuple[Page, list[str]]:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    return page, requested


async def _check_the_page(page: Page, requested: list[str], base_url: str, lang: str, width: int, name: str) -> None:
    assert await page.get_attribute("html", "lang") == lang
    assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    own = urlsplit(base_url).netloc
    assert {urlsplit(url).netloc for url in requested} == {own}
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{lang}-{width}.png"), full_page=True)
    results = await Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("device", WIDTHS)
async def test_the_collectivity_page_is_accessible_and_self_contained(
    demo: str, database_url: str, browser: Browser, lang: str, device: str
) -> None:
    page, requested = await _open(browser, f"{demo}/c/ait-melloul?lang={lang}", WIDTHS[device])
    assert await page.locator("ul.bodies > li").count() == 2
    await _check_the_page(page, requested, demo, lang, WIDTHS[device], f"collectivity-{_engine(database_url)}")
    await page.close()


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("device", WIDTHS)
async def test_the_plan_page_is_accessible_and_self_contained(
    demo: str, database_url: str, browser: Browser, lang: str, device: str
) -> None:
    page, requested = await _open(browser, f"{demo}/c/ait-melloul/plans/{_plan_id(demo)}?lang={lang}", WIDTHS[device])
    assert await page.locator("article").count() == 7
    assert await page.locator("figure.timeline > svg").count() == 1
    await _check_the_page(page, requested, demo, lang, WIDTHS[device], f"plan-{_engine(database_url)}")
    await page.close()


async def test_a_reader_goes_from_a_collectivity_to_its_plan(demo: str, browser: Browser) -> None:
    page, _ = await _open(browser, f"{demo}/?collectivity=ait-melloul&lang=fr", 1280)
    assert page.url == f"{demo}/c/ait-melloul?lang=fr"
    await page.get_by_role("link", name="Plan d'ouverture de la commune d'Aït Melloul 2024-2025").click()
    await page.wait_for_selector("[data-plan-progress]")
    assert "/c/ait-melloul/plans/" in page.url
    await page.close()


async def test_a_milestone_completed_by_another_client_moves_the_progress_without_reload(
    live: str, db: Database, browser: Browser
) -> None:
    plan_id = _plan_id(live)
    page, _ = await _open(browser, f"{live}/c/ait-melloul/plans/{plan_id}?lang=fr", 1280)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    before = await page.get_attribute("[data-plan-progress]", "data-plan-progress")
    await page.evaluate("window.notReloaded = true")
    editor = await token_for(db, Role.EDITOR, collectivity="ait-melloul")
    open_milestone, commitment_id = _an_open_milestone(live, plan_id)
    async with httpx.AsyncClient() as other_client:
        answer = await other_client.post(
            f"{live}/graphql",
            headers={"Authorization": f"Bearer {editor}"},
            json={
                "query": "mutation ($id: ID!) { updateMilestone(input: {id: $id, status: COMPLETED,"
                ' completedOn: "2025-12-01"}) { milestone { id status } } }',
                "variables": {"id": open_milestone},
            },
        )
    changed = answer.json()
    assert changed["data"]["updateMilestone"]["milestone"]["status"] == "COMPLETED", changed
    after, commitment = _progress(live, plan_id, commitment_id)
    assert float(before or "nan") != after
    # A function, not an expression: the page's policy allows no eval().
    await page.wait_for_function(
        "expected => Number(document.querySelector('[data-plan-progress]').dataset.planProgress) === expected",
        arg=after,
    )
    shown = await page.get_attribute(
        f"[data-live='commitment-{commitment_id}'] [data-commitment-progress]", "data-commitment-progress"
    )
    assert float(shown or "nan") == commitment
    assert await page.evaluate("window.notReloaded") is True
    assert [text for text in console if "Content Security Policy" in text] == []
    await page.close()


def _an_open_milestone(base_url: str, plan_id: str) -> tuple[str, str]:
    answer = httpx.post(
        f"{base_url}/graphql",
        json={
            "query": "query ($id: ID!) { node(id: $id) { ... on ActionPlan { commitments(first: 100) { nodes {"
            " id milestones(first: 100) { nodes { id status } } } } } } }",
            "variables": {"id": plan_id},
        },
    ).json()
    for commitment in answer["data"]["node"]["commitments"]["nodes"]:
        for milestone in commitment["milestones"]["nodes"]:
            if milestone["status"] in ("NOT_STARTED", "IN_PROGRESS", "DELAYED"):
                return str(milestone["id"]), str(commitment["id"])
    raise AssertionError("the demo plan has no open milestone")


def _progress(base_url: str, plan_id: str, commitment_id: str) -> tuple[float, float]:
    answer = httpx.post(
        f"{base_url}/graphql",
        json={
            "query": "query ($plan: ID!, $commitment: ID!) { plan: node(id: $plan) { ... on ActionPlan { progress } }"
            " commitment: node(id: $commitment) { ... on Commitment { progress } } }",
            "variables": {"plan": plan_id, "commitment": commitment_id},
        },
    ).json()["data"]
    return float(answer["plan"]["progress"]), float(answer["commitment"]["progress"])


def _engine(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"
