"""One human sentence per event, in Arabic, French, English and Tamazight, for chat platforms.

Pure and total: any envelope and any language give a sentence, never an exception. Labels
(subject title, collectivity name) are picked in the language asked, then Arabic, French,
English, Tamazight, then any. An unknown language is read as Arabic, the tracker's default.

Tamazight (zgh): no sentence, status, field name or button label is translated yet, because no
reviewed Tifinagh wording is available; rather than invent one, zgh falls back to the French text
(see `_TEXT_ORDER`). Names and titles stored in Tifinagh are still shown in Tifinagh. Add a `"zgh"`
key next to `"fr"` in the tables below once a translator has checked it.

Interpolated values are wrapped in Unicode isolates (FSI ... PDI) in Arabic sentences, and in any
sentence when the value holds right-to-left letters, so a Latin title inside Arabic text, or an
Arabic title inside French text, keeps the sentence readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

LANGUAGES: tuple[str, ...] = ("ar", "fr", "en", "zgh")
FALLBACK_ORDER: tuple[str, ...] = ("ar", "fr", "en", "zgh")
RTL_LANGUAGES = frozenset({"ar"})

# Where the wording of a sentence comes from, per language. zgh: French until reviewed (see above).
_TEXT_ORDER: dict[str, tuple[str, ...]] = {
    "ar": ("ar", "fr", "en"),
    "fr": ("fr", "en"),
    "en": ("en", "fr"),
    "zgh": ("zgh", "fr", "en"),
}

_MAX_LABEL = 2000
_MAX_DETAIL = 300
_FSI, _PDI = "\u2068", "\u2069"
# Bidi controls and line breaks in stored text could flip or split the sentence around them.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# French typography: no line break between « » and what they quote, nor before : and %.
_FRENCH_SPACES = re.compile(r"(?<=«) | (?=[»:%])")

# `{title}` is the subject's label, already quoted; the other fields are filled only when the
# event's data holds them, else left empty.
SENTENCES: dict[str, dict[str, str]] = {
    "collectivity.created": {
        "ar": "تمت إضافة الجماعة الترابية {title} إلى منصة التتبع.",
        "fr": "La collectivité {title} a été ajoutée au suivi.",
        "en": "Collectivity {title} was added to the tracker.",
    },
    "collectivity.updated": {
        "ar": "تم تحديث معطيات الجماعة الترابية {title}{changes}.",
        "fr": "La collectivité {title} a été modifiée{changes}.",
        "en": "Collectivity {title} was updated{changes}.",
    },
    "body.created": {
        "ar": "تم إحداث الهيئة الاستشارية {title}.",
        "fr": "L'instance consultative {title} a été créée.",
        "en": "Consultative body {title} was created.",
    },
    "body.updated": {
        "ar": "تم تحديث معطيات الهيئة الاستشارية {title}{changes}.",
        "fr": "L'instance consultative {title} a été modifiée{changes}.",
        "en": "Consultative body {title} was updated{changes}.",
    },
    "plan.created": {
        "ar": "تم إنشاء الخطة {title}.",
        "fr": "Le plan {title} a été créé.",
        "en": "Plan {title} was created.",
    },
    "plan.updated": {
        "ar": "تم تعديل الخطة {title}{changes}.",
        "fr": "Le plan {title} a été modifié{changes}.",
        "en": "Plan {title} was updated{changes}.",
    },
    "plan.status_changed": {
        "ar": "تغيرت حالة الخطة {title} من «{before}» إلى «{after}».",
        "fr": "Le statut du plan {title} est passé de « {before} » à « {after} ».",
        "en": "The status of plan {title} changed from {before} to {after}.",
    },
    "plan.deleted": {
        "ar": "تم حذف الخطة {title}.",
        "fr": "Le plan {title} a été supprimé.",
        "en": "Plan {title} was deleted.",
    },
    "commitment.created": {
        "ar": "تمت إضافة الالتزام {title}.",
        "fr": "L'engagement {title} a été ajouté.",
        "en": "Commitment {title} was added.",
    },
    "commitment.updated": {
        "ar": "تم تعديل الالتزام {title}{changes}.",
        "fr": "L'engagement {title} a été modifié{changes}.",
        "en": "Commitment {title} was updated{changes}.",
    },
    "commitment.status_changed": {
        "ar": "تغيرت حالة الالتزام {title} من «{before}» إلى «{after}».",
        "fr": "Le statut de l'engagement {title} est passé de « {before} » à « {after} ».",
        "en": "The status of commitment {title} changed from {before} to {after}.",
    },
    "commitment.progress_changed": {
        "ar": "تغيرت نسبة إنجاز الالتزام {title} من {before} إلى {after}.",
        "fr": "L'avancement de l'engagement {title} est passé de {before} à {after}.",
        "en": "Progress of commitment {title} went from {before} to {after}.",
    },
    "commitment.deleted": {
        "ar": "تم حذف الالتزام {title}.",
        "fr": "L'engagement {title} a été supprimé.",
        "en": "Commitment {title} was deleted.",
    },
    "milestone.created": {
        "ar": "تمت إضافة المرحلة {title}.",
        "fr": "Le jalon {title} a été ajouté.",
        "en": "Milestone {title} was added.",
    },
    "milestone.updated": {
        "ar": "تم تعديل المرحلة {title}{changes}.",
        "fr": "Le jalon {title} a été modifié{changes}.",
        "en": "Milestone {title} was updated{changes}.",
    },
    "milestone.status_changed": {
        "ar": "تغيرت حالة المرحلة {title} من «{before}» إلى «{after}».",
        "fr": "Le statut du jalon {title} est passé de « {before} » à « {after} ».",
        "en": "The status of milestone {title} changed from {before} to {after}.",
    },
    "milestone.completed": {
        "ar": "تم إنجاز المرحلة {title}{on_date}.",
        "fr": "Le jalon {title} a été atteint{on_date}.",
        "en": "Milestone {title} was completed{on_date}.",
    },
    "milestone.due_soon": {
        "ar": "يقترب أجل إنجاز المرحلة {title}.",
        "fr": "L'échéance du jalon {title} approche.",
        "en": "Milestone {title} is due soon.",
    },
    "milestone.overdue": {
        "ar": "تجاوزت المرحلة {title} أجل إنجازها.",
        "fr": "Le jalon {title} a dépassé son échéance.",
        "en": "Milestone {title} is overdue.",
    },
    "milestone.deleted": {
        "ar": "تم حذف المرحلة {title}.",
        "fr": "Le jalon {title} a été supprimé.",
        "en": "Milestone {title} was deleted.",
    },
    "indicator.created": {
        "ar": "تمت إضافة المؤشر {title}.",
        "fr": "L'indicateur {title} a été ajouté.",
        "en": "Indicator {title} was added.",
    },
    "indicator.updated": {
        "ar": "تم تعديل المؤشر {title}{changes}.",
        "fr": "L'indicateur {title} a été modifié{changes}.",
        "en": "Indicator {title} was updated{changes}.",
    },
    "indicator.deleted": {
        "ar": "تم حذف المؤشر {title}.",
        "fr": "L'indicateur {title} a été supprimé.",
        "en": "Indicator {title} was deleted.",
    },
    "indicator.measured": {
        "ar": "تم تسجيل قياس جديد للمؤشر {title}{measure}{observed}.",
        "fr": "Nouvelle mesure pour l'indicateur {title}{measure}{observed}.",
        "en": "New measurement for indicator {title}{measure}{observed}.",
    },
    "evidence.added": {
        "ar": "تمت إضافة وثيقة الإثبات {title}.",
        "fr": "Le justificatif {title} a été ajouté.",
        "en": "Evidence {title} was added.",
    },
    "evidence.removed": {
        "ar": "تم سحب وثيقة الإثبات {title}.",
        "fr": "Le justificatif {title} a été retiré.",
        "en": "Evidence {title} was removed.",
    },
    "source.failed": {
        "ar": "تعذر جلب البيانات من مصدر {title}.",
        "fr": "La source de données de {title} est en échec.",
        "en": "The data source of {title} failed.",
    },
    "source.recovered": {
        "ar": "عاد مصدر بيانات {title} إلى العمل.",
        "fr": "La source de données de {title} fonctionne de nouveau.",
        "en": "The data source of {title} is working again.",
    },
    "comment.created": {
        "ar": "تعليق جديد حول {title}.",
        "fr": "Nouveau commentaire sur {title}.",
        "en": "New comment on {title}.",
    },
    "comment.hidden": {
        "ar": "تم إخفاء تعليق حول {title}.",
        "fr": "Un commentaire sur {title} a été masqué.",
        "en": "A comment on {title} was hidden.",
    },
    "assessment.published": {
        "ar": "تم نشر تقييم حول {title}.",
        "fr": "Une évaluation de {title} a été publiée.",
        "en": "An assessment of {title} was published.",
    },
    "webhook.disabled": {
        "ar": "تم إيقاف إرسال الإشعارات{target}{reason}.",
        "fr": "Le webhook{target} a été désactivé{reason}.",
        "en": "The webhook{target} was disabled{reason}.",
    },
    "webhook.ping": {
        "ar": "رسالة اختبار من منصة تتبع خطط الانفتاح: الربط يعمل بشكل سليم.",
        "fr": "Message de test du suivi des plans d'ouverture : la connexion fonctionne.",
        "en": "Test message from the openness plan tracker: the connection works.",
    },
}

# Any other event type.
GENERIC: dict[str, str] = {
    "ar": "حدث جديد ({event}) يخص {title}.",
    "fr": "Nouvel événement ({event}) concernant {title}.",
    "en": "New event ({event}) about {title}.",
}

# Optional parts of a sentence, filled only when the data holds the value.
FRAGMENTS: dict[str, dict[str, str]] = {
    "changes": {"ar": " ({fields})", "fr": " ({fields})", "en": " ({fields})"},
    "separator": {"ar": "، ", "fr": ", ", "en": ", "},
    "on_date": {"ar": " بتاريخ {date}", "fr": " le {date}", "en": " on {date}"},
    "measure": {"ar": " بقيمة {value}", "fr": " : {value}", "en": ": {value}"},
    "observed": {"ar": " بتاريخ {date}", "fr": " (relevée le {date})", "en": " (observed on {date})"},
    "target": {"ar": " إلى {url}", "fr": " vers {url}", "en": " to {url}"},
    "reason": {"ar": "، السبب: {reason}", "fr": " (motif : {reason})", "en": " (reason: {reason})"},
    "quoted": {"ar": "«{}»", "fr": "« {} »", "en": "“{}”"},
    "with_place": {"ar": "{place}: {sentence}", "fr": "{place} : {sentence}", "en": "{place}: {sentence}"},
    "untitled": {"ar": "(بدون عنوان)", "fr": "(sans titre)", "en": "(untitled)"},
    "unknown": {"ar": "غير محدد", "fr": "inconnu", "en": "unknown"},
    "percent": {"ar": "{}%", "fr": "{} %", "en": "{}%"},
    "link": {"ar": "فتح لوحة المتابعة", "fr": "Ouvrir le tableau de bord", "en": "Open the dashboard"},
    "tracker": {"ar": "منصة تتبع خطط الانفتاح", "fr": "Suivi des plans d'ouverture", "en": "Openness plan tracker"},
}

# Work statuses (commitments, milestones) take the masculine default of a label in Arabic; plan
# statuses agree with الخطة (feminine).
STATUSES: dict[str, dict[str, str]] = {
    "NOT_STARTED": {"ar": "لم ينطلق بعد", "fr": "Non démarré", "en": "Not started"},
    "IN_PROGRESS": {"ar": "قيد الإنجاز", "fr": "En cours", "en": "In progress"},
    "COMPLETED": {"ar": "منجز", "fr": "Achevé", "en": "Completed"},
    "DELAYED": {"ar": "متأخر", "fr": "En retard", "en": "Delayed"},
    "CANCELLED": {"ar": "ملغى", "fr": "Annulé", "en": "Cancelled"},
    "DRAFT": {"ar": "مسودة", "fr": "Brouillon", "en": "Draft"},
    "ADOPTED": {"ar": "مصادق عليها", "fr": "Adopté", "en": "Adopted"},
    "IN_IMPLEMENTATION": {"ar": "قيد التنفيذ", "fr": "En cours de mise en œuvre", "en": "In implementation"},
    "CLOSED": {"ar": "مختتمة", "fr": "Clôturé", "en": "Closed"},
}

# Field names of `*.updated` changes (camelCase, as in event data). Unlisted fields are not named.
FIELDS: dict[str, dict[str, str]] = {
    "title": {"ar": "العنوان", "fr": "titre", "en": "title"},
    "name": {"ar": "الاسم", "fr": "nom", "en": "name"},
    "description": {"ar": "الوصف", "fr": "description", "en": "description"},
    "status": {"ar": "الحالة", "fr": "statut", "en": "status"},
    "slug": {"ar": "المعرف", "fr": "identifiant", "en": "identifier"},
    "kind": {"ar": "النوع", "fr": "type", "en": "type"},
    "parentId": {"ar": "الجماعة الأم", "fr": "collectivité de rattachement", "en": "parent collectivity"},
    "members": {"ar": "الأعضاء", "fr": "membres", "en": "members"},
    "reference": {"ar": "المرجع", "fr": "référence", "en": "reference"},
    "ogpValues": {"ar": "قيم الحكومة المنفتحة", "fr": "valeurs OGP", "en": "OGP values"},
    "leadUnit": {"ar": "الجهة المسؤولة", "fr": "service pilote", "en": "lead unit"},
    "partners": {"ar": "الشركاء", "fr": "partenaires", "en": "partners"},
    "dueOn": {"ar": "أجل الإنجاز", "fr": "échéance", "en": "due date"},
    "completedOn": {"ar": "تاريخ الإنجاز", "fr": "date d'achèvement", "en": "completion date"},
    "weight": {"ar": "الوزن", "fr": "poids", "en": "weight"},
    "periodStart": {"ar": "تاريخ البداية", "fr": "date de début", "en": "start date"},
    "periodEnd": {"ar": "تاريخ النهاية", "fr": "date de fin", "en": "end date"},
    "adoptedOn": {"ar": "تاريخ المصادقة", "fr": "date d'adoption", "en": "adoption date"},
    "unit": {"ar": "الوحدة", "fr": "unité", "en": "unit"},
    "baseline": {"ar": "القيمة المرجعية", "fr": "valeur de référence", "en": "baseline"},
    "target": {"ar": "القيمة المستهدفة", "fr": "cible", "en": "target"},
    "direction": {"ar": "الاتجاه", "fr": "sens", "en": "direction"},
    "url": {"ar": "الرابط", "fr": "lien", "en": "link"},
    "publishedAt": {"ar": "تاريخ النشر", "fr": "date de publication", "en": "publication date"},
    "milestoneId": {"ar": "المرحلة", "fr": "jalon", "en": "milestone"},
}

# Subjects named as proper nouns, without quotes.
_UNQUOTED_PREFIXES = ("collectivity.",)


def language(lang: str | None) -> str:
    """The supported language a tag stands for: `ar-MA` is `ar`; anything unsupported is `ar`."""
    primary = (lang or "").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else FALLBACK_ORDER[0]


def is_rtl(lang: str | None) -> bool:
    return language(lang) in RTL_LANGUAGES


def _phrase_language(table: Mapping[str, str], lang: str) -> str:
    """The language `_phrase` takes `table`'s wording from for `lang` (zgh: French, see above)."""
    return next((candidate for candidate in _TEXT_ORDER[lang] if table.get(candidate)), lang)


