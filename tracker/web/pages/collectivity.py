"""A collectivity (`GET /c/{slug}`): its plans, current first, its communes or provinces, its
consultative bodies, and its feed and deadline calendar."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tracker.web.pages import paging
from tracker.web.pages.rendering import MAX_SLUG_LENGTH, known_slug, oembed_link, read, reader_language, render

# Communes of a province (or provinces of a region) a page, `?page=`.
CHILDREN = 100

COLLECTIVITY = f"""
query Collectivity($slug: String!, $lang: String, $after: String) {{
  collectivity(slug: $slug) {{
    slug kind name(lang: $lang)
    parent {{ slug kind name(lang: $lang) }}
    currentPlan {{ id }}
    plans(first: 100) {{
      totalCount
      edges {{ node {{ id title(lang: $lang) status adoptedOn period {{ start end }} progress }} }}
    }}
    children(first: {CHILDREN}, after: $after) {{
      totalCount
      edges {{ node {{ slug kind name(lang: $lang) currentPlan {{ progress }} }} }}
    }}
    consultativeBodies {{ slug name(lang: $lang) description(lang: $lang) }}
  }}
}}
"""


async def collectivity_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    lang = reader_language(request)
    if not known_slug(slug):
        return not_found(lang, slug)
    try:
        number = paging.page_number(request, "page")
    except paging.BadPage as error:
        return paging.bad_page(lang, error)
    variables = {"slug": slug, "lang": lang, "after": paging.after(number, CHILDREN)}
    data = await read(request, COLLECTIVITY, variables, lang)
    if isinstance(data, Response):
        return data
    place = data.get("collectivity")
    if not place:
        return not_found(lang, slug)
    current = (place.get("currentPlan") or {}).get("id")
    plans = [edge["node"] for edge in place["plans"]["edges"]]
    # The current plan first, then the others as the API orders them (most recent period first).
    plans.sort(key=lambda plan: plan["id"] != current)
    children = paging.Window.of(request, "page", number, CHILDREN, place["children"])
    return render(
        "collectivity.html",
        lang,
        status_code=children.status_code,
        place=place,
        plans=plans,
        current=current,
        slug=slug,
        children=children,
        keep_query="",
        oembed=oembed_link(request, f"/c/{slug}"),
    )


def not_found(lang: str, slug: str) -> Response:
    # A slug of no known form is shown cut short and URL-quoted.
    shown = quote(slug[:MAX_SLUG_LENGTH], safe="")
    return render("collectivity.html", lang, status_code=404, place=None, slug=shown, keep_query="")


def moved(request: Request, slug: str) -> Response:
    """The dashboard's first address, `/?collectivity=<slug>`, still in links people keep: for
    good to `/c/<slug>`, with the language asked for if any."""
    if not known_slug(slug):
        return not_found(reader_language(request), slug)
    lang = request.query_params.get("lang")
    query = f"?lang={quote(lang[:MAX_SLUG_LENGTH], safe='')}" if lang else ""
    return RedirectResponse(f"/c/{slug}{query}", status_code=301)
