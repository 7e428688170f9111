"""Deadline calendars (`GET /feeds/{slug}.ics`): every milestone due date of a collectivity's
public plans, as iCalendar (RFC 5545, with RFC 7986's calendar properties), for a subscription
from Google Calendar, Apple Calendar, Thunderbird or Outlook.

The calendar reads through the GraphQL schema with anonymous rights, as the dashboard does, so it
shows exactly what the API shows anonymous readers (no draft plan), paging through the
`milestones(collectivitySlug:)` connection to the last milestone. Each milestone is one all-day
event on its due date; its UID is the milestone's global id, so an event moves in the
subscriber's calendar when its milestone moves instead of appearing twice. Texts are in the
reader's language (`?lang=`, else Accept-Language; a malformed `lang` is ignored, as on the
dashboard). The answer is the same bytes for the same data, so its ETag is a digest of them and
an unchanged calendar answers 304.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import STATUS, TRANSP, Calendar, Event, vDuration
from starlette.requests import Request
from starlette.responses import Response

from integrations import wording
from integrations.webhooks import messages
from tracker import i18n
from tracker.access import ANONYMOUS
from tracker.api.core.context import Context
from tracker.errors import ErrorCode
from tracker.services.common import today
from tracker.web.pages.rendering import known_slug, reader_language
from tracker.web.read_cache import ReadCache, etag_matches
from tracker.web.unavailable import RETRY_AFTER_SECONDS, database_answers, has_code

MEDIA_TYPE = "text/calendar; charset=utf-8"
VARY = "Accept-Language"
# How often calendar applications are asked to fetch the calendar again; each decides how
# closely it follows REFRESH-INTERVAL or X-PUBLISHED-TTL.
REFRESH = timedelta(hours=1)
# Fixed rather than the deployment's host: a UID that changed with the base URL would duplicate
# every event in existing subscriptions.
UID_DOMAIN = "milestones.openness-tracker"
# Dates in Moroccan time; all-day events carry no time, and this names the calendar's zone for
# the applications that read it (Apple Calendar, Outlook).
TIMEZONE = "Africa/Casablanca"
# The largest page of a connection (tracker.api.core.relay.MAX_PAGE).
PAGE = 100
# The stamp of a calendar whose changes anonymous readers may not see (no public event yet):
# fixed, so that the calendar's bytes, and its ETag, stay the same while its data does.
UNKNOWN_TIME = datetime(2000, 1, 1, tzinfo=UTC)

DOCUMENT = """
query Calendar($slug: String!, $lang: String, $first: Int!, $after: String) {
  collectivity(slug: $slug) { name(lang: $lang) }
  events(filter: {collectivitySlug: $slug}, first: 1) { nodes { occurredAt } }
  milestones(collectivitySlug: $slug, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id title(lang: $lang) dueOn status completedOn isOverdue
      commitment { reference title(lang: $lang) plan { id title(lang: $lang) } }
    }
  }
}
"""

RLM = "\u200f"


@dataclass(frozen=True, slots=True)
class _Read:
    """What the API answered: the collectivity's name, or None when there is no such collectivity."""

    name: str | None
    milestones: list[dict[str, Any]]
    # The newest change anonymous readers can see in the collectivity: when the calendar's data
    # was last revised, as DTSTAMP means for a published calendar.
    revised: datetime


