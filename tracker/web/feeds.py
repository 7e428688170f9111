"""Atom 1.0 feeds of a collectivity's (or one plan's) public events, in the reader's language.

`GET /feeds/{slug}.atom` and `GET /feeds/{slug}/{plan id}.atom`; `?lang=` or Accept-Language
choose the language; `?before=<sequence>` pages back from that entry (the feed links to the next
page). Entries come newest first by when their fact happened (an imported completion keeps its
date), and what loading the demo or a plan file created is left out (docs/events.md).
Conditional GET: the ETag covers the newest event, so an unchanged feed answers 304.

A browser that navigates to a feed (`Sec-Fetch-Dest: document`, or an Accept header preferring
text/html to Atom) gets a page in the feed's language listing the entries and saying how to
subscribe; feed readers get Atom. Both vary on those headers (`Vary`). Browsers are moving away
from XSLT, so the page is rendered here rather than by an XSL stylesheet.
Texts that fell back to another language than the feed's carry their own language: xml:lang
in Atom, lang and dir in the page.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response

from integrations.envelope import Envelope
from integrations.webhooks import messages
from tracker import i18n
from tracker.access import ANONYMOUS, can_read_plan, readable_events, shown_event_data
from tracker.db import Database
from tracker.errors import BadInput
from tracker.events import envelopes
from tracker.ids import decode_id
from tracker.models import ActionPlan, Collectivity, OutboxEvent
from tracker.web.pages import rendering
from tracker.web.read_cache import etag_matches

ATOM = "http://www.w3.org/2005/Atom"
PAGE = 50
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ATOM_TYPES = ("application/atom+xml", "application/xml", "text/xml")
VARY = "Accept, Sec-Fetch-Dest, Accept-Language"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Sequences are positive 64-bit integers (BIGINT): anything else is no position in the feed.
_SEQUENCE = re.compile(r"[0-9]{1,19}")
_MAX_SEQUENCE = 2**63 - 1
# The shape of a slug, checked before any query (a NUL byte is refused by PostgreSQL itself).
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

ET.register_namespace("", ATOM)


def moment(event: OutboxEvent) -> datetime:
    """When an entry's fact happened: its own time for a loaded fact, else when it was committed."""
    return event.happened_at or event.occurred_at


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _etag(*parts: object) -> str:
    """Changes when a newer event joins the page's scope, or the language or page changes."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _quality(accept: str, media_type: str) -> float:
    """The q-value `accept` gives `media_type`, from its most specific matching range (RFC 9110)."""
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        name = pieces[0].lower()
        specificity = 2 if name == media_type else 1 if name == f"{kind}/*" else 0 if name == "*/*" else -1
        if specificity < 0:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, (specificity, quality), key=lambda pair: pair[0])
    return best[1]


def wants_page(request: Request) -> bool:
    """Whether a person's browser is asking (a page), rather than a feed reader (Atom).

    A navigation (`Sec-Fetch-Dest: document`) gets the page unless its Accept prefers Atom; any
    other request gets it only when its Accept ranks text/html above every Atom type, so a reader
    that sends no Accept, or `*/*`, keeps getting Atom."""
    accept = request.headers.get("accept", "")
    html = _quality(accept, "text/html") if accept else 0.0
    atom = max((_quality(accept, kind) for kind in ATOM_TYPES), default=0.0) if accept else 1.0
    if request.headers.get("sec-fetch-dest", "").lower() == "document":
        return not accept or html >= atom
    return html > atom


def _not_found(message: str) -> Response:
    return Response(message, status_code=404, media_type="text/plain; charset=utf-8")


def _bad_request(message: str) -> Response:
    return Response(message, status_code=400, media_type="text/plain; charset=utf-8")


def _sequence(value: str) -> int | None:
    """A `before` parameter as a sequence number, or None when it is not one."""
    if not _SEQUENCE.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= _MAX_SEQUENCE else None


async def feed(request: Request) -> Response:
    db: Database = request.app.state.db
    base_url: str = request.app.state.settings.base_url.rstrip("/")
    slug = request.path_params["slug"]
    if not _SLUG.fullmatch(slug):
        return _not_found(f"no collectivity {slug!r}")
    lang_param = request.query_params.get("lang")
    if lang_param is not None and not i18n.is_valid_tag(lang_param):
        return _bad_request("lang must be a language tag such as ar or fr")
    order = i18n.preference(lang_param, i18n.parse_accept_language(request.headers.get("accept-language")))
    lang = order[0]
    before_param = request.query_params.get("before")
    before = None if before_param is None else _sequence(before_param)
    if before_param is not None and before is None:
        return _bad_request(f"before must be an event sequence number from 1 to {_MAX_SEQUENCE}")
    async with db.reader() as session:
        place = (await session.exec(select(Collectivity).where(Collectivity.slug == slug))).first()
        if place is None:
            return _not_found(f"no collectivity {slug!r}")
        # Feeds are public documents, cached by anyone: they show what anonymous readers may read.
        query = select(OutboxEvent).where(
            OutboxEvent.collectivity_id == place.id, col(OutboxEvent.announced).is_(True), readable_events(ANONYMOUS)
        )
        plan: ActionPlan | None = None
        plan_param = request.path_params.get("plan")
        if plan_param is not None:
            try:
                plan_key = decode_id(plan_param, field="plan", expect="ActionPlan")[1]
            except BadInput:
                return _not_found("no such plan")
            plan = await session.get(ActionPlan, plan_key)
            if (
                plan is None
                or plan.collectivity_id != place.id
                or not can_read_plan(ANONYMOUS, status=plan.status, collectivity_id=plan.collectivity_id)
            ):
                return _not_found("no such plan")
            query = query.where(OutboxEvent.plan_id == plan.id)
        happened = func.coalesce(col(OutboxEvent.happened_at), col(OutboxEvent.occurred_at))
        if before is not None:
            anchor = await session.get(OutboxEvent, before)
            if anchor is None:
                query = query.where(col(OutboxEvent.seq) < before)
            else:
                at = moment(anchor)
                query = query.where(or_(happened < at, and_(happened == at, col(OutboxEvent.seq) < before)))
        scope = query.subquery()
        newest = (await session.exec(select(func.max(scope.c.seq), func.count()).select_from(scope))).one()
        page_wanted = wants_page(request)
        etag = _etag(request.url.path, lang, before_param, "html" if page_wanted else "atom", *newest)
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag, "Vary": VARY})
        ordered = query.order_by(happened.desc(), col(OutboxEvent.seq).desc())
        rows = list((await session.exec(ordered.limit(PAGE + 1))).all())
        page, more = rows[:PAGE], len(rows) > PAGE
        built = await envelopes.build(session, page, base_url)
    self_url = f"{base_url}{request.url.path}?lang={lang}" + (f"&before={before_param}" if before_param else "")
    name = i18n.pick(place.name, order) or place.slug
    name_lang = i18n.pick_language(place.name, order) or lang
    title = f"{name} - {i18n.pick(plan.title, order)}" if plan else name
    title_lang = (i18n.pick_language(plan.title, order) or lang) if plan and name_lang == lang else name_lang
    next_url = f"{base_url}{request.url.path}?lang={lang}&before={page[-1].seq}" if more else None
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60", "Vary": VARY}
    envelopes_shown = [dataclasses.replace(built[event.id], data=shown_event_data(ANONYMOUS, event)) for event in page]
    if page_wanted:
        html = _page(
            lang=lang,
            title=title,
            title_lang=title_lang,
            feed_url=f"{base_url}{request.url.path}?lang={lang}",
            dashboard_url=f"{base_url}/c/{place.slug}?lang={lang}",
            next_url=next_url,
            events=page,
            shown=envelopes_shown,
        )
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)
    root = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: lang})
    _element(root, "id", f"{base_url}{request.url.path}")
    _text(root, "title", title, title_lang, lang)
    _element(root, "updated", _iso(moment(page[0]) if page else place.updated_at))
    author = _element(root, "author")
    _element(author, "name", name)
    _element(root, "link", rel="self", href=self_url, type="application/atom+xml")
    _element(root, "link", rel="alternate", href=f"{base_url}/c/{place.slug}", type="text/html")
    if next_url:
        _element(root, "link", rel="next", href=next_url, type="application/atom+xml")
    _element(root, "generator", messages.tracker_name(lang))
    for event, envelope in zip(page, envelopes_shown, strict=True):
        wording = messages.sentence_language(envelope, lang)
        entry = _element(root, "entry")
        _element(entry, "id", uuid.UUID(str(event.id)).urn)
        _text(entry, "title", messages.sentence(envelope, lang, with_place=False), wording, lang)
        _element(entry, "updated", _iso(moment(event)))
        _element(entry, "published", _iso(moment(event)))
        _element(entry, "category", term=event.type)
        if envelope.dashboard_url:
            _element(entry, "link", rel="alternate", href=envelope.dashboard_url, type="text/html")
        _text(entry, "content", messages.sentence(envelope, lang), wording, lang, type="text")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _text(parent: ET.Element, tag: str, text: str, text_lang: str, feed_lang: str, **attributes: str) -> ET.Element:
    """A text element, with its own xml:lang when it fell back to another language than the feed's."""
    if text_lang != feed_lang:
        attributes[XML_LANG] = text_lang
    return _element(parent, tag, text, **attributes)


def _page(
    *,
    lang: str,
    title: str,
    title_lang: str,
    feed_url: str,
    dashboard_url: str,
    next_url: str | None,
    events: list[OutboxEvent],
    shown: list[Envelope],
) -> str:
    """The feed as a page for a person: how to subscribe, then the entries."""
    entries = [
        {
            "type": event.type,
            "at": _iso(moment(event)),
            "day": moment(event).date().isoformat(),
            "text": messages.sentence(envelope, lang),
            "attributes": rendering.own_language(messages.sentence_language(envelope, lang), lang),
            "link": envelope.dashboard_url,
        }
        for event, envelope in zip(events, shown, strict=True)
    ]
    return rendering.TEMPLATES.get_template("feed.html").render(
        **rendering.render_context(lang),
        title={"text": title, "attributes": rendering.own_language(title_lang, lang)},
        feed_url=feed_url,
        dashboard_url=dashboard_url,
        next_url=next_url,
        entries=entries,
    )
