"""One human sentence per event, in Arabic, French, English and Tamazight, for chat platforms and feeds.

Pure and total: any envelope and any language give a sentence, never an exception. Labels
(subject title, collectivity name) are picked in the language asked, then Arabic, French,
English, Tamazight, then any. An unknown language is read as Arabic, the tracker's default.

The wording comes from the tracker's message catalogs (`integrations.wording`), shared with the
public pages: a status reads the same in a chat message, a feed and a page. Dates and numbers are
formatted per locale by Babel. Tamazight (zgh) sentences are French until a translator has
checked a Tifinagh wording (see `integrations.wording`); names and titles stored in Tifinagh are
still shown in Tifinagh.

Interpolated values are wrapped in Unicode isolates (FSI ... PDI) in Arabic sentences, and in any
sentence when the value holds right-to-left letters, so a Latin title inside Arabic text, or an
Arabic title inside French text, keeps the sentence readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integrations.wording import N_, NP_, RTL_LANGUAGES, Wording, day, for_language, language

_MAX_LABEL = 2000
_MAX_DETAIL = 300
_FSI, _PDI = "\u2068", "\u2069"
# Bidi controls and line breaks in stored text could flip or split the sentence around them.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
# The order labels (titles, names) are picked in after the language asked.
_LABEL_ORDER = ("ar", "fr", "en", "zgh")

# What happened, per event type: `%(title)s` is the subject's label, already quoted; the other
# fields are filled only when the event's data holds them, else left empty.
SENTENCES: dict[str, str] = {
    "collectivity.created": N_("Collectivity %(title)s was added to the tracker."),
    "collectivity.updated": N_("Collectivity %(title)s was updated%(changes)s."),
    "body.created": N_("Consultative body %(title)s was created."),
    "body.updated": N_("Consultative body %(title)s was updated%(changes)s."),
    "plan.created": N_("Plan %(title)s was created."),
    "plan.updated": N_("Plan %(title)s was updated%(changes)s."),
    "plan.status_changed": N_("The status of plan %(title)s changed from %(before)s to %(after)s."),
    "plan.deleted": N_("Plan %(title)s was deleted."),
    "commitment.created": N_("Commitment %(title)s was added."),
    "commitment.updated": N_("Commitment %(title)s was updated%(changes)s."),
    "commitment.status_changed": N_("The status of commitment %(title)s changed from %(before)s to %(after)s."),
    "commitment.progress_changed": N_("Progress of commitment %(title)s went from %(before)s to %(after)s."),
    "commitment.deleted": N_("Commitment %(title)s was deleted."),
    "milestone.created": N_("Milestone %(title)s was added."),
    "milestone.updated": N_("Milestone %(title)s was updated%(changes)s."),
    "milestone.status_changed": N_("The status of milestone %(title)s changed from %(before)s to %(after)s."),
    "milestone.completed": N_("Milestone %(title)s was completed%(on_date)s."),
    "milestone.due_soon": N_("Milestone %(title)s is due soon."),
    "milestone.overdue": N_("Milestone %(title)s is overdue."),
    "milestone.deleted": N_("Milestone %(title)s was deleted."),
    "indicator.created": N_("Indicator %(title)s was added."),
    "indicator.updated": N_("Indicator %(title)s was updated%(changes)s."),
    "indicator.deleted": N_("Indicator %(title)s was deleted."),
    "indicator.measured": N_("New measurement for indicator %(title)s%(measure)s%(observed)s."),
    "evidence.added": N_("Evidence %(title)s was added."),
    "evidence.removed": N_("Evidence %(title)s was removed."),
    "source.failed": N_("The data source of %(title)s failed."),
    "source.recovered": N_("The data source of %(title)s is working again."),
    "comment.created": N_("New comment on %(title)s."),
    "comment.hidden": N_("A comment on %(title)s was hidden."),
    "assessment.published": N_("An assessment of %(title)s was published."),
    "webhook.disabled": N_("The webhook%(target)s was disabled%(reason)s."),
    "webhook.ping": N_("Test message from the openness plan tracker: the connection works."),
}
# Any other event type.
GENERIC = N_("New event (%(event)s) about %(title)s.")

# Names of the fields a `*.updated` event changed (camelCase, as in event data). Unlisted fields are
# not named.
FIELDS: dict[str, str] = {
    "title": NP_("field", "title"),
    "name": NP_("field", "name"),
    "description": NP_("field", "description"),
    "status": NP_("field", "status"),
    "slug": NP_("field", "identifier"),
    "kind": NP_("field", "type"),
    "parentId": NP_("field", "parent collectivity"),
    "members": NP_("field", "members"),
    "reference": NP_("field", "reference"),
    "ogpValues": NP_("field", "OGP values"),
    "leadUnit": NP_("field", "lead unit"),
    "partners": NP_("field", "partners"),
    "dueOn": NP_("field", "due date"),
    "completedOn": NP_("field", "completion date"),
    "weight": NP_("field", "weight"),
    "periodStart": NP_("field", "start date"),
    "periodEnd": NP_("field", "end date"),
    "adoptedOn": NP_("field", "adoption date"),
    "unit": NP_("field", "unit"),
    "baseline": NP_("field", "baseline"),
    "target": NP_("field", "target"),
    "direction": NP_("field", "direction"),
    "url": NP_("field", "link"),
    "publishedAt": NP_("field", "publication date"),
    "milestoneId": NP_("field", "milestone"),
}

# Subjects named as proper nouns, without quotes.
_UNQUOTED_PREFIXES = ("collectivity.",)

# TRANSLATORS: the optional parts of a sentence, filled only when the event's data holds the value.
_CHANGES = N_(" (%(fields)s)")
# TRANSLATORS: between the names of changed fields.
_SEPARATOR = N_(", ")
_ON_DATE = N_(" on %(date)s")
_MEASURE = N_(": %(value)s")
_OBSERVED = N_(" (observed on %(date)s)")
_TARGET = N_(" to %(url)s")
_REASON = N_(" (reason: %(reason)s)")
# TRANSLATORS: a subject's title in quotation marks.
_QUOTED = N_("“%(text)s”")
# TRANSLATORS: a sentence after the name of the collectivity it is about.
_WITH_PLACE = N_("%(place)s: %(sentence)s")
_UNTITLED = N_("(untitled)")
_UNKNOWN = N_("unknown")
_LINK = N_("Open the dashboard")
_TRACKER = N_("Openness plans tracker")


def is_rtl(lang: str | None) -> bool:
    return language(lang) in RTL_LANGUAGES


def link_label(lang: str | None) -> str:
    """The label of a button or link to the dashboard."""
    return for_language(lang).gettext(_LINK)


def tracker_name(lang: str | None) -> str:
    """The tracker's name, for a heading when an event concerns no collectivity."""
    return for_language(lang).gettext(_TRACKER)


