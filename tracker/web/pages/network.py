"""The network (`GET /`): its figures and its collectivities, grouped by region and province in
natural order, searchable, filtered and sorted through the address (a GET form: no script needed),
paged in SQL (the API's cursors) fifty at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from tracker.api.core.relay import cursor_of
from tracker.web.pages import plan
from tracker.web.pages.rendering import known_slug, read, reader_language, render

PAGE_SIZE = 50
# Longer searches find nothing more; the field's own limit in the form.
MAX_SEARCH = 100
KINDS = ("REGION", "PREFECTURE_PROVINCE", "COMMUNE")
# `?sort=` and the API's order: by name means grouped by place.
SORTS = {"name": "PLACE", "progress": "PROGRESS_DESC", "overdue": "OVERDUE_DESC"}
# The address's own parameters, in the order links write them.
PARAMETERS = ("q", "kind", "region", "plan", "overdue", "sort", "page")

NETWORK = """
query Network($lang: String, $filter: CollectivityFilter, $order: CollectivityOrder, $after: String, $first: Int) {
  network { collectivityCount planCount commitmentCount milestoneCount overdueMilestoneCount meanProgress }
  regions: collectivities(filter: { kind: [REGION] }, orderBy: NAME, lang: $lang, first: 100) {
    nodes { slug name(lang: $lang) }
  }
  collectivities(filter: $filter, orderBy: $order, lang: $lang, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage }
    nodes {
      slug kind name(lang: $lang) overdueMilestoneCount
      parent { slug kind name(lang: $lang) parent { slug kind name(lang: $lang) } }
      currentPlan { title(lang: $lang) progress }
    }
  }
}
"""


@dataclass(frozen=True, slots=True)
class Choices:
    """What the reader asked for in the address; anything unknown is as if left out."""

    q: str = ""
    kind: str = ""
    region: str = ""
    plan: str = ""
    overdue: str = ""
    sort: str = "name"
    page: int = 1

    @classmethod
    def of(cls, request: Request) -> Choices:
        given = request.query_params
        kind = given.get("kind", "")
        region = given.get("region", "")
        page = given.get("page", "1")
        return cls(
            q=" ".join(given.get("q", "").split())[:MAX_SEARCH],
            kind=kind if kind in KINDS else "",
            region=region if region and known_slug(region) else "",
            plan=given.get("plan", "") if given.get("plan") in ("yes", "no") else "",
            overdue="yes" if given.get("overdue") == "yes" else "",
            sort=given.get("sort", "name") if given.get("sort") in SORTS else "name",
            page=int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1,
        )

    def filter(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.q:
            found["search"] = self.q
        if self.kind:
            found["kind"] = [self.kind]
        if self.region:
            found["withinSlug"] = self.region
        if self.plan:
            found["hasPlan"] = self.plan == "yes"
        if self.overdue:
            found["hasOverdueMilestones"] = True
        return found

    def query(self, **changes: Any) -> str:
        """The address's query string with `changes` (the language last, for the language links)."""
        values = {name: getattr(self, name) for name in PARAMETERS} | changes
        kept = [(name, str(values[name])) for name in PARAMETERS if values[name] not in ("", None)]
        defaults = {("sort", "name"), ("page", "1")}
        return urlencode([pair for pair in kept if pair not in defaults])


@dataclass(slots=True)
class Group:
    """Rows under one heading: a region's own, or a province's (with its communes)."""

    region: dict[str, Any] | None
    province: dict[str, Any] | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Whether its region's heading comes with it (the first group of that region on the page).
    opens_region: bool = True


def _place_of(node: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(region, province) a row is listed under: itself when it is one, else its ancestors."""
    chain = [node]
    while chain[0].get("parent"):
        chain.insert(0, chain[0]["parent"])
    region = next((item for item in chain if item["kind"] == "REGION"), None)
    province = next((item for item in chain if item["kind"] == "PREFECTURE_PROVINCE"), None)
    return region, province


def groups(nodes: list[dict[str, Any]]) -> list[Group]:
    found: list[Group] = []
    for node in nodes:
        region, province = _place_of(node)
        last = found[-1] if found else None
        same = last is not None and _slug(last.region) == _slug(region) and _slug(last.province) == _slug(province)
        if not same:
            opens = last is None or _slug(last.region) != _slug(region)
            last = Group(region, province, opens_region=opens)
            found.append(last)
        assert last is not None
        last.rows.append(node)
    return found


def _slug(node: dict[str, Any] | None) -> str | None:
    return None if node is None else str(node["slug"])


async def network_page(request: Request) -> Response:
    slug = request.query_params.get("collectivity")
    if slug is not None:
        # The dashboard's first address for a collectivity, still in links people keep.
        return await plan.collectivity_plan(request, slug)
    lang = reader_language(request)
    choices = Choices.of(request)
    start = (choices.page - 1) * PAGE_SIZE
    variables = {
        "lang": lang,
        "filter": choices.filter(),
        "order": SORTS[choices.sort],
        "first": PAGE_SIZE,
        "after": cursor_of(start - 1) if start else None,
    }
    data = await read(request, NETWORK, variables, lang)
    if isinstance(data, Response):
        return data
    listed = data["collectivities"]
    nodes = listed["nodes"]
    total = listed["totalCount"]
    keep = choices.query()
    return render(
        "network.html",
        lang,
        data=data,
        choices=choices,
        kinds=KINDS,
        groups=groups(nodes) if choices.sort == "name" else [Group(None, None, nodes)],
        grouped=choices.sort == "name",
        first=start + 1,
        last=start + len(nodes),
        total=total,
        beyond=not nodes and total > 0,
        first_page=choices.query(page=1),
        previous=choices.query(page=choices.page - 1) if listed["pageInfo"]["hasPreviousPage"] else None,
        next=choices.query(page=choices.page + 1) if listed["pageInfo"]["hasNextPage"] else None,
        keep_query=f"{keep}&" if keep else "",
    )
