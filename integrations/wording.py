"""The tracker's wording in ar, fr, en and zgh, for the public pages, the feeds and chat messages.

One set of gettext catalogs (`integrations/locale/<lang>/LC_MESSAGES/messages.po`, English
msgids) serves every place a person reads the tracker, so a status, a unit or an event has one
wording per language. It lives in `integrations` because chat messages need it and integrations
never import `tracker`; the pages import it from here.

Catalogs are read from their `.po` files and compiled in memory the first time a language is
asked (Babel's reader and `.mo` writer, a few milliseconds): there is no compiled file to keep in
step with its source, and a translator's change shows on the next start. Fuzzy and empty entries
are left out, so they read as the English msgid until reviewed; tests/test_wording.py checks that
every message in the code has a reviewed Arabic and French translation.

Tamazight: no UI word has a checked Tifinagh translation yet. Rather than invent one, the zgh
catalog falls back to the French one (`FALLBACK`), word by word: a zgh translation added to
`locale/zgh` is used as soon as it exists, and `language_of` says which language a message came
out in, for the `lang` attributes around fallback words. Names and titles stored in Tifinagh are
still shown in Tifinagh (they are not part of the catalogs).

Dates and numbers are formatted by Babel in the locale of the language the words are in
(`LOCALES`): Moroccan Arabic (`ar_MA`: Latin digits, `1.234,5`, the Moroccan month names ماي,
يوليوز, غشت...), French as written in Morocco (`fr_MA`), English. A zgh page shows French words,
so its dates and numbers are French too, not a Tifinagh date inside a French sentence.

Marking messages for extraction (`make messages`) without translating them at import: `N_`,
`NP_` (with a context) and `NNP_` (with a context and a plural), see docs/development.md.
"""

from __future__ import annotations

import functools
import gettext
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.messages.catalog import Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("ar", "fr", "en", "zgh")
DEFAULT_LANGUAGE = "ar"
RTL_LANGUAGES = frozenset({"ar"})
# Where a language's missing words come from (zgh: French until a translator has checked them).
FALLBACK: dict[str, str] = {"zgh": "fr"}
# The Babel locale of each language's dates and numbers.
LOCALES: dict[str, str] = {"ar": "ar_MA", "fr": "fr_MA", "en": "en", "zgh": "zgh_MA"}
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
# Message contexts, shared with the catalogs.
STATUS, UNIT, DIRECTION, OGP_VALUE, KIND = "status", "unit", "direction", "OGP value", "collectivity kind"

# French typography: no line break between « » and what they quote, nor before a colon. Applied
# to the French catalog when it is read, so translators type ordinary spaces.
_FRENCH_SPACES = re.compile(r"(?<=«) | (?=[»:])")
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
# A measurement of an absurd magnitude is not worth a wall of digits.
_MAX_NUMBER_LENGTH = 24


def N_(message: str) -> str:
    """`message`, marked for extraction, translated later with `gettext`."""
    return message


def NP_(context: str, message: str) -> str:
    """`message` in `context`, marked for extraction, translated later with `pgettext(context, ...)`."""
    return message


def NNP_(context: str, singular: str, plural: str) -> tuple[str, str]:
    """A plural message in `context`, marked for extraction, translated later with `npgettext`."""
    return singular, plural


