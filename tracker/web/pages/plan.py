"""A collectivity's current plan (`GET /c/{slug}`): its commitments with their milestones and
indicators."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from tracker.web.pages.rendering import MAX_SLUG_LENGTH, known_slug, read, reader_language, render

PLAN = """
query Plan($slug: String!, $lang: String) {
  collectivity(slug: $slug) {
    slug name(lang: $lang)
    currentPlan {
      title(lang: $lang) progress period { start end }
      commitments(first: 100) { edges { node {
        id reference title(lang: $lang) status progress
        milestones(first: 100) { edges { node { title(lang: $lang) dueOn status isOverdue } } }
        indicators(first: 20) { edges { node {
          name(lang: $lang) unit baseline target direction progress latest { value }
        } } }
      } } }
    }
  }
}
"""


async def plan_page(request: Request) -> Response:
    return await collectivity_plan(request, request.path_params["slug"])


async def collectivity_plan(request: Request, slug: str) -> Response:
    lang = reader_language(request)
    # The query string the language links keep: the old address names the collectivity in it.
    keep = f"collectivity={quote(slug[:MAX_SLUG_LENGTH], safe='')}&" if "collectivity" in request.query_params else ""
    if not known_slug(slug):
        # A slug of no known form is shown as the not-found page, cut short and URL-quoted.
        shown = quote(slug[:MAX_SLUG_LENGTH], safe="")
        return render("plan.html", lang, status_code=404, data={}, slug=shown, keep_query=keep)
    data = await read(request, PLAN, {"slug": slug, "lang": lang}, lang)
    if isinstance(data, Response):
        return data
    status_code = 200 if data.get("collectivity") else 404
    return render("plan.html", lang, status_code=status_code, data=data, slug=slug, keep_query=keep)
