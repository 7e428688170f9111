"""The network (`GET /`): its figures and its collectivities with their current plan's progress."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tracker.web.pages import plan
from tracker.web.pages.rendering import read, reader_language, render

NETWORK = """
query Network($lang: String) {
  network { collectivityCount planCount commitmentCount milestoneCount overdueMilestoneCount meanProgress }
  collectivities(first: 100) {
    totalCount
    edges { node { slug kind name(lang: $lang) currentPlan { title(lang: $lang) progress } } }
  }
}
"""


async def network_page(request: Request) -> Response:
    slug = request.query_params.get("collectivity")
    if slug is not None:
        # The dashboard's first address for a collectivity, still in links people keep.
        return await plan.collectivity_plan(request, slug)
    lang = reader_language(request)
    data = await read(request, NETWORK, {"lang": lang}, lang)
    if isinstance(data, Response):
        return data
    return render("network.html", lang, data=data, keep_query="")
