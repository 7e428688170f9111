"""Languages, the fallback order of translated text, and Accept-Language negotiation.

Translated text is stored as a mapping from language code to text. A reader asks for a BCP 47
tag; the text shown is the first available of: the tag itself, its primary language (`ar-MA`
gives `ar`), then Arabic (the source language of the plans), French, English and Tamazight.
A required text therefore never comes back empty as long as one translation exists.

`pick` is the rule; `pick_sql` spells it in PostgreSQL for the read planner
(tracker/api/core/planner), and tests/test_i18n.py runs both on the same texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

LANGUAGES: tuple[str, ...] = ("ar", "fr", "en", "zgh")
FALLBACK_ORDER: tuple[str, ...] = ("ar", "fr", "en", "zgh")
RTL_LANGUAGES = frozenset({"ar"})
MAX_TEXT_LENGTH = 20_000

_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def is_valid_tag(tag: str) -> bool:
    return bool(_TAG.match(tag))


def primary_language(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def preference(tag: str | None, accepted: Sequence[str] = ()) -> tuple[str, ...]:
    """The order in which languages are tried for a reader."""
    wanted: list[str] = []
    if tag:
        wanted.append(primary_language(tag))
    wanted.extend(accepted)
    wanted.extend(FALLBACK_ORDER)
    return tuple(dict.fromkeys(lang for lang in wanted if lang in LANGUAGES))


def pick(text: Mapping[str, str] | None, order: Sequence[str]) -> str | None:
    if not text:
        return None
    for lang in order:
        value = text.get(lang)
        if value:
            return value
    return next((value for value in text.values() if value), None)


def pick_sql(value: str, languages: str, *, required: bool) -> str:
    """`pick(value, languages)` of a jsonb translated text, in PostgreSQL (`or ""` when `required`).

    `languages` is SQL for a text[] of the reader's languages in order (at most `len(LANGUAGES)`).
    Then the object's first non-empty value in its stored order: jsonb keeps keys by length then
    bytes, and the Python path reads the same jsonb, so its dicts come in that order too.
    """
    tried = ", ".join(f"NULLIF({value} ->> ({languages})[{n}], '')" for n in range(1, len(LANGUAGES) + 1))
    rest = (
        f"(SELECT e.value FROM jsonb_each_text(CASE WHEN jsonb_typeof({value}) = 'object' THEN {value} END)"
        " WITH ORDINALITY AS e(key, value, n) WHERE e.value <> '' ORDER BY e.n LIMIT 1)"
    )
    return f"COALESCE({tried}, {rest}{', ' + chr(39) * 2 if required else ''})"


def pick_language(text: Mapping[str, str] | None, order: Sequence[str]) -> str | None:
    """The language `pick` would choose, for `lang`/`dir` attributes in HTML and feeds."""
    if not text:
        return None
    return next((lang for lang in order if text.get(lang)), None)


# Scripts that tell a picked text's language apart where only the text is at hand.
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_TIFINAGH_LETTER = re.compile("[\u2d30-\u2d7f]")


def written_language(text: str | None, order: Sequence[str]) -> str | None:
    """The language of a text `pick` returned, when only the text came back (the pages read the
    API, which answers strings): Arabic and Tifinagh letters say ar and zgh; Latin letters are the
    first of fr and en in the reader's order. Where the translations are at hand, `pick_language`
    says it exactly."""
    if not text:
        return None
    if _ARABIC_LETTER.search(text):
        return "ar"
    if _TIFINAGH_LETTER.search(text):
        return "zgh"
    return next((lang for lang in order if lang in ("fr", "en")), "fr")


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """Supported languages from an Accept-Language header, best first (RFC 9110 q-values)."""
    if not header:
        return ()
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        if not tag or tag == "*" or not is_valid_tag(tag):
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = primary_language(tag)
        if quality > 0 and lang in LANGUAGES:
            weighted.append((-quality, position, lang))
    return tuple(dict.fromkeys(lang for _, _, lang in sorted(weighted)))


def clean_translations(value: Mapping[str, str | None] | None, *, field: str, required: bool) -> dict[str, str]:
    """Validated translated text: known languages, trimmed, at least one when required."""
    from tracker.errors import BadInput

    if value is None:
        if required:
            raise BadInput(f"{field} needs a text in at least one of {', '.join(LANGUAGES)}", field=field)
        return {}
    cleaned: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise BadInput(f"{field}.{lang} is not a supported language", field=f"{field}.{lang}")
        if text is None:
            continue
        if not isinstance(text, str):
            raise BadInput(f"{field}.{lang} must be text", field=f"{field}.{lang}")
        stripped = text.strip()
        if len(stripped) > MAX_TEXT_LENGTH:
            raise BadInput(f"{field}.{lang} is longer than {MAX_TEXT_LENGTH} characters", field=f"{field}.{lang}")
        if stripped:
            cleaned[lang] = stripped
    if required and not cleaned:
        raise BadInput(f"{field} needs a non-empty text in at least one of {', '.join(LANGUAGES)}", field=field)
    return cleaned