class _Failed(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _read(request: Request, slug: str, lang: str) -> _Read:
    """Every milestone the API shows anonymous readers, page after page, each once."""
    context = Context(
        db=request.app.state.db, settings=request.app.state.settings, principal=ANONYMOUS, accept_languages=(lang,)
    )
    name: str | None = None
    revised = UNKNOWN_TIME
    seen: dict[str, dict[str, Any]] = {}
    after: str | None = None
    try:
        while True:
            variables = {"slug": slug, "lang": lang, "first": PAGE, "after": after}
            result = await request.app.state.schema.execute(DOCUMENT, variable_values=variables, context_value=context)
            if result.errors:
                raise _Failed(await _failure(request, result.errors))
            data = result.data or {}
            if data["collectivity"] is None:
                return _Read(name=None, milestones=[], revised=UNKNOWN_TIME)
            name = data["collectivity"]["name"]
            if after is None and data["events"]["nodes"]:
                revised = _time(data["events"]["nodes"][0]["occurredAt"])
            page = data["milestones"]
            # Pages are separate reads: a milestone moved between two of them may come twice.
            for node in page["nodes"]:
                seen.setdefault(node["id"], node)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    finally:
        await context.close()
    milestones = sorted(seen.values(), key=lambda node: (node["dueOn"], node["id"]))
    return _Read(name=name, milestones=milestones, revised=revised)


async def _failure(request: Request, errors: Any) -> Response:
    """A busy or unreachable database is 503 with Retry-After; anything else is ours, 500."""
    if not has_code(errors, ErrorCode.UNAVAILABLE) and await database_answers(request.app.state.db):
        return Response("internal error", status_code=500, media_type="text/plain; charset=utf-8")
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return Response("service unavailable", status_code=503, media_type="text/plain; charset=utf-8", headers=retry)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _summary(reference: str, title: str, lang: str) -> str:
    """The reference, then the title. An Arabic title starts with a right-to-left mark: plain text
    takes its direction from its first letter, which would otherwise be the Latin reference's, and
    set the Arabic line left to right."""
    mark = RLM if i18n.written_language(title, i18n.preference(lang)) == "ar" else ""
    return f"{mark}{reference} · {title}"


def _event(milestone: dict[str, Any], *, lang: str, place_url: str, stamp: datetime) -> Event:
    commitment = milestone["commitment"]
    plan_url = f"{place_url}/plans/{commitment['plan']['id']}?lang={lang}"
    words = wording.for_language(lang)
    status = words.status(milestone["status"])
    categories = [status, commitment["reference"]]
    if milestone["completedOn"] and milestone["status"] == "COMPLETED":
        completed = words.format_date(milestone["completedOn"])
        status = words.gettext("{status} on {date}").format(status=status, date=completed)
    if milestone["isOverdue"]:
        overdue = words.gettext("Overdue")
        status = f"{status} · {overdue}"
        categories.append(overdue)
    description = "\n".join(
        (
            words.gettext("Status: {status}").format(status=status),
            words.gettext("Commitment {reference}: {title}").format(
                reference=commitment["reference"], title=commitment["title"]
            ),
            words.gettext("Plan: {title}").format(title=commitment["plan"]["title"]),
            plan_url,
        )
    )
    due = date.fromisoformat(milestone["dueOn"])
    # No SEQUENCE or LAST-MODIFIED: a subscribed calendar is read again whole, and a milestone's
    # own revisions would cost a history read per milestone on every request.
    return Event.new(
        uid=f"{milestone['id']}@{UID_DOMAIN}",
        stamp=stamp,
        start=due,
        end=due + timedelta(days=1),
        summary=_summary(commitment["reference"], milestone["title"], lang),
        description=description,
        url=plan_url,
        categories=categories,
        status=STATUS.CANCELLED if milestone["status"] == "CANCELLED" else None,
        # A deadline does not make anyone busy that day.
        transparency=TRANSP.TRANSPARENT,
    )


def _calendar(read: _Read, *, slug: str, lang: str, base_url: str, self_url: str) -> Calendar:
    place = read.name or slug
    words = wording.for_language(lang)
    place_url = f"{base_url}/c/{slug}"
    calendar = Calendar.new(
        prodid=f"-//{messages.tracker_name('en')}//Deadline calendar//{lang.upper()}",
        uid=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{slug}.{UID_DOMAIN}")),
        name=words.gettext("Deadlines - {place}").format(place=place),
        description=words.gettext("Milestone due dates of the published openness plans - {place}").format(place=place),
        calscale="GREGORIAN",
        method="PUBLISH",
        url=f"{place_url}?lang={lang}",
        source=self_url,
        subcomponents=[
            _event(milestone, lang=lang, place_url=place_url, stamp=read.revised) for milestone in read.milestones
        ],
    )
    calendar.add("x-wr-timezone", TIMEZONE)
    # icalendar writes REFRESH-INTERVAL without the VALUE=DURATION parameter RFC 7986 requires.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    return calendar


async def calendar(request: Request) -> Response:
    base_url: str = request.app.state.settings.base_url.rstrip("/")
    slug: str = request.path_params["slug"]
    lang = reader_language(request)
    if not known_slug(slug):
        return Response("no such collectivity", status_code=404, media_type="text/plain; charset=utf-8")
    # Kept in the read cache until anything changes (or the day does: "overdue" moves with it):
    # a calendar of a thousand milestones takes long to build, and applications poll it.
    cache: ReadCache = request.app.state.persisted.cache
    key = hashlib.blake2b(f"ics\0{slug}\0{lang}\0{today()}".encode(), digest_size=16).digest()
    answer = cache.get(key)
    if answer is None:
        started = cache.version
        try:
            read = await _read(request, slug, lang)
        except _Failed as failed:
            return failed.response
        if read.name is None:
            return Response(f"no collectivity {slug}", status_code=404, media_type="text/plain; charset=utf-8")
        self_url = f"{base_url}/feeds/{slug}.ics?lang={lang}"
        body = _calendar(read, slug=slug, lang=lang, base_url=base_url, self_url=self_url).to_ical()
        answer = cache.put(key, body, media_type=MEDIA_TYPE, collectivities=None, started_at=started)
    headers = {"ETag": answer.etag, "Cache-Control": "public, max-age=60", "Vary": VARY}
    if etag_matches(request.headers.get("if-none-match"), answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=MEDIA_TYPE, headers=headers)
