"""A commitment's permalink (`GET /commitments/{commitmentId}`, the API's global ID): everything
the API shows an anonymous reader about it, on one page read through one GraphQL document.

The milestone timeline and the indicator charts are drawn here as geometry for inline SVG (no
script); both are decorative copies of figures the page also gives as text, so they are hidden
from assistive technologies.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from integrations.webhooks.messages import sentence
from integrations.wording import NP_, day
from tracker.errors import BadInput
from tracker.ids import decode_id
from tracker.progress import awaits_confirmation
from tracker.services.common import today
from tracker.web.pages import paging
from tracker.web.pages.rendering import oembed_link, read, reader_language, render

# Longer than any global ID of the API (base64 of a type name and a uuid).
MAX_ID_LENGTH = 120
# Pages of the lists the page shows; the API's own cap is 100. Comments (threads) and history
# are paged (`?comments=`, `?history=`); the others show their first page and say how many more.
MILESTONES, INDICATORS, MEASUREMENTS, EVIDENCE, COMMENTS, REPLIES, ASSESSMENTS, HISTORY = (
    100,
    20,
    24,
    50,
    30,
    10,
    20,
    20,
)

_COMMENT = "id createdAt authorRole bodyHtml moderation { reason hiddenAt } authorBody { name(lang: $lang) }"

COMMITMENT = f"""
query Commitment($id: ID!, $lang: String, $commentsAfter: String, $historyAfter: String) {{
  node(id: $id) {{
    ... on Commitment {{
      id reference title(lang: $lang) description(lang: $lang) status progress ogpValues
      leadUnit(lang: $lang) partners
      plan {{ id title(lang: $lang) status period {{ start end }} collectivity {{ slug name(lang: $lang) }} }}
      milestones(first: {MILESTONES}) {{
        totalCount nodes {{ id title(lang: $lang) dueOn status completedOn weight isOverdue }}
      }}
      indicators(first: {INDICATORS}) {{
        totalCount
        nodes {{
          id name(lang: $lang) unit baseline target direction progress
          measurements(first: {MEASUREMENTS}) {{ totalCount nodes {{ value observedAt note origin }} }}
        }}
      }}
      evidence(first: {EVIDENCE}) {{
        totalCount nodes {{ id url kind title(lang: $lang) publishedAt origin addedAt }}
      }}
      comments(first: {COMMENTS}, after: $commentsAfter) {{
        totalCount
        nodes {{
          {_COMMENT}
          replies(first: {REPLIES}) {{
            totalCount
            nodes {{
              {_COMMENT}
              replies(first: {REPLIES}) {{
                totalCount
                nodes {{ {_COMMENT} replies(first: 1) {{ totalCount }} }}
              }}
            }}
          }}
        }}
      }}
      assessments(first: {ASSESSMENTS}) {{
        totalCount
        nodes {{
          id status completion potentialImpact openedGovernment rationale publishedAt body {{ name(lang: $lang) }}
        }}
      }}
      history(first: {HISTORY}, after: $historyAfter) {{
        totalCount nodes {{ id occurredAt action changes {{ field before after }} }}
      }}
    }}
  }}
}}
"""

# What the page names that the shared wording does not: evidence kinds, where a value or a piece
# of evidence came from, and OGP's IRM scales for assessments (in scale order).
EVIDENCE_KINDS: dict[str, str] = {
    "DOCUMENT": NP_("evidence kind", "Document"),
    "DATASET": NP_("evidence kind", "Dataset"),
    "NEWS": NP_("evidence kind", "News"),
    "WEB_PAGE": NP_("evidence kind", "Web page"),
    "AWARD": NP_("evidence kind", "Award"),
    "DECISION": NP_("evidence kind", "Decision"),
    "OTHER": NP_("evidence kind", "Other"),
}
ORIGINS: dict[str, str] = {
    "MANUAL": NP_("origin", "Typed in by the collectivity"),
    "SOURCE": NP_("origin", "Retrieved automatically from a source"),
    "IMPORT": NP_("origin", "Imported from the plan file"),
}
COMPLETION: dict[str, str] = {
    "NOT_STARTED": NP_("OGP completion", "Not started"),
    "LIMITED": NP_("OGP completion", "Limited"),
    "SUBSTANTIAL": NP_("OGP completion", "Substantial"),
    "COMPLETE": NP_("OGP completion", "Complete"),
}
POTENTIAL_IMPACT: dict[str, str] = {
    "NONE": NP_("OGP potential impact", "None"),
    "MINOR": NP_("OGP potential impact", "Minor"),
    "MODERATE": NP_("OGP potential impact", "Moderate"),
    "TRANSFORMATIVE": NP_("OGP potential impact", "Transformative"),
}
OPENED_GOVERNMENT: dict[str, str] = {
    "WORSENED": NP_("OGP opened government", "Worsened"),
    "DID_NOT_CHANGE": NP_("OGP opened government", "Did not change"),
    "MARGINAL": NP_("OGP opened government", "Marginal"),
    "MAJOR": NP_("OGP opened government", "Major"),
    "OUTSTANDING": NP_("OGP opened government", "Outstanding"),
}
SCALES: dict[str, tuple[str, dict[str, str]]] = {
    "completion": ("OGP completion", COMPLETION),
    "potentialImpact": ("OGP potential impact", POTENTIAL_IMPACT),
    "openedGovernment": ("OGP opened government", OPENED_GOVERNMENT),
}


def commitment_key(value: str) -> str | None:
    """`value` when it could be a commitment's global ID; anything else is unknown without asking."""
    if len(value) > MAX_ID_LENGTH:
        return None
    try:
        decode_id(value, expect="Commitment")
    except (BadInput, binascii.Error, ValueError):
        return None
    return value


