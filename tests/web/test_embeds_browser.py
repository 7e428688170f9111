"""The cards for iframes in a real browser (Debian's Chromium driven by Playwright): accessible
(axe-core) and self-contained in Arabic and French, on a desktop and a phone; and framed by a
page of another origin through the oEmbed answer's html, as a collectivity's site would."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.async_api import Browser
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.browser import (
    ARTIFACTS,
    WIDTHS,
    checked_and_recorded,
    sqlite_only,  # noqa: F401 (the database_url fixture: SQLite)
)
from tests.support.builders import ait_melloul
from tests.support.graphql import Client
from tests.support.loopback import serve
from tests.support.pages import first_commitment_id
from tracker.app import create_app
from tracker.db import Database
from tracker.settings import Settings

pytestmark = pytest.mark.slow


def _tracker(settings: Settings) -> Starlette:
    return create_app(settings.model_copy(update={"scheduler_enabled": False}))


async def _card_path(kind: str, client: Client) -> str:
    if kind == "commitment":
        return f"/embed/commitments/{await first_commitment_id(client, 'ait-melloul')}"
    return "/embed/c/ait-melloul"


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("device", list(WIDTHS))
@pytest.mark.parametrize("kind", ["commitment", "collectivity"])
async def test_the_card_is_accessible_self_contained_and_fits_a_phone(
    settings: Settings, db: Database, client: Client, browser: Browser, kind: str, lang: str, device: str
) -> None:
    await ait_melloul(db)
    with serve(_tracker(settings), lifespan="on") as base_url:
        path = await _card_path(kind, client)
        page = await browser.new_page(viewport={"width": WIDTHS[device], "height": 900})
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        response = await page.goto(f"{base_url}{path}?lang={lang}")
        assert response is not None and response.status == 200
        # The card's stylesheet applied under its policy (a body's own margin is 8px).
        assert await page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
        results = await checked_and_recorded(page, lang, f"embed-{kind}-{lang}-{device}")
        await page.close()
    assert results.violations_count == 0, results.generate_report()
    assert hosts == {urlsplit(base_url).netloc}


def _site(embed_html: str, refused_src: str) -> Starlette:
    """A collectivity's own site: a page with the oEmbed answer's html pasted in, and an iframe of
    a tracker page that is not a card."""

    async def home(_request: Request) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Commune</title></head>'
            f'<body><main><h1>Notre plan</h1>{embed_html}<iframe id="refused" src="{refused_src}" title="x">'
            "</iframe></main></body></html>"
        )

    return Starlette(routes=[Route("/", home)])


@pytest.mark.parametrize("lang", ["ar", "fr"])
@pytest.mark.parametrize("kind", ["commitment", "collectivity"])
async def test_a_site_of_another_origin_frames_the_card_from_the_oembed_answer_and_no_other_page(
    settings: Settings, db: Database, client: Client, browser: Browser, kind: str, lang: str
) -> None:
    await ait_melloul(db)
    tracker = _tracker(settings)
    with serve(tracker, lifespan="on") as base_url:
        # The tracker's public address is the one it is served at, for the oEmbed answer's links.
        tracker.state.settings = tracker.state.settings.model_copy(update={"base_url": base_url})
        page_path = (await _card_path(kind, client)).removeprefix("/embed")
        async with httpx.AsyncClient() as http:
            answer = (await http.get(f"{base_url}/oembed?url={quote(f'{base_url}{page_path}?lang={lang}')}")).json()
        with serve(_site(answer["html"], f"{base_url}{page_path}")) as site_url:
            assert urlsplit(site_url).netloc != urlsplit(base_url).netloc
            page = await browser.new_page(viewport={"width": 390, "height": 900})
            await page.goto(site_url)
            card = page.frame_locator(f'iframe[src^="{base_url}/embed/"]')
            await card.locator("h1").wait_for()
            assert await card.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
            assert await card.locator("progress").count() == 1
            # The card fits the size the oEmbed answer gives its frame: nothing hidden, no scrolling.
            frame = next(frame for frame in page.frames if frame.url.startswith(f"{base_url}/embed/"))
            size = await frame.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            assert size[0] <= answer["width"]
            assert size[1] <= answer["height"], (size, answer["height"])
            # The tracker's other pages refuse to show inside the site's frame.
            refused = await page.locator("#refused").element_handle()
            assert refused is not None
            content = await refused.content_frame()
            assert content is not None
            await content.wait_for_load_state()
            # Chromium shows its own error page in place of a page that refuses the frame.
            assert content.url.startswith("chrome-error:"), content.url
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"embed-framed-{kind}-{lang}.png"), full_page=True)
            await page.close()
