"""Chat platform bodies: Slack, Mattermost, Discord, Microsoft Teams, Rocket.Chat, Google Chat.

Pure, like the other formats: an envelope and a language in, JSON bytes out. The text is the
sentence from `messages`; stored titles and names are escaped for each platform's markup so that
they show as written: no link, image or autolink made of them (`[t](url)`, `![x](url)`, `[t][ref]`,
`<url>`, `<url|t>`), and no mention of a whole channel. Where a platform's backslash escapes are not
documented (Teams, Rocket.Chat, Google Chat), a zero-width space after `]` and `<` breaks the syntax
without changing what is shown. Texts over a platform's limit are cut with an
ellipsis. Limits are counted in UTF-16 code units, which is never less than the code point count,
so a text fits whichever way the platform counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC
from typing import Any

import orjson

from integrations.envelope import Envelope
from integrations.webhooks import messages
from integrations.webhooks.rendered import Rendered

ELLIPSIS = "…"
_MAX_URL = 2048
_FSI, _PDI = "\u2068", "\u2069"
_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$", re.IGNORECASE)
_URL_UNSAFE = {" ": "%20", '"': "%22", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "|": "%7C"}
_MARKDOWN = re.compile(r"([\\`*_~|<>\[\]()#])")
_MENTION = re.compile(r"@(?=\w)")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _plain(text: str) -> str:
    return text


def _prefix(text: str, end: int) -> str:
    """The first `end` characters, not parting a letter from its marks, isolates closed."""
    while 0 < end < len(text) and (unicodedata.combining(text[end]) or text[end] in "\u200d\ufe0f"):
        end -= 1
    cut = text[:end].rstrip()
    return cut + _PDI * max(0, cut.count(_FSI) - cut.count(_PDI))


def fit(text: str, limit: int, escape: Callable[[str], str] = _plain) -> str:
    """`escape(text)`, or the longest escaped prefix of `text` with an ellipsis within `limit`.

    The cut is made in the raw text, before escaping, so it never falls inside an escape.
    """
    escaped = escape(text)
    if _units(escaped) <= limit:
        return escaped
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _units(escape(_prefix(text, middle)) + ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    while low and _units(escape(_prefix(text, low)) + ELLIPSIS) > limit:
        low -= 1
    return escape(_prefix(text, low)) + ELLIPSIS if _units(ELLIPSIS) <= limit else ""


def break_links(text: str) -> str:
    """Markdown links and images (`[t](url)`, `![x](url)`, `[t][ref]`, `[ref]: url`) and autolinks
    (`<url>`, `<url|t>`) shown as text: each needs `]` or `<` right before its next character."""
    return text.replace("]", "]\u200b").replace("<", "<\u200b")


def escape_mrkdwn(text: str) -> str:
    """Slack: the three characters its markup gives meaning to (links, mentions, entities), and
    Markdown links broken as everywhere else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("]", "]\u200b")


def break_mentions(text: str) -> str:
    """`@channel`, `@all`... shown as text: a zero-width space after the @ stops the mention."""
    return _MENTION.sub("@\u200b", text)


def escape_markdown(text: str) -> str:
    """Mattermost and Discord: backslash before markup characters, and no mentions."""
    return break_mentions(_MARKDOWN.sub(r"\\\1", text))


def escape_google_chat(text: str) -> str:
    """Google Chat reads `<...>` as a link or a mention (`<users/all>`): break the bracket, and
    Markdown links too."""
    return break_links(text)


def escape_teams(text: str) -> str:
    """Teams: Adaptive Card text takes Markdown links; mentions need entities, never text alone."""
    return break_links(text)


def escape_rocketchat(text: str) -> str:
    """Rocket.Chat: Markdown links and images, `<url|t>` links, and `@all`/`@here`."""
    return break_mentions(break_links(text))


def dashboard_link(envelope: Envelope) -> str | None:
    """The dashboard URL when it is a plain http(s) URL, with the characters markups use encoded."""
    url = envelope.dashboard_url
    if not isinstance(url, str) or len(url) > _MAX_URL or not _URL.match(url):
        return None
    return "".join(_URL_UNSAFE.get(character, character) for character in url)