async def commitment_page(request: Request) -> Response:
    lang = reader_language(request)
    key = commitment_key(request.path_params["commitment_id"])
    try:
        numbers = {name: paging.page_number(request, name) for name in ("comments", "history")}
    except paging.BadPage as error:
        return paging.bad_page(lang, error)
    commitment = None
    if key is not None:
        variables = {
            "id": key,
            "lang": lang,
            "commentsAfter": paging.after(numbers["comments"], COMMENTS),
            "historyAfter": paging.after(numbers["history"], HISTORY),
        }
        data = await read(request, COMMITMENT, variables, lang)
        if isinstance(data, Response):
            return data
        # A node of another type (impossible past decode_id, but cheap to refuse) reads as empty.
        commitment = data.get("node") or None
        if commitment is not None and "reference" not in commitment:
            commitment = None
    if commitment is None:
        return render("commitment.html", lang, status_code=404, c=None, keep_query="")
    rtl = lang == "ar"
    comments, history = (
        paging.Window.of(request, name, numbers[name], size, commitment[name])
        for name, size in (("comments", COMMENTS), ("history", HISTORY))
    )
    return render(
        "commitment.html",
        lang,
        status_code=max(comments.status_code, history.status_code),
        comments_window=comments,
        history_window=history,
        c=commitment,
        keep_query="",
        today=today(),
        timeline=timeline(commitment, today(), rtl=rtl),
        charts={
            item["id"]: chart(item, commitment["plan"]["period"], rtl=rtl) for item in commitment["indicators"]["nodes"]
        },
        history=[history_line(entry, commitment["title"], lang) for entry in commitment["history"]["nodes"]],
        paragraphs=paragraphs(commitment.get("description")),
        host=host,
        block_directions=block_directions,
        scales=SCALES,
        evidence_kinds=EVIDENCE_KINDS,
        origins=ORIGINS,
        all_done=all_counted_done(commitment),
        oembed=oembed_link(request, f"/commitments/{key}"),
    )


def all_counted_done(commitment: dict[str, Any]) -> bool:
    """`progress.awaits_confirmation` of a commitment as the pages read it."""
    milestones = commitment["milestones"]
    nodes = milestones["nodes"] if "nodes" in milestones else [edge["node"] for edge in milestones["edges"]]
    return awaits_confirmation(status=commitment["status"], milestone_statuses=[item["status"] for item in nodes])


def paragraphs(text: str | None) -> list[str]:
    """A description as plain paragraphs (the API gives plain text; blank lines part them)."""
    if not text:
        return []
    return [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]


def block_directions(html: str) -> Markup:
    """The API's comment HTML with each block reading in its own direction: a comment often
    says the same in Arabic, then in French. Raw HTML in a comment is escaped by the API's
    Markdown renderer, so these tags can only be its own."""
    for tag in ("p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"):
        html = html.replace(f"<{tag}>", f'<{tag} dir="auto">')
    return Markup(html)


def host(url: str) -> str:
    """Where a piece of evidence is published, as its site's name (`tafra.ma`)."""
    try:
        name = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return name.removeprefix("www.")


