"""Chat formats: a sentence for every event in every language, each platform's shape and limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from integrations.envelope import Envelope
from integrations.webhooks import messages
from integrations.webhooks.chat import fit
from integrations.webhooks.formats import RENDERERS
from tracker.progress import whole

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat"
CHAT_FORMATS = ("SLACK", "MATTERMOST", "DISCORD", "TEAMS", "ROCKETCHAT", "GOOGLE_CHAT")
LANGS = ("ar", "fr", "en", "zgh")
DASHBOARD = "https://plans.example.ma/c/ait-melloul"
EVENT_DATA: dict[str, dict[str, Any]] = {
    "collectivity.created": {},
    "collectivity.updated": {"changes": {"name": {"before": {}, "after": {}}}},
    "body.created": {},
    "body.updated": {"changes": {"members": {"before": [], "after": []}}},
    "plan.created": {},
    "plan.updated": {"changes": {"title": {"before": {}, "after": {}}, "periodEnd": {"before": 1, "after": 2}}},
    "plan.status_changed": {"status": {"before": "ADOPTED", "after": "IN_IMPLEMENTATION"}},
    "plan.deleted": {},
    "commitment.created": {},
    "commitment.updated": {"changes": {"leadUnit": {"before": {}, "after": {}}}},
    "commitment.status_changed": {"status": {"before": "NOT_STARTED", "after": "IN_PROGRESS"}},
    "commitment.progress_changed": {"progress": {"before": 40.0, "after": 75.0}},
    "commitment.deleted": {},
    "milestone.created": {},
    "milestone.updated": {"changes": {"dueOn": {"before": "2024-06-30", "after": "2024-09-30"}}},
    "milestone.status_changed": {"status": {"before": "IN_PROGRESS", "after": "DELAYED"}},
    "milestone.completed": {"completedOn": "2024-06-30"},
    "milestone.due_soon": {},
    "milestone.overdue": {},
    "milestone.deleted": {},
    "indicator.created": {},
    "indicator.updated": {"changes": {"target": {"before": 10, "after": 12}}},
    "indicator.deleted": {},
    "indicator.measured": {"value": 12.5, "unit": "%", "observedAt": "2024-06-30T00:00:00+00:00"},
    "evidence.added": {},
    "evidence.removed": {},
    "source.failed": {},
    "source.recovered": {},
    "comment.created": {},
    "comment.hidden": {},
    "assessment.published": {},
    "webhook.disabled": {"url": "https://hooks.example.org/x", "reason": "410 Gone"},
    "webhook.ping": {"message": "ping"},
}
TITLE = {"ar": "نشر الميزانية", "fr": "Publication du budget", "en": "Budget publication"}
PLACE = {"ar": "أيت ملول", "fr": "Aït Melloul", "zgh": "ⴰⵢⵜ ⵎⵍⵍⵓⵍ"}


def envelope(
    type: str = "milestone.completed",
    *,
    data: dict[str, Any] | None = None,
    title: dict[str, str] | None = None,
    place: dict[str, str] | None = None,
    dashboard_url: str | None = DASHBOARD,
) -> Envelope:
    return Envelope(
        id="0b7e4a9e-5a86-4c1f-9a40-0d1f1a0c2b3d",
        type=type,
        occurred_at=datetime(2024, 7, 1, 9, 30, tzinfo=UTC),
        subject_type="Milestone",
        subject_id="TWlsZXN0b25lOjE=",
        data=EVENT_DATA.get(type, {}) if data is None else data,
        collectivity_slug="ait-melloul",
        subject_title=TITLE if title is None else title,
        collectivity_name=PLACE if place is None else place,
        dashboard_url=dashboard_url,
    )


def render(format: str, env: Envelope, lang: str) -> dict[str, Any]:
    rendered = RENDERERS[format](env, lang)
    assert rendered.content_type == "application/json"
    payload: dict[str, Any] = orjson.loads(rendered.body)
    return payload


def visible_text(format: str, payload: dict[str, Any]) -> str:
    """The text a reader sees first, per platform."""
    if format == "DISCORD":
        return str(payload["content"])
    if format == "TEAMS":
        return " ".join(block["text"] for block in payload["attachments"][0]["content"]["body"])
    if format == "SLACK":
        return str(payload["blocks"][0]["text"]["text"])
    return str(payload["text"])


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_every_chat_format_is_registered() -> None:
    assert set(CHAT_FORMATS) <= set(RENDERERS)


def test_every_event_type_has_its_own_sentence() -> None:
    # Their Arabic and French translations are checked with the catalogs (tests/test_wording.py).
    assert set(EVENT_DATA) <= set(messages.SENTENCES)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_every_event_renders_in_every_language_with_text(format: str, lang: str) -> None:
    for event in EVENT_DATA:
        text = visible_text(format, render(format, envelope(event), lang))
        assert text.strip(), (event, lang)


def test_arabic_sentence_for_milestone_completed_contains_the_arabic_title() -> None:
    text = messages.sentence(envelope("milestone.completed"), "ar")
    assert "نشر الميزانية" in text
    assert "تم إنجاز المرحلة" in text
    assert "30 يونيو 2024" in text


def test_missing_language_falls_back_to_arabic_then_french() -> None:
    env = envelope(title={"fr": "Publication du budget", "ar": "نشر الميزانية"})
    assert "نشر الميزانية" in messages.sentence(env, "en")
    assert "Publication du budget" in messages.sentence(envelope(title={"fr": "Publication du budget"}), "en")


def test_missing_known_languages_fall_back_to_any_text() -> None:
    assert "Budget" in messages.sentence(envelope(title={"es": "Budget"}, place={}), "fr")


def test_untitled_subject_still_gets_a_sentence() -> None:
    assert (
        messages.sentence(envelope(title={}, place={}), "en") == "Milestone (untitled) was completed on June 30, 2024."
    )


def test_region_subtag_reads_as_its_language() -> None:
    assert messages.sentence(envelope(), "ar-MA") == messages.sentence(envelope(), "ar")


def test_tamazight_shows_tifinagh_names_with_french_wording() -> None:
    text = messages.sentence(envelope(), "zgh")
    assert text.startswith("ⴰⵢⵜ ⵎⵍⵍⵓⵍ")
    assert "a été atteint" in text
    assert messages.link_label("zgh") == messages.link_label("fr")


def test_status_values_are_translated() -> None:
    env = envelope("milestone.status_changed", data={"status": {"before": "IN_PROGRESS", "after": "COMPLETED"}})
    assert "«\u2068قيد الإنجاز\u2069» إلى «\u2068منجز\u2069»" in messages.sentence(env, "ar")
    assert "« En cours » à « Réalisé »" in messages.sentence(env, "fr").replace("\u00a0", " ")
    assert "from In progress to Completed" in messages.sentence(env, "en")


def test_progress_change_shows_both_percentages() -> None:
    text = messages.sentence(envelope("commitment.progress_changed"), "en")
    assert "from 40% to 75%" in text


@pytest.mark.parametrize("after", [12.5, 80.3, 0.5, 99.5, 33.3, 66.7])
def test_progress_change_shows_whole_percentages_by_the_trackers_rule(after: float) -> None:
    env = envelope("commitment.progress_changed", data={"progress": {"before": 0.0, "after": after}})
    assert f"from 0% to {whole(after)}%" in messages.sentence(env, "en")


def test_measurement_shows_value_unit_and_date() -> None:
    env = envelope("indicator.measured", data={"value": 1200.0, "unit": "visits", "observedAt": "2024-05-31"})
    assert "1,200 visits (observed on May 31, 2024)" in messages.sentence(env, "en")


def test_updated_names_the_changed_fields() -> None:
    assert "(title, end date)" in messages.sentence(envelope("plan.updated"), "en")


def test_unknown_event_type_gets_a_generic_sentence_in_every_format() -> None:
    env = envelope("budget.reallocated", data={"anything": [1, {"x": None}]}, place={"en": "Aït Melloul"})
    assert messages.sentence(env, "en") == "Aït Melloul: New event (budget.reallocated) about “Budget publication”."
    for format in CHAT_FORMATS:
        for lang in LANGS:
            assert visible_text(format, render(format, env, lang)).strip()


@pytest.mark.parametrize(
    "data",
    [
        {"changes": ["title"], "status": "DONE", "progress": {"before": "x", "after": None}},
        {"changes": None, "status": {"before": 3, "after": {"nested": True}}, "progress": [1, 2]},
        {"value": "NaN", "unit": 5, "observedAt": 20240630, "completedOn": {"y": 2024}},
        {"value": float("nan"), "url": None, "reason": ["x"], "progress": {"before": float("inf"), "after": 10**400}},
    ],
)
def test_malformed_data_never_crashes(data: dict[str, Any]) -> None:
    for event in [*EVENT_DATA, "unknown.thing"]:
        for format in CHAT_FORMATS:
            assert visible_text(format, render(format, envelope(event, data=data), "fr")).strip()


def test_slack_section_text_stays_within_3000_characters_with_a_10000_character_title() -> None:
    payload = render("SLACK", envelope(title={"ar": "ع" * 10_000}), "ar")
    section = payload["blocks"][0]
    assert section["type"] == "section"
    assert section["text"]["type"] == "mrkdwn"
    assert utf16_length(section["text"]["text"]) <= 3000
    assert "…" in section["text"]["text"]
    assert utf16_length(payload["text"]) <= 3000


def test_slack_escapes_markup_in_mrkdwn() -> None:
    payload = render("SLACK", envelope(title={"en": "<script>alert(1)</script> & <!channel>"}), "en")
    text = payload["blocks"][0]["text"]["text"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;" in text
    assert "<" not in text
    assert "<" not in payload["text"]


def test_slack_truncation_never_cuts_an_entity() -> None:
    text = render("SLACK", envelope(title={"en": "&" * 5000}), "en")["blocks"][0]["text"]["text"]
    assert text.endswith("&amp;…")
    assert utf16_length(text) <= 3000


def test_slack_has_a_button_to_the_dashboard() -> None:
    actions = render("SLACK", envelope(), "fr")["blocks"][-1]
    assert actions["type"] == "actions"
    assert actions["elements"][0]["type"] == "button"
    assert actions["elements"][0]["url"] == DASHBOARD
    assert actions["elements"][0]["text"] == {"type": "plain_text", "text": "Ouvrir le tableau de bord"}


def test_slack_has_no_button_without_a_dashboard_url() -> None:
    assert [block["type"] for block in render("SLACK", envelope(dashboard_url=None), "en")["blocks"]] == ["section"]


def test_discord_stays_within_content_and_embed_limits() -> None:
    payload = render("DISCORD", envelope(title={"fr": "é" * 10_000}, place={"fr": "P" * 1000}), "fr")
    assert utf16_length(payload["content"]) <= 2000
    [embed] = payload["embeds"]
    assert utf16_length(embed["title"]) <= 256
    assert utf16_length(embed["description"]) <= 4096
    assert utf16_length(embed["title"]) + utf16_length(embed["description"]) <= 6000
    assert embed["url"] == DASHBOARD
    assert embed["timestamp"] == "2024-07-01T09:30:00Z"


def test_discord_counts_astral_characters_as_two_units() -> None:
    payload = render("DISCORD", envelope(title={"en": "🎉" * 3000}), "en")
    assert utf16_length(payload["content"]) <= 2000
    assert not any(0xD800 <= ord(character) <= 0xDFFF for character in payload["content"])


def test_discord_never_pings_anyone() -> None:
    payload = render("DISCORD", envelope(title={"en": "@everyone"}), "en")
    assert payload["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in payload["content"]


def test_teams_is_a_message_carrying_an_adaptive_card() -> None:
    payload = render("TEAMS", envelope(), "fr")
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert all(block["type"] == "TextBlock" and block["wrap"] is True for block in card["body"])
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Ouvrir le tableau de bord", "url": DASHBOARD}]
    assert "rtl" not in card


def test_teams_card_is_right_to_left_in_arabic() -> None:
    assert render("TEAMS", envelope(), "ar")["attachments"][0]["content"]["rtl"] is True


def test_teams_card_has_no_action_without_a_dashboard_url() -> None:
    assert "actions" not in render("TEAMS", envelope(dashboard_url=None), "en")["attachments"][0]["content"]


@pytest.mark.parametrize("format", ["MATTERMOST", "ROCKETCHAT", "GOOGLE_CHAT"])
def test_text_formats_contain_the_dashboard_link(format: str) -> None:
    assert DASHBOARD.encode() in RENDERERS[format](envelope(), "ar").body


def test_mattermost_links_the_dashboard_in_markdown() -> None:
    assert render("MATTERMOST", envelope(), "en")["text"].endswith(f"\n[Open the dashboard]({DASHBOARD})")


def test_mattermost_escapes_markdown_and_mentions() -> None:
    text = render("MATTERMOST", envelope(title={"en": "*bold* [x](y) @channel"}), "en")["text"]
    assert "\\*bold\\* \\[x\\]\\(y\\) @\u200bchannel" in text


def test_mattermost_text_stays_under_its_limit() -> None:
    text = render("MATTERMOST", envelope(title={"en": "_" * 20_000}), "en")["text"]
    assert utf16_length(text) <= 16_383
    assert text.endswith(DASHBOARD + ")")


def test_rocketchat_attachment_links_title_to_the_dashboard() -> None:
    [attachment] = render("ROCKETCHAT", envelope(), "fr")["attachments"]
    assert attachment == {"title": "Aït Melloul", "title_link": DASHBOARD, "text": "Publication du budget"}


def test_google_chat_uses_its_link_syntax() -> None:
    text = render("GOOGLE_CHAT", envelope(), "en")["text"]
    assert text.endswith(f"\n<{DASHBOARD}|Open the dashboard>")


def test_google_chat_cannot_mention_everyone() -> None:
    text = render("GOOGLE_CHAT", envelope(title={"en": "<users/all>"}), "en")["text"]
    assert "<users/all>" not in text


def test_dashboard_url_that_is_not_http_is_left_out() -> None:
    payload = render("DISCORD", envelope(dashboard_url="javascript:alert(1)"), "en")
    assert "url" not in payload["embeds"][0]


def test_fit_keeps_short_text_and_cuts_long_text_with_an_ellipsis() -> None:
    assert fit("abc", 3) == "abc"
    assert fit("abcdef", 4) == "abc…"


def test_fit_does_not_part_a_letter_from_its_marks() -> None:
    assert fit("كَتَبَ", 3) == "كَ…"


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_payload_matches_the_recorded_one(format: str) -> None:
    expected = json.loads((FIXTURES / f"milestone-completed.ar.{format.lower()}.json").read_text(encoding="utf-8"))
    assert render(format, envelope(), "ar") == expected


# Stored text that would turn into markup: every chat format must show it as text. Our own link to
# the dashboard is left out (no dashboard URL), so any link syntax left in a payload came from it.
# A backslash before a character makes it text in the formats that escape that way.
_LINK_SYNTAX = re.compile(r"(?<!\\)\][(\[:]")  # [t](url), ![x](url), [t][ref], [ref]: url
_AUTOLINK = re.compile(r"(?<!\\)<[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # <url>, <url|t>


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _markup_left(format: str, markup: re.Pattern[str], *, title: str = "Budget", place: str = "Tiznit") -> list[str]:
    """The texts of the payload in which `markup` is still live."""
    payload = render(format, envelope(title={"en": title}, place={"en": place}, dashboard_url=None), "en")
    return [text for text in _strings(payload) if markup.search(text)]


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_a_markdown_link_in_a_title_is_shown_as_text(format: str) -> None:
    assert not _markup_left(format, _LINK_SYNTAX, title="[click](http://evil.example)")


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_a_markdown_image_in_a_title_is_shown_as_text(format: str) -> None:
    assert not _markup_left(format, _LINK_SYNTAX, title="![x](http://track.example/pixel)")


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_a_reference_link_in_a_title_is_shown_as_text(format: str) -> None:
    assert not _markup_left(format, _LINK_SYNTAX, title="[click][1] [1]: http://evil.example")


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_an_autolink_in_a_title_is_shown_as_text(format: str) -> None:
    assert not _markup_left(format, _AUTOLINK, title="<http://evil.example> <http://evil.example|click>")


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_a_markdown_link_in_a_collectivity_name_is_shown_as_text(format: str) -> None:
    assert not _markup_left(format, _LINK_SYNTAX, place="[click](http://evil.example)")


@pytest.mark.parametrize("format", CHAT_FORMATS)
def test_a_tamazight_message_isolates_its_arabic_fallback_title(format: str) -> None:
    body = RENDERERS[format](envelope(place={"fr": "Aït Melloul"}), "zgh").body.decode()
    # FSI ... PDI: the Arabic title reads right to left inside the left-to-right French wording.
    assert "«\u00a0\u2068نشر الميزانية\u2069\u00a0»" in body


def test_the_sentence_says_which_language_it_fell_back_to() -> None:
    assert messages.sentence_language(envelope(), "zgh") == "fr"
    assert messages.sentence_language(envelope(), "ar") == "ar"