def _timestamp(envelope: Envelope) -> str:
    moment = envelope.occurred_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _heading(envelope: Envelope, lang: str) -> str:
    """A card's heading: the collectivity, whose dashboard the link opens, else the tracker."""
    return messages.place(envelope, lang) or messages.tracker_name(lang)


def _json(payload: dict[str, Any]) -> Rendered:
    return Rendered(orjson.dumps(payload), "application/json")


def slack(envelope: Envelope, lang: str) -> Rendered:
    """Slack incoming webhook: fallback text, a mrkdwn section and a button to the dashboard."""
    text = messages.sentence(envelope, lang)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, 3000, escape_mrkdwn)}}
    ]
    if url := dashboard_link(envelope):
        button = {"type": "button", "text": {"type": "plain_text", "text": fit(messages.link_label(lang), 75)}}
        blocks.append({"type": "actions", "elements": [{**button, "url": url}]})
    return _json({"text": fit(text, 3000, escape_mrkdwn), "blocks": blocks})


def mattermost(envelope: Envelope, lang: str) -> Rendered:
    """Mattermost incoming webhook: Markdown text ending with a link to the dashboard."""
    link = f"\n[{messages.link_label(lang)}]({url})" if (url := dashboard_link(envelope)) else ""
    text = fit(messages.sentence(envelope, lang), 16_383 - _units(link), escape_markdown)
    return _json({"text": text + link})


def discord(envelope: Envelope, lang: str) -> Rendered:
    """Discord webhook: the sentence, one embed linking to the dashboard, and no pings at all."""
    embed: dict[str, Any] = {
        "title": fit(_heading(envelope, lang), 256, escape_markdown),
        "timestamp": _timestamp(envelope),
    }
    if title := messages.subject(envelope, lang):
        embed["description"] = fit(title, 4096, escape_markdown)
    if url := dashboard_link(envelope):
        embed["url"] = url
    content = fit(messages.sentence(envelope, lang), 2000, escape_markdown)
    return _json({"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}})


def teams(envelope: Envelope, lang: str) -> Rendered:
    """Microsoft Teams (Workflows webhook): a message carrying one Adaptive Card 1.4."""
    body: list[dict[str, Any]] = []
    if where := messages.place(envelope, lang):
        heading = fit(where, 256, escape_teams)
        body.append({"type": "TextBlock", "text": heading, "weight": "Bolder", "size": "Medium", "wrap": True})
    text = messages.sentence(envelope, lang, with_place=False)
    body.append({"type": "TextBlock", "text": fit(text, 2000, escape_teams), "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if url := dashboard_link(envelope):
        card["actions"] = [{"type": "Action.OpenUrl", "title": messages.link_label(lang), "url": url}]
    if messages.is_rtl(lang):
        card["rtl"] = True
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    return _json({"type": "message", "attachments": [attachment]})


def rocketchat(envelope: Envelope, lang: str) -> Rendered:
    """Rocket.Chat incoming webhook: the sentence and an attachment titled with a dashboard link."""
    attachment: dict[str, Any] = {"title": fit(_heading(envelope, lang), 256, escape_rocketchat)}
    if url := dashboard_link(envelope):
        attachment["title_link"] = url
    if title := messages.subject(envelope, lang):
        attachment["text"] = fit(title, 5000, escape_rocketchat)
    text = fit(messages.sentence(envelope, lang), 5000, escape_rocketchat)
    return _json({"text": text, "attachments": [attachment]})


def google_chat(envelope: Envelope, lang: str) -> Rendered:
    """Google Chat incoming webhook: text, with `<url|label>` to the dashboard."""
    link = f"\n<{url}|{messages.link_label(lang)}>" if (url := dashboard_link(envelope)) else ""
    text = fit(messages.sentence(envelope, lang), 4096 - _units(link), escape_google_chat)
    return _json({"text": text + link})