def history_line(entry: dict[str, Any], title: str, lang: str) -> dict[str, Any]:
    """One public change in a sentence, worded as feeds and chat word the same event."""
    changes = {item["field"]: {"before": item["before"], "after": item["after"]} for item in entry["changes"]}
    envelope = SimpleNamespace(
        type=entry["action"], data={**changes, "changes": changes}, subject_title={lang: title}, collectivity_name=None
    )
    return {"at": entry["occurredAt"], "text": sentence(envelope, lang, with_place=False)}


# Timeline and charts: SVG user units, scaled to the page's width by the viewBox.
WIDTH = 600
ROW = 18
MARGIN = 24


@dataclass(frozen=True)
class Axis:
    """Days mapped onto the width between the margins, right to left on a right-to-left page."""

    start: date
    end: date
    rtl: bool

    def x(self, value: date) -> float:
        span = max((self.end - self.start).days, 1)
        share = (value - self.start).days / span
        position = MARGIN + share * (WIDTH - 2 * MARGIN)
        return round(WIDTH - position if self.rtl else position, 1)

    def years(self) -> list[tuple[float, int]]:
        """Where each first of January falls, for the axis's ticks."""
        return [
            (self.x(date(year, 1, 1)), year)
            for year in range(self.start.year, self.end.year + 1)
            if self.start <= date(year, 1, 1) <= self.end
        ]


def _axis(days: list[date], rtl: bool) -> Axis:
    start, end = min(days), max(days)
    if start == end:
        start, end = start - timedelta(days=30), end + timedelta(days=30)
    return Axis(start, end, rtl)


def timeline(commitment: dict[str, Any], now: date, *, rtl: bool) -> dict[str, Any]:
    """Each milestone on its own row at its due date, a completion mark where it was completed,
    and today's line, over the plan's period (stretched to hold every date shown)."""
    period = commitment["plan"]["period"]
    milestones = commitment["milestones"]["nodes"]
    days = [d for d in (day(period["start"]), day(period["end"]), now) if d is not None]
    days += [d for item in milestones for d in (day(item["dueOn"]), day(item["completedOn"])) if d is not None]
    axis = _axis(days, rtl)
    rows = []
    for index, item in enumerate(milestones):
        due, done = day(item["dueOn"]), day(item["completedOn"])
        state = (
            "done"
            if item["status"] == "COMPLETED"
            else "cancelled"
            if item["status"] == "CANCELLED"
            else "late"
            if item["isOverdue"]
            else "pending"
        )
        rows.append(
            {
                "y": MARGIN + index * ROW,
                "due": axis.x(due) if due else None,
                "done": axis.x(done) if done and state == "done" else None,
                "state": state,
            }
        )
    height = MARGIN * 2 + max(len(milestones) - 1, 0) * ROW + 8
    return {
        "width": WIDTH,
        "height": height,
        "rows": rows,
        "ticks": axis.years(),
        "today": axis.x(now),
        "axis_y": height - MARGIN + 6,
        "start": MARGIN,
        "end": WIDTH - MARGIN,
    }


CHART_HEIGHT = 140


def chart(indicator: dict[str, Any], period: dict[str, Any], *, rtl: bool) -> dict[str, Any]:
    """An indicator's measurements over time, against its baseline and target lines."""
    measured = sorted(
        ((d, item["value"]) for item in indicator["measurements"]["nodes"] if (d := day(item["observedAt"]))),
        key=lambda pair: pair[0],
    )
    days = [d for d in (day(period["start"]), day(period["end"])) if d is not None] + [d for d, _ in measured]
    axis = _axis(days, rtl)
    values: list[float] = [indicator["baseline"], indicator["target"], *(value for _, value in measured)]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    top, bottom = 16, CHART_HEIGHT - 24

    def y(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * (bottom - top), 1)

    points = [(axis.x(d), y(value)) for d, value in measured]
    return {
        "width": WIDTH,
        "height": CHART_HEIGHT,
        "baseline": y(indicator["baseline"]),
        "target": y(indicator["target"]),
        "points": points,
        "line": " ".join(f"{px},{py}" for px, py in points),
        "ticks": axis.years(),
        "axis_y": bottom + 6,
        # Where the baseline's and the target's values are written, at the axis's start.
        "label_x": WIDTH - MARGIN if rtl else MARGIN,
        "start": MARGIN,
        "end": WIDTH - MARGIN,
    }
