"""Cards for an iframe on a collectivity's own site: a commitment (`GET /embed/commitments/{id}`)
and a collectivity's current plan (`GET /embed/c/{slug}`). The only pages another site may
frame (`EMBED_POLICY`), read like every page with an anonymous reader's rights: what the card
shows, or refuses to show, is what the commitment's or the collectivity's own page would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tracker.web.pages.commitment import all_counted_done, commitment_key
from tracker.web.pages.rendering import known_slug, read, reader_language, render
from tracker.web.security_headers import EMBED_POLICY

# The same first page of milestones as the commitment's page, so that both decide "all
# milestones completed" on the same ones.
MILESTONES = 100
COMMITMENT = f"""
query EmbedCommitment($id: ID!, $lang: String) {{
  node(id: $id) {{
    ... on Commitment {{
      id reference title(lang: $lang) status progress
      plan {{ id title(lang: $lang) collectivity {{ slug name(lang: $lang) }} }}
      milestones(first: {MILESTONES}) {{ nodes {{ title(lang: $lang) dueOn status isOverdue }} }}
    }}
  }}
}}
"""

# Commitments counted by status in SQL (one total a status), whatever the plan's length.
STATUSES = ("NOT_STARTED", "IN_PROGRESS", "DELAYED", "COMPLETED", "CANCELLED")
_COUNTS = " ".join(
    f"{status}: commitments(filter: {{status: [{status}]}}, first: 0) {{ totalCount }}" for status in STATUSES
)
COLLECTIVITY = f"""
query EmbedCollectivity($slug: String!, $lang: String) {{
  collectivity(slug: $slug) {{
    slug name(lang: $lang) overdueMilestoneCount
    currentPlan {{
      id title(lang: $lang) period {{ start end }} progress
      commitments(first: 0) {{ totalCount }}
      {_COUNTS}
    }}
  }}
}}
"""

CLOSED = ("COMPLETED", "CANCELLED")


Reader = Callable[[Request, str, str], Awaitable[dict[str, Any] | Response | None]]
Values = Callable[[dict[str, Any] | None], dict[str, Any]]


async def _card(request: Request, template: str, read_subject: Reader, key: str, values: Values) -> Response:
    """The card of what `key` names (read by `read_subject`, shown by `template` with `values`
    of it), not found where its page would be."""
    lang = reader_language(request)
    subject = await read_subject(request, key, lang)
    if isinstance(subject, Response):
        return framable(subject)
    return framable(render(template, lang, status_code=200 if subject else 404, **values(subject)))


def framable(response: Response) -> Response:
    """Any answer of an embed, a refusal included, may show inside another site's frame."""
    response.headers["Content-Security-Policy"] = EMBED_POLICY
    return response


async def commitment_embed(request: Request) -> Response:
    key = request.path_params["commitment_id"]
    return await _card(request, "embed_commitment.html", read_commitment, key, _commitment_values)


def _commitment_values(commitment: dict[str, Any] | None) -> dict[str, Any]:
    if commitment is None:
        return {"c": None}
    open_ = [item for item in commitment["milestones"]["nodes"] if item["status"] not in CLOSED]
    return {
        "c": commitment,
        "all_done": all_counted_done(commitment),
        # Milestones come by due date: the first open one not yet late is the next due.
        "upcoming": next((item for item in open_ if not item["isOverdue"] and item["dueOn"]), None),
        "overdue": sum(1 for item in open_ if item["isOverdue"]),
    }


async def read_commitment(request: Request, value: str, lang: str) -> dict[str, Any] | Response | None:
    """The card's commitment, None when an anonymous reader may not see it (or it does not exist),
    or the error page to answer instead."""
    key = commitment_key(value)
    if key is None:
        return None
    data = await read(request, COMMITMENT, {"id": key, "lang": lang}, lang)
    if isinstance(data, Response):
        return data
    commitment: dict[str, Any] | None = data.get("node") or None
    # A node of another type reads as an object without a reference.
    if commitment is None or "reference" not in commitment:
        return None
    return commitment


async def collectivity_embed(request: Request) -> Response:
    key = request.path_params["slug"]
    return await _card(request, "embed_collectivity.html", read_collectivity, key, _collectivity_values)


def _collectivity_values(place: dict[str, Any] | None) -> dict[str, Any]:
    plan = place and place["currentPlan"]
    counts = [(status, plan[status]["totalCount"]) for status in STATUSES if plan and plan[status]["totalCount"]]
    return {"place": place, "statuses": counts}


async def read_collectivity(request: Request, slug: str, lang: str) -> dict[str, Any] | Response | None:
    """The card's collectivity, None when there is none by that slug, or the error page to answer."""
    if not known_slug(slug):
        return None
    data = await read(request, COLLECTIVITY, {"slug": slug, "lang": lang}, lang)
    if isinstance(data, Response):
        return data
    place: dict[str, Any] | None = data.get("collectivity") or None
    return place