# Work statuses (commitments, milestones) and plan statuses. In Arabic, work statuses take the
# masculine default of a label; plan statuses agree with الخطة (feminine).
STATUSES: dict[str, str] = {
    "NOT_STARTED": NP_("status", "Not started"),
    "IN_PROGRESS": NP_("status", "In progress"),
    "COMPLETED": NP_("status", "Completed"),
    "DELAYED": NP_("status", "Delayed"),
    "CANCELLED": NP_("status", "Cancelled"),
    "DRAFT": NP_("status", "Draft"),
    "ADOPTED": NP_("status", "Adopted"),
    "IN_IMPLEMENTATION": NP_("status", "In implementation"),
    "CLOSED": NP_("status", "Closed"),
}
OGP_VALUES: dict[str, str] = {
    "ACCESS_TO_INFORMATION": NP_("OGP value", "Access to information"),
    "CIVIC_PARTICIPATION": NP_("OGP value", "Civic participation"),
    "PUBLIC_ACCOUNTABILITY": NP_("OGP value", "Public accountability"),
    "TECHNOLOGY_AND_INNOVATION": NP_("OGP value", "Technology and innovation"),
}
DIRECTIONS: dict[str, str] = {
    "INCREASE": NP_("direction", "Higher is better"),
    "DECREASE": NP_("direction", "Lower is better"),
}
KINDS: dict[str, str] = {
    "REGION": NP_("collectivity kind", "Region"),
    "PREFECTURE_PROVINCE": NP_("collectivity kind", "Prefecture or province"),
    "COMMUNE": NP_("collectivity kind", "Commune"),
}
# Indicator units are free text (up to 40 characters). Those below, in any case, singular or
# plural, are translated with the value, by the language's plural rules; any other unit is shown
# as typed after the number.
_UNIT_FORMS: dict[tuple[str, ...], tuple[str, str]] = {
    ("day", "days"): NNP_("unit", "%(value)s day", "%(value)s days"),
    ("week", "weeks"): NNP_("unit", "%(value)s week", "%(value)s weeks"),
    ("month", "months"): NNP_("unit", "%(value)s month", "%(value)s months"),
    ("hour", "hours"): NNP_("unit", "%(value)s hour", "%(value)s hours"),
    ("document", "documents"): NNP_("unit", "%(value)s document", "%(value)s documents"),
    ("dataset", "datasets"): NNP_("unit", "%(value)s dataset", "%(value)s datasets"),
    ("participant", "participants"): NNP_("unit", "%(value)s participant", "%(value)s participants"),
    ("person", "persons", "people"): NNP_("unit", "%(value)s person", "%(value)s people"),
    ("meeting", "meetings"): NNP_("unit", "%(value)s meeting", "%(value)s meetings"),
    ("session", "sessions"): NNP_("unit", "%(value)s session", "%(value)s sessions"),
    ("activity", "activities"): NNP_("unit", "%(value)s activity", "%(value)s activities"),
    ("visit", "visits"): NNP_("unit", "%(value)s visit", "%(value)s visits"),
    ("visits/month", "visits per month"): NNP_("unit", "%(value)s visit per month", "%(value)s visits per month"),
    ("request", "requests"): NNP_("unit", "%(value)s request", "%(value)s requests"),
    ("complaint", "complaints"): NNP_("unit", "%(value)s complaint", "%(value)s complaints"),
    ("service", "services"): NNP_("unit", "%(value)s service", "%(value)s services"),
}
UNITS: dict[str, tuple[str, str]] = {name: forms for names, forms in _UNIT_FORMS.items() for name in names}
PERCENT_UNITS = frozenset({"%", "percent", "per cent", "pct"})


def language(tag: str | None) -> str:
    """The supported language a tag stands for: `ar-MA` is `ar`; anything unsupported is Arabic."""
    primary = (tag or "").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def direction(lang: str) -> str:
    """`rtl` or `ltr`, for a `dir` attribute."""
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


# A page names the same days again and again (a plan's milestones fall on a few dates), and Babel
# takes ~15 us a date: ~2 ms of a 98-milestone plan page's render, ~0.03 ms once remembered.
@functools.lru_cache(maxsize=4096)
def _formatted_date(moment: date, format: str, locale: Locale) -> str:
    return babel_format_date(moment, format=format, locale=locale)


@dataclass(frozen=True)
class _Catalog:
    translations: gettext.NullTranslations
    # (context, msgid) of every message this language's own file translates.
    translated: frozenset[tuple[str | None, str]]


def _strings(message: Message) -> tuple[str, ...]:
    """A message's translation, or its plural forms."""
    if isinstance(message.string, tuple | list):
        return tuple(message.string)
    return (message.string or "",)


def _read(lang: str) -> _Catalog:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=lang, domain=DOMAIN)
    translated: set[tuple[str | None, str]] = set()
    untranslated: list[Message] = []
    for message in catalog:
        if not message.id:
            continue
        strings = _strings(message)
        if message.fuzzy or not all(strings):
            # Left out, so that the fallback catalog (or the msgid) answers: a partly translated
            # plural would mix languages.
            untranslated.append(message)
            continue
        if lang == "fr":
            cleaned = tuple(_FRENCH_SPACES.sub("\u00a0", text) for text in strings)
            message.string = cleaned if isinstance(message.string, tuple | list) else cleaned[0]
        translated.add((message.context, message.id if isinstance(message.id, str) else message.id[0]))
    for message in untranslated:
        catalog.delete(message.id, message.context)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _Catalog(Translations(compiled, domain=DOMAIN), frozenset(translated))


@functools.cache
def _catalog(lang: str) -> _Catalog:
    own = _read(lang)
    if fallback := FALLBACK.get(lang):
        own.translations.add_fallback(_catalog(fallback).translations)
    return own