def status_label(value: object, lang: str | None) -> str:
    """A status in `lang`, as the pages word it; an unknown value as given, cut short."""
    wording = for_language(lang)
    return _clean(wording.status(value), _MAX_DETAIL) if isinstance(value, str) else wording.status(None)


def _clean(text: str, limit: int = _MAX_LABEL) -> str:
    """One line of stored text, without bidi controls, at most `limit` characters."""
    flat = " ".join(_BIDI_CONTROLS.sub("", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def pick(text: object, lang: str | None) -> str | None:
    """A translated label: the language asked, then Arabic, French, English, Tamazight, then any."""
    if not isinstance(text, Mapping):
        return None
    order = dict.fromkeys(((lang or "").split("-", 1)[0].strip().lower(), *_LABEL_ORDER))
    candidates = [text.get(code) for code in order] + list(text.values())
    for value in candidates:
        if isinstance(value, str) and (cleaned := _clean(value)):
            return cleaned
    return None


def subject(envelope: Any, lang: str | None) -> str | None:
    """The subject's label in `lang` (with fallback), or None."""
    return pick(getattr(envelope, "subject_title", None), lang)


def place(envelope: Any, lang: str | None) -> str | None:
    """The collectivity's name in `lang` (with fallback), or None."""
    return pick(getattr(envelope, "collectivity_name", None), lang)


def _isolate(value: str, lang: str) -> str:
    if lang in RTL_LANGUAGES or _RTL_LETTER.search(value):
        return f"{_FSI}{value}{_PDI}"
    return value


def _number(value: object, wording: Wording) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return wording.format_number(value) or None


def _before_after(data: Mapping[str, Any], key: str) -> tuple[object, object]:
    pair = data.get(key)
    if isinstance(pair, Mapping):
        return pair.get("before"), pair.get("after")
    return None, pair


def _changes(data: Mapping[str, Any], wording: Wording) -> str:
    changes = data.get("changes")
    if not isinstance(changes, Mapping):
        return ""
    names = [wording.pgettext("field", FIELDS[str(key)]) for key in changes if str(key) in FIELDS]
    if not names:
        return ""
    return wording.gettext(_CHANGES) % {"fields": wording.gettext(_SEPARATOR).join(dict.fromkeys(names))}


def _whole(value: object) -> object:
    """A progress as a whole percentage, by the tracker's rule (tracker.progress.whole, which this
    package may not import): its shortest decimal rounded half up, so 12.5 says 13 as the pages do."""
    if isinstance(value, float) and math.isfinite(value):
        return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return value


def _percent(value: object, wording: Wording) -> str:
    whole = _whole(value)
    number = _number(whole, wording)
    text = wording.format_percent(whole) if number is not None and isinstance(whole, int | float) else None
    return _isolate(text or wording.gettext(_UNKNOWN), wording.lang)


def _date(value: object, wording: Wording) -> str | None:
    return wording.format_date(moment) if (moment := day(value)) else None


def _details(event: str, data: Mapping[str, Any], wording: Wording) -> dict[str, str]:
    """The optional fields of the sentence for `event`, from its data."""
    lang = wording.lang
    values: dict[str, str] = {}
    if event.endswith(".updated"):
        values["changes"] = _changes(data, wording)
    if event.endswith(".status_changed"):
        before, after = _before_after(data, "status")
        values["before"] = _isolate(status_label(before, lang), lang)
        values["after"] = _isolate(status_label(after, lang), lang)
    if event == "commitment.progress_changed":
        before, after = _before_after(data, "progress")
        values["before"], values["after"] = _percent(before, wording), _percent(after, wording)
    if event == "milestone.completed" and (day := _date(data.get("completedOn"), wording)):
        values["on_date"] = wording.gettext(_ON_DATE) % {"date": _isolate(day, lang)}
    if event == "indicator.measured":
        value = data.get("value")
        unit = _clean(data["unit"], _MAX_DETAIL) if isinstance(data.get("unit"), str) else ""
        if _number(value, wording) is not None and isinstance(value, int | float):
            measure = wording.quantity(value, unit)
            values["measure"] = wording.gettext(_MEASURE) % {"value": _isolate(measure, lang)}
        if day := _date(data.get("observedAt"), wording):
            values["observed"] = wording.gettext(_OBSERVED) % {"date": _isolate(day, lang)}
    if event == "webhook.disabled":
        if isinstance(data.get("url"), str) and (url := _clean(data["url"], _MAX_DETAIL)):
            values["target"] = wording.gettext(_TARGET) % {"url": _isolate(url, lang)}
        if isinstance(data.get("reason"), str) and (reason := _clean(data["reason"], _MAX_DETAIL)):
            values["reason"] = wording.gettext(_REASON) % {"reason": _isolate(reason, lang)}
    return values


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def sentence_language(envelope: Any, lang: str | None) -> str:
    """The language `sentence` is worded in for `lang`: `lang` itself, or the one it fell back to
    (a zgh sentence is French until reviewed), so a page or a feed can mark it with lang and dir."""
    template = SENTENCES.get(str(getattr(envelope, "type", "") or "")) or GENERIC
    return for_language(lang).language_of(template)


def sentence(envelope: Any, lang: str | None, *, with_place: bool = True) -> str:
    """What happened, in one sentence, prefixed with the collectivity's name when there is one.

    `with_place=False` leaves the name out, for layouts that show it apart (a card's heading).
    """
    wording = for_language(lang)
    code = wording.lang
    event = str(getattr(envelope, "type", "") or "")
    data = getattr(envelope, "data", None)
    data = data if isinstance(data, Mapping) else {}
    label = pick(getattr(envelope, "subject_title", None), lang)
    where = pick(getattr(envelope, "collectivity_name", None), lang)
    if label is None:
        title = wording.gettext(_UNTITLED)
    elif event.startswith(_UNQUOTED_PREFIXES):
        title = _isolate(label, code)
    else:
        title = wording.gettext(_QUOTED) % {"text": _isolate(label, code)}
    try:
        values = _details(event, data, wording)
    except Exception:  # a malformed value in data: say what happened without the details
        values = {}
    template = SENTENCES.get(event)
    if template is None:
        template = GENERIC
        values["event"] = _isolate(_clean(event, 100) or "?", code)
    text = wording.gettext(template) % _Blank(values, title=title)
    if with_place and where and where != label:
        text = wording.gettext(_WITH_PLACE) % {"place": _isolate(where, code), "sentence": text}
    return text
