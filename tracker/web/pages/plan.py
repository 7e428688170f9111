"""A plan (`GET /c/{slug}/plans/{planId}`): its progress, its commitments with their progress, a
timeline of its milestones, and its recent events. The figures follow the plan
live (static/plan-live.js) when scripts run; without them the page says the same at load."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from integrations.envelope import Envelope
from integrations.webhooks import messages
from tracker.errors import BadInput
from tracker.events import envelopes
from tracker.ids import decode_id, encode_id
from tracker.services.common import today as local_today
from tracker.web.pages import collectivity, paging
from tracker.web.pages.commitment import all_counted_done
from tracker.web.pages.rendering import known_slug, own_language, read, reader_language, render
from tracker.web.security_headers import PAGE_POLICY

PLAN = """
query PlanPage($id: ID!, $lang: String) {
  node(id: $id) {
    ... on ActionPlan {
      id title(lang: $lang) description(lang: $lang) status adoptedOn period { start end } progress
      collectivity { slug name(lang: $lang) }
      commitments(first: 100) { totalCount edges { node {
        id reference title(lang: $lang) status progress
        milestones(first: 100) { edges { node { id title(lang: $lang) dueOn status completedOn isOverdue } } }
        indicators(first: 20) { edges { node {
          id name(lang: $lang) unit baseline target direction progress latest { value }
        } } }
      } } }
    }
  }
}
"""

# The plan's events a page, most recent first, `?events=`.
EVENTS_PAGE = 10

EVENTS = f"""
query PlanEvents($plan: ID!, $after: String) {{
  events(filter: {{planId: $plan}}, first: {EVENTS_PAGE}, after: $after) {{
    totalCount
    edges {{ node {{ id type happenedAt subjectId data }} }}
  }}
}}
"""

# The page's own script (the live figures) and what it reaches: the page itself and /graphql,
# over HTTP and WebSocket ('self' covers ws: and wss: on the page's host).
LIVE_POLICY = PAGE_POLICY.replace("default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';")

# The timeline's drawing, in the SVG's own units (it scales to the page's width).
WIDTH = 1000
LABEL = 90  # room for the commitments' references
ROW = 26
TOP = 30


@dataclasses.dataclass(frozen=True)
class Mark:
    x: float
    y: float
    state: str  # done, late, cancelled, due
    title: str
    due_on: str


async def collectivity_plan(request: Request, slug: str) -> Response:
    """`/?collectivity=<slug>`: see `collectivity.moved`."""
    return collectivity.moved(request, slug)


async def plan_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    plan_id = request.path_params["plan_id"]
    lang = reader_language(request)
    if not known_slug(slug) or not _plan_id(plan_id):
        return _not_found(lang)
    try:
        number = paging.page_number(request, "events")
    except paging.BadPage as error:
        return paging.bad_page(lang, error)
    data = await read(request, PLAN, {"id": plan_id, "lang": lang}, lang)
    if isinstance(data, Response):
        return data
    plan = data.get("node")
    # A draft reads as no plan at all (null), another type as an object without a title.
    if not plan or "title" not in plan or plan["collectivity"]["slug"] != slug:
        return _not_found(lang)
    events = await read(request, EVENTS, {"plan": plan_id, "after": paging.after(number, EVENTS_PAGE)}, lang)
    if isinstance(events, Response):
        return events
    window = paging.Window.of(request, "events", number, EVENTS_PAGE, events["events"])
    nodes = [edge["node"] for edge in plan["commitments"]["edges"]]
    commitments = [{**commitment, "awaiting": all_counted_done(commitment)} for commitment in nodes]
    response = render(
        "plan.html",
        lang,
        status_code=window.status_code,
        events_window=window,
        plan=plan,
        slug=slug,
        commitments=commitments,
        timeline=_timeline(plan, commitments, rtl=lang == "ar"),
        milestones=_milestones(commitments),
        events=_events(events, commitments, plan, lang),
        keep_query="",
    )
    response.headers["Content-Security-Policy"] = LIVE_POLICY
    return response


def _plan_id(value: str) -> bool:
    try:
        decode_id(value, field="planId", expect="ActionPlan")
    except BadInput:
        return False
    return True


def _not_found(lang: str) -> Response:
    return render("plan.html", lang, status_code=404, plan=None, keep_query="")


def _state(milestone: dict[str, Any]) -> str:
    if milestone["status"] == "COMPLETED":
        return "done"
    if milestone["status"] == "CANCELLED":
        return "cancelled"
    return "late" if milestone["isOverdue"] else "due"


def _milestones(commitments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every milestone with its commitment and state, by due date: the timeline as a list."""
    rows = [
        {**edge["node"], "state": _state(edge["node"]), "commitment": commitment}
        for commitment in commitments
        for edge in commitment["milestones"]["edges"]
    ]
    return sorted(rows, key=lambda row: (row["dueOn"], row["commitment"]["reference"]))