@dataclass(frozen=True, eq=False)
class Wording:
    """Everything worded in one language. Immutable and shared: one per language, any thread."""

    lang: str
    locale: Locale
    translations: gettext.NullTranslations = field(repr=False)
    translated: frozenset[tuple[str | None, str]] = field(repr=False)

    # Messages.

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.translations.npgettext(context, singular, plural, n)

    def language_of(self, message: str, context: str | None = None) -> str:
        """The language `message` comes out in: this one, the one it fell back to, or English
        (the msgid itself) when no catalog translates it."""
        if self.lang == "en" or (context, message) in self.translated:
            return self.lang
        fallback = FALLBACK.get(self.lang)
        return for_language(fallback).language_of(message, context) if fallback else "en"

    @property
    def words_language(self) -> str:
        """The language of most words of a page: this one, unless its catalog has no translation
        yet (zgh), for one `lang` attribute around the interface's words."""
        if self.lang == "en" or self.translated:
            return self.lang
        return FALLBACK.get(self.lang, self.lang)

    @property
    def direction(self) -> str:
        return direction(self.lang)

    # Codes.

    def status(self, code: object) -> str:
        """A commitment's, milestone's or plan's status; an unknown code as given; None: unknown."""
        return self._coded(STATUSES, STATUS, code)

    def ogp_value(self, code: object) -> str:
        return self._coded(OGP_VALUES, OGP_VALUE, code)

    def indicator_direction(self, code: object) -> str:
        return self._coded(DIRECTIONS, DIRECTION, code)

    def collectivity_kind(self, code: object) -> str:
        return self._coded(KINDS, KIND, code)

    def _coded(self, table: Mapping[str, str], context: str, code: object) -> str:
        if isinstance(code, str) and code.strip():
            known = table.get(code.strip().upper())
            return self.pgettext(context, known) if known else code.strip()
        return self.gettext(N_("unknown"))

    # Dates and numbers.

    def format_date(self, value: date | datetime | str | None, format: str = "long") -> str:
        """A day in the locale's words (`30 juin 2024`); an ISO string is read first. Anything
        that is not a date comes back as given (empty for None)."""
        moment = day(value)
        if moment is None:
            return "" if value is None else str(value)
        return _formatted_date(moment, format, self.locale)

    def format_number(self, value: float | int | None, *, places: int = 2) -> str:
        """A number with the locale's separators, at most `places` decimals (halves up); empty for
        None, infinite or absurdly large values."""
        exact = _decimal(value, places)
        if exact is None:
            return ""
        text = format_decimal(exact, locale=self.locale, decimal_quantization=False)
        return text if len(text) <= _MAX_NUMBER_LENGTH else ""

    def format_percent(self, value: float | int | None, *, places: int = 0) -> str:
        """A percentage given from 0 to 100 (`12.5` reads `13 %` in French at 0 places, by the
        progress rule's rounding: halves up)."""
        exact = _decimal(value, places)
        if exact is None:
            return ""
        return _percent(exact, str(self.locale))

    # Quantities.

    def quantity(self, value: float | int | None, unit: str | None) -> str:
        """A value with its unit: `11 يوما`, `12,5 %`, or the number then the unit as typed."""
        number = self.format_number(value)
        if not number or value is None:
            return ""
        key = _unit_key(unit)
        if key in PERCENT_UNITS:
            return self.format_percent(value, places=2)
        if forms := UNITS.get(key):
            return self.npgettext(UNIT, forms[0], forms[1], _plural_count(value)) % {"value": number}
        return f"{number} {(unit or '').strip()}".rstrip()


# Pages show many progress figures, most of them one of 101 whole percentages: Babel's pattern
# formatting is worth remembering (about 35 µs a call).
@functools.lru_cache(maxsize=4096)
def _percent(exact: Decimal, locale: str) -> str:
    return format_percent(exact / 100, locale=locale, decimal_quantization=False)


def _unit_key(unit: str | None) -> str:
    return " ".join((unit or "").lower().split())


def _plural_count(value: float | int) -> int:
    """The count a plural form is chosen by: the value itself when whole, else the next whole
    number (`1,5 jours`, `12.5 days`), as gettext's plural rules count in integers."""
    return int(value) if float(value).is_integer() else math.ceil(abs(value))


def _decimal(value: float | int | None, places: int) -> Decimal | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        # The shortest decimal that reads back as the value, rounded: 12.5 gives 13, 0.125 gives 0.13.
        exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: absurd
        return None
    return exact.normalize() if exact != exact.to_integral_value() else exact.quantize(Decimal(1))


def day(value: object) -> date | None:
    """The day `value` stands for: a date, a datetime's day, or an ISO 8601 string's; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (match := _ISO_DATE.match(value.strip())):
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None
    return None


def for_language(tag: str | None) -> Wording:
    """The wording of a language tag (`ar-MA` reads `ar`; an unsupported tag reads Arabic)."""
    return _wording(language(tag))


@functools.cache
def _wording(lang: str) -> Wording:
    catalog = _catalog(lang)
    words = FALLBACK.get(lang, lang) if not catalog.translated and lang != "en" else lang
    return Wording(
        lang=lang,
        locale=Locale.parse(LOCALES[words]),
        translations=catalog.translations,
        translated=catalog.translated,
    )
