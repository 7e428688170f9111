"""Every answer says nosniff and no referrer; HTML pages run no inline script and are not framed."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.support.builders import ait_melloul
from tests.support.graphql import Client
from tests.support.pages import plan_path
from tracker.db import Database
from tracker.web.security_headers import SecurityHeaders


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {name: value.strip() for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))}


def _script_sources(directives: dict[str, str]) -> str:
    return directives.get("script-src", directives["default-src"])


async def test_the_dashboard_allows_no_script_at_all(client: Client, db: Database) -> None:
    response = await client.http.get("/")
    directives = _directives(response)
    assert _script_sources(directives) == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"


async def test_the_dashboard_renders_no_script_element(client: Client, db: Database) -> None:
    await ait_melloul(db)
    for path in ("/", "/c/ait-melloul"):
        response = await client.http.get(path)
        assert "<script" not in response.text


async def test_html_pages_refuse_framing_and_sniffing_and_send_no_referrer(client: Client, db: Database) -> None:
    response = await client.http.get("/c/nowhere")
    assert response.status_code == 404
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_plan_page_runs_only_the_trackers_own_script_file(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get(await plan_path(client, "ait-melloul"))
    directives = _directives(response)
    assert _script_sources(directives) == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert re.findall(r"<script\b[^>]*>", response.text) == ['<script src="/static/plan-live.js" defer>']


async def test_graphiql_runs_only_scripts_with_this_pages_nonce_or_from_its_cdn(client: Client, db: Database) -> None:
    response = await client.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    sources = _script_sources(_directives(response)).split()
    nonces = [source for source in sources if source.startswith("'nonce-")]
    assert len(nonces) == 1
    assert "'unsafe-inline'" not in sources
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts
    assert all(f'nonce="{nonce}"' in script for script in scripts)


async def test_graphiql_gets_a_new_nonce_each_time(client: Client, db: Database) -> None:
    first = await client.http.get("/graphql", headers={"Accept": "text/html"})
    second = await client.http.get("/graphql", headers={"Accept": "text/html"})
    assert first.headers["content-security-policy"] != second.headers["content-security-policy"]


async def test_graphiql_may_not_be_framed(client: Client, db: Database) -> None:
    response = await client.http.get("/graphql", headers={"Accept": "text/html"})
    assert _directives(response)["frame-ancestors"] == "'none'"


async def test_json_answers_are_not_sniffed(client: Client, db: Database) -> None:
    response = await client.post("{ network { planCount } }")
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_json_refusals_at_the_edge_are_not_sniffed(client: Client, db: Database) -> None:
    response = await client.http.post("/graphql", content=b"\xff", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_atom_feeds_are_not_sniffed(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/feeds/ait-melloul.atom")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_an_html_answer_with_its_own_policy_is_framed_only_where_that_policy_names() -> None:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse("<p>x</p>", headers={"content-security-policy": request.query_params["policy"]})

    app = SecurityHeaders(Starlette(routes=[Route("/", page)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tracker.test") as http:
        silent = await http.get("/", params={"policy": "default-src 'none'"})
        refusing = await http.get("/", params={"policy": "default-src 'none'; frame-ancestors 'none'"})
        allowing = await http.get("/", params={"policy": "default-src 'none'; frame-ancestors *"})
    assert silent.headers["x-frame-options"] == "DENY"
    assert refusing.headers["x-frame-options"] == "DENY"
    assert "x-frame-options" not in allowing.headers
    assert allowing.headers["content-security-policy"] == "default-src 'none'; frame-ancestors *"
