"""The message catalogs and Babel formatting shared by the pages, the feeds and chat messages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from integrations import wording

ROOT = Path(__file__).resolve().parents[1]
# As in the Makefile's `messages` target.
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["NP_:1c,2", "NNP_:1c,2,3"])}
REVIEWED = ("ar", "fr")


def _key(message_id: str | tuple[str, ...], context: str | None) -> tuple[str | None, str]:
    return context, message_id if isinstance(message_id, str) else message_id[0]


def extracted() -> set[tuple[str | None, str]]:
    """(context, msgid) of every message marked in the code and the templates."""
    with (wording.LOCALE_DIR / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found = set()
    for package in ("tracker", "integrations"):
        for _, _, message, _, context in extract_from_dir(ROOT / package, method_map, options_map, keywords=KEYWORDS):
            found.add(_key(message, context))
    return found


def catalog(lang: str) -> Catalog:
    with (wording.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=lang)


def messages_of(lang: str) -> list[Message]:
    return [message for message in catalog(lang) if message.id]


@pytest.mark.parametrize("lang", wording.LANGUAGES)
def test_every_catalog_holds_exactly_the_messages_of_the_code(lang: str) -> None:
    # A message added, changed or removed in the code needs `make messages`.
    assert {_key(message.id, message.context) for message in messages_of(lang)} == extracted()


@pytest.mark.parametrize("lang", REVIEWED)
def test_every_message_has_a_reviewed_translation(lang: str) -> None:
    for message in messages_of(lang):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy, message.id
        assert all(text.strip() for text in strings), message.id


@pytest.mark.parametrize("lang", wording.LANGUAGES)
def test_translations_keep_the_placeholders_of_their_message(lang: str) -> None:
    assert [(message.id, errors) for message, errors in catalog(lang).check()] == []


def test_arabic_translations_use_arabic_punctuation() -> None:
    for message in messages_of("ar"):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert not set(text) & set(',;?"'), message.id


def test_tamazight_words_are_french_until_a_translation_is_reviewed() -> None:
    zgh, fr = wording.for_language("zgh"), wording.for_language("fr")
    assert zgh.status("COMPLETED") == fr.status("COMPLETED")
    assert zgh.language_of(wording.STATUSES["COMPLETED"], wording.STATUS) == "fr"
    assert zgh.words_language == "fr"


def test_a_message_missing_from_the_catalog_reads_as_english() -> None:
    arabic = wording.for_language("ar")
    assert arabic.gettext("No such message") == "No such message"
    assert arabic.language_of("No such message") == "en"


def test_a_region_subtag_and_an_unknown_language_read_as_their_language_and_arabic() -> None:
    assert wording.for_language("fr-MA") is wording.for_language("fr")
    assert wording.for_language("xx") is wording.for_language("ar")


def test_a_status_has_one_wording_per_language() -> None:
    assert [wording.for_language(lang).status("COMPLETED") for lang in ("ar", "fr", "en")] == [
        "منجز",
        "Réalisé",
        "Completed",
    ]


def test_an_unknown_status_is_shown_as_given() -> None:
    assert wording.for_language("fr").status("ON_HOLD") == "ON_HOLD"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("ar", "30 غشت 2024"), ("fr", "30 août 2024"), ("en", "August 30, 2024"), ("zgh", "30 août 2024")],
)
def test_dates_are_written_as_in_morocco(lang: str, expected: str) -> None:
    # Arabic: Latin digits and the Moroccan month names (غشت, not أغسطس).
    assert wording.for_language(lang).format_date(date(2024, 8, 30)) == expected


def test_an_iso_date_string_is_read_before_it_is_written() -> None:
    assert wording.for_language("fr").format_date("2024-06-30T00:00:00+00:00") == "30 juin 2024"


@pytest.mark.parametrize(
    ("lang", "expected"), [("ar", "1.234.567,89"), ("fr", "1\u202f234\u202f567,89"), ("en", "1,234,567.89")]
)
def test_numbers_take_the_separators_of_the_locale(lang: str, expected: str) -> None:
    assert wording.for_language(lang).format_number(1234567.891) == expected


@pytest.mark.parametrize(("lang", "expected"), [("ar", "13%"), ("fr", "13\u00a0%"), ("en", "13%")])
def test_percentages_are_whole_and_rounded_half_up(lang: str, expected: str) -> None:
    assert wording.for_language(lang).format_percent(12.5).replace("\u200e", "") == expected


def test_an_absurd_number_is_left_out() -> None:
    assert wording.for_language("en").format_number(1e30) == ""
    assert wording.for_language("en").format_number(float("nan")) == ""


@pytest.mark.parametrize(
    ("lang", "value", "expected"),
    [
        ("ar", 1, "1 يوم"),
        ("ar", 2, "2 يومان"),
        ("ar", 3, "3 أيام"),
        ("ar", 11, "11 يوما"),
        ("fr", 1, "1 jour"),
        ("fr", 11, "11 jours"),
        ("fr", 1.5, "1,5 jours"),
        ("en", 1, "1 day"),
        ("en", 11, "11 days"),
    ],
)
def test_a_known_unit_is_translated_in_the_plural_of_its_value(lang: str, value: float, expected: str) -> None:
    assert wording.for_language(lang).quantity(value, "days") == expected


def test_a_known_unit_is_recognised_in_any_case_and_number() -> None:
    french = wording.for_language("fr")
    assert french.quantity(3, " Documents ") == french.quantity(3, "document") == "3 documents"


def test_a_percent_unit_reads_as_a_percentage() -> None:
    assert wording.for_language("fr").quantity(12.5, "%") == "12,5\u00a0%"


def test_an_unknown_unit_is_shown_as_typed() -> None:
    assert wording.for_language("fr").quantity(1200, "visites/semaine") == "1\u202f200 visites/semaine"


def test_codes_of_the_api_have_their_words() -> None:
    french = wording.for_language("fr")
    assert french.indicator_direction("DECREASE") == "Plus la valeur est basse, mieux c'est"
    assert french.ogp_value("CIVIC_PARTICIPATION") == "Participation citoyenne"
    assert french.collectivity_kind("PREFECTURE_PROVINCE") == "Préfecture ou province"
