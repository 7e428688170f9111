"""Languages: which translation a reader gets."""

from __future__ import annotations

import pytest

from tracker.errors import BadInput
from tracker.i18n import clean_translations, parse_accept_language, pick, pick_language, preference, written_language

TEXT = {"ar": "خطة", "fr": "Plan"}


def test_a_regional_tag_falls_back_to_its_language() -> None:
    assert pick(TEXT, preference("ar-MA")) == "خطة"


def test_a_missing_translation_falls_back_to_arabic_then_french() -> None:
    assert pick(TEXT, preference("en")) == "خطة"
    assert pick({"fr": "Plan", "en": "Plan (en)"}, preference("zgh")) == "Plan"


def test_an_unsupported_language_gets_the_fallback_order() -> None:
    assert pick(TEXT, preference("de")) == "خطة"


def test_accept_language_is_ordered_by_quality() -> None:
    assert parse_accept_language("en;q=0.3, fr-FR;q=0.9, ar;q=0.5") == ("fr", "ar", "en")


def test_accept_language_ignores_unsupported_and_refused_languages() -> None:
    assert parse_accept_language("de, fr;q=0, *;q=0.1, ar") == ("ar",)


def test_malformed_accept_language_is_ignored() -> None:
    assert parse_accept_language(";;;, q=abc, fr;q=x") == ()


def test_explicit_lang_wins_over_accept_language() -> None:
    assert pick(TEXT, preference("fr", ("ar",))) == "Plan"


def test_translations_are_trimmed_and_empty_ones_dropped() -> None:
    assert clean_translations({"ar": "  خطة ", "fr": "  "}, field="title", required=True) == {"ar": "خطة"}


def test_unknown_language_key_names_its_field() -> None:
    with pytest.raises(BadInput) as caught:
        clean_translations({"es": "Plan"}, field="title", required=True)
    assert caught.value.field == "title.es"


def test_required_text_with_only_blanks_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        clean_translations({"fr": " "}, field="title", required=True)
    assert caught.value.field == "title"


def test_pick_language_names_the_language_a_text_fell_back_to() -> None:
    assert pick_language({"ar": "خطة", "fr": "Plan"}, preference("zgh")) == "ar"


@pytest.mark.parametrize(
    ("text", "language"),
    [("خطة الانفتاح", "ar"), ("ⴰⵢⵜ ⵎⵍⵍⵓⵍ", "zgh"), ("Plan d'ouverture", "fr")],
)
def test_written_language_reads_a_picked_texts_script(text: str, language: str) -> None:
    assert written_language(text, preference("zgh")) == language


def test_written_language_of_latin_text_follows_the_readers_order() -> None:
    assert written_language("Open plan", preference("en")) == "en"