def _phrase(table: Mapping[str, str], lang: str) -> str:
    for candidate in _TEXT_ORDER[lang]:
        if text := table.get(candidate):
            return _FRENCH_SPACES.sub("\u00a0", text) if candidate == "fr" else text
    return next(iter(table.values()), "")


def link_label(lang: str | None) -> str:
    """The label of a button or link to the dashboard."""
    return _phrase(FRAGMENTS["link"], language(lang))


def tracker_name(lang: str | None) -> str:
    """The tracker's name, for a heading when an event concerns no collectivity."""
    return _phrase(FRAGMENTS["tracker"], language(lang))


def status_label(value: object, lang: str | None) -> str:
    code = language(lang)
    if isinstance(value, str) and value.strip():
        known = STATUSES.get(value.strip().upper())
        return _phrase(known, code) if known else _clean(value, _MAX_DETAIL)
    return _phrase(FRAGMENTS["unknown"], code)


def _clean(text: str, limit: int = _MAX_LABEL) -> str:
    """One line of stored text, without bidi controls, at most `limit` characters."""
    flat = " ".join(_BIDI_CONTROLS.sub("", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def pick(text: object, lang: str | None) -> str | None:
    """A translated label: the language asked, then Arabic, French, English, Tamazight, then any."""
    if not isinstance(text, Mapping):
        return None
    order = dict.fromkeys(((lang or "").split("-", 1)[0].strip().lower(), *FALLBACK_ORDER))
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


def _number(value: object, lang: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    if len(text) > 24:  # an absurd magnitude: no wall of digits in a chat message
        return None
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def _date(value: object) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, str) and (match := _ISO_DATE.match(value.strip())):
        return match.group(1)
    return None


def _before_after(data: Mapping[str, Any], key: str) -> tuple[object, object]:
    pair = data.get(key)
    if isinstance(pair, Mapping):
        return pair.get("before"), pair.get("after")
    return None, pair


def _fragment(name: str, lang: str, **values: str) -> str:
    return _phrase(FRAGMENTS[name], lang).format(**values)


def _changes(data: Mapping[str, Any], lang: str) -> str:
    changes = data.get("changes")
    if not isinstance(changes, Mapping):
        return ""
    names = [_phrase(FIELDS[str(key)], lang) for key in changes if str(key) in FIELDS]
    if not names:
        return ""
    return _fragment("changes", lang, fields=_phrase(FRAGMENTS["separator"], lang).join(dict.fromkeys(names)))


def _whole(value: object) -> object:
    """A progress as a whole percentage, by the tracker's rule (tracker.progress.whole, which this
    package may not import): its shortest decimal rounded half up, so 12.5 says 13 as the pages do."""
    if isinstance(value, float) and math.isfinite(value):
        return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return value


def _percent(value: object, lang: str) -> str:
    number = _number(_whole(value), lang)
    text = _phrase(FRAGMENTS["percent"], lang).format(number) if number is not None else None
    return _isolate(text or _phrase(FRAGMENTS["unknown"], lang), lang)


def _details(event: str, data: Mapping[str, Any], lang: str) -> dict[str, str]:
    """The optional fields of the sentence for `event`, from its data."""
    values: dict[str, str] = {}
    if event.endswith(".updated"):
        values["changes"] = _changes(data, lang)
    if event.endswith(".status_changed"):
        before, after = _before_after(data, "status")
        values["before"] = _isolate(status_label(before, lang), lang)
        values["after"] = _isolate(status_label(after, lang), lang)
    if event == "commitment.progress_changed":
        before, after = _before_after(data, "progress")
        values["before"], values["after"] = _percent(before, lang), _percent(after, lang)
    if event == "milestone.completed" and (day := _date(data.get("completedOn"))):
        values["on_date"] = _fragment("on_date", lang, date=_isolate(day, lang))
    if event == "indicator.measured":
        number = _number(data.get("value"), lang)
        unit = _clean(data["unit"], _MAX_DETAIL) if isinstance(data.get("unit"), str) else ""
        if number is not None:
            measure = _phrase(FRAGMENTS["percent"], lang).format(number) if unit == "%" else f"{number} {unit}".rstrip()
            values["measure"] = _fragment("measure", lang, value=_isolate(measure, lang))
        if day := _date(data.get("observedAt")):
            values["observed"] = _fragment("observed", lang, date=_isolate(day, lang))
    if event == "webhook.disabled":
        if isinstance(data.get("url"), str) and (url := _clean(data["url"], _MAX_DETAIL)):
            values["target"] = _fragment("target", lang, url=_isolate(url, lang))
        if isinstance(data.get("reason"), str) and (reason := _clean(data["reason"], _MAX_DETAIL)):
            values["reason"] = _fragment("reason", lang, reason=_isolate(reason, lang))
    return values


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def sentence_language(envelope: Any, lang: str | None) -> str:
    """The language `sentence` is worded in for `lang`: `lang` itself, or the one it fell back to
    (a zgh sentence is French until reviewed), so a page or a feed can mark it with lang and dir."""
    template = SENTENCES.get(str(getattr(envelope, "type", "") or "")) or GENERIC
    return _phrase_language(template, language(lang))


def sentence(envelope: Any, lang: str | None, *, with_place: bool = True) -> str:
    """What happened, in one sentence, prefixed with the collectivity's name when there is one.

    `with_place=False` leaves the name out, for layouts that show it apart (a card's heading).
    """
    code = language(lang)
    event = str(getattr(envelope, "type", "") or "")
    data = getattr(envelope, "data", None)
    data = data if isinstance(data, Mapping) else {}
    label = pick(getattr(envelope, "subject_title", None), lang)
    where = pick(getattr(envelope, "collectivity_name", None), lang)
    if label is None:
        title = _phrase(FRAGMENTS["untitled"], code)
    elif event.startswith(_UNQUOTED_PREFIXES):
        title = _isolate(label, code)
    else:
        title = _phrase(FRAGMENTS["quoted"], code).format(_isolate(label, code))
    try:
        values = _details(event, data, code)
    except Exception:  # a malformed value in data: say what happened without the details
        values = {}
    template = SENTENCES.get(event)
    if template is None:
        template = GENERIC
        values["event"] = _isolate(_clean(event, 100) or "?", code)
    text = _phrase(template, code).format_map(_Blank(values, title=title))
    if with_place and where and where != label:
        text = _fragment("with_place", code, place=_isolate(where, code), sentence=text)
    return text