def _timeline(plan: dict[str, Any], commitments: list[dict[str, Any]], *, rtl: bool) -> dict[str, Any]:
    """Where each milestone, year and today fall: one row a commitment, time running with the
    page's direction (right to left in Arabic)."""
    days = [date.fromisoformat(plan["period"]["start"]), date.fromisoformat(plan["period"]["end"])]
    days += [date.fromisoformat(edge["node"]["dueOn"]) for c in commitments for edge in c["milestones"]["edges"]]
    today = local_today()  # the day isOverdue is judged by
    first, last = min(days), max(days)
    if first <= today <= last + timedelta(days=366):
        # Today's line shows how late a plan's last milestones are for a year after its end.
        last = max(last, today)
    span = max((last - first).days, 1)
    inner = WIDTH - LABEL - 20

    def x(day: date) -> float:
        along = LABEL + 10 + inner * (day - first).days / span
        return round(WIDTH - along if rtl else along, 1)

    marks = [
        Mark(
            x=x(date.fromisoformat(edge["node"]["dueOn"])),
            y=TOP + ROW * row + ROW / 2,
            state=_state(edge["node"]),
            title=edge["node"]["title"],
            due_on=edge["node"]["dueOn"],
        )
        for row, commitment in enumerate(commitments)
        for edge in commitment["milestones"]["edges"]
    ]
    years = [
        {"x": x(date(year, 1, 1)), "year": year}
        for year in range(first.year, last.year + 1)
        if first <= date(year, 1, 1) <= last
    ]
    height = TOP + ROW * max(len(commitments), 1) + 10
    return {
        "width": WIDTH,
        "height": height,
        "rows": [
            {"y": TOP + ROW * row + ROW / 2, "reference": commitment["reference"]}
            for row, commitment in enumerate(commitments)
        ],
        "label_x": WIDTH - 8 if rtl else 8,
        "marks": marks,
        "years": years,
        "today": x(today) if first <= today <= last else None,
        "bottom": height - 4,
    }


def _events(
    data: dict[str, Any], commitments: list[dict[str, Any]], plan: dict[str, Any], lang: str
) -> list[dict[str, Any]]:
    """The plan's recent events in a sentence each, their subjects named from the page's
    own reading (a subject gone since is named from its event's snapshot, or not at all)."""
    titles = {plan["id"]: plan["title"]}
    for commitment in commitments:
        titles[commitment["id"]] = commitment["title"]
        titles.update((edge["node"]["id"], edge["node"]["title"]) for edge in commitment["milestones"]["edges"])
        titles.update((edge["node"]["id"], edge["node"]["name"]) for edge in commitment["indicators"]["edges"])
    shown = []
    for edge in data["events"]["edges"]:
        event = edge["node"]
        event_data = event["data"] if isinstance(event["data"], dict) else {}
        title = titles.get(event["subjectId"])
        if title is None and decode_id(event["subjectId"])[0] in ("Comment", "Assessment"):
            # What a comment or an assessment is about: the chat messages' and the feed's label.
            title = titles.get(_commitment_id(event_data))
        envelope = Envelope(
            id=event["id"],
            type=event["type"],
            occurred_at=event["happenedAt"],
            subject_type="",
            subject_id=event["subjectId"],
            data=event_data,
            subject_title={lang: title} if title else envelopes.label_from_data(event_data),
        )
        shown.append(
            {
                "happenedAt": event["happenedAt"],
                "sentence": messages.sentence(envelope, lang, with_place=False),
                "attributes": own_language(messages.sentence_language(envelope, lang), lang),
            }
        )
    return shown


def _commitment_id(data: dict[str, Any]) -> str | None:
    """The global ID of the commitment an event's data names (comments, assessments), if any."""
    try:
        return encode_id("Commitment", uuid.UUID(str(data["commitmentId"])))
    except (KeyError, ValueError):
        return None
