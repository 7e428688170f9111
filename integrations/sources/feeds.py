"""`FEED`: an RSS or Atom feed (a collectivity's news, a ministry's announcements).

The feed is fetched with our client and its bytes handed to feedparser inside a BytesIO:
feedparser is never given a URL, a path or a bare string it could open itself.

- options.keywords: optional list of words or phrases; an entry is kept when one of them occurs in
  its title or summary (as text, tags left out), compared case-insensitively after Unicode NFKC
  normalisation, so it works in any script: "Budget" matches "BUDGET", full-width letters match
  their ASCII forms, and Arabic or Tifinagh keywords match as written.
- options.since: optional ISO date or date-time; dated entries published before it are skipped
  (entries without any date are kept).
- options.language: the language of Latin-script titles when the feed does not declare one.

One NEWS item per kept entry, fingerprinted by the SHA-256 of its id (or, lacking one, its link);
the observation is the number of kept entries at poll time. A feed that is not well-formed is
read anyway when the lenient parser still finds entries (with a warning), and refused otherwise.
A feed byte for byte the same as at the last successful poll is nothing new, as a 304 is: it is not
parsed again.
"""

from __future__ import annotations

import calendar
import io
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, cast
from urllib.parse import urljoin

import feedparser  # type: ignore[import-untyped]
import httpx

from integrations.sources.base import EvidenceItem, Observation, OptionError, PollResult, SourceConfig, SourceError
from integrations.sources.http_fetch import (
    DEFAULT_LIMIT,
    check_known,
    check_language,
    check_url,
    default_language,
    fetch,
    not_modified_result,
    now,
    parse_timestamp,
    sha256,
    title_of,
    where,
)

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 200


def fold(text: str) -> str:
    """Text as keywords are compared: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")


def plain(html: str) -> str:
    """The text of an HTML fragment (feed summaries are HTML)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _keywords(config: SourceConfig) -> list[str]:
    value = config.options.get("keywords")
    return [fold(word) for word in value] if isinstance(value, list) else []


def _since(config: SourceConfig) -> datetime | None:
    return parse_timestamp(config.options.get("since"))


def _entry_date(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed is not None:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    return value if isinstance(value, str) else ""


def _readable(entry: Mapping[str, Any], key: str) -> str:
    """A title or summary as text: feedparser keeps (sanitised) HTML when the feed says it is HTML."""
    text = _text(entry, key)
    detail = entry.get(f"{key}_detail")
    kind = detail.get("type") if isinstance(detail, Mapping) else None
    return plain(text) if kind in ("text/html", "application/xhtml+xml") else text


def _declared_language(entry: Mapping[str, Any], feed_language: str | None) -> str | None:
    detail = entry.get("title_detail")
    if isinstance(detail, Mapping):
        language = detail.get("language")
        if isinstance(language, str) and language:
            return language
    return feed_language


class FeedAdapter:
    """`FEED`: url is an RSS or Atom feed."""

    kind = "FEED"
    options = ("keywords", "since", "language")

    def __init__(self, *, max_bytes: int = DEFAULT_LIMIT) -> None:
        self.max_bytes = max_bytes

    def validate(self, config: SourceConfig) -> None:
        check_url(config)
        check_known(config, self.options)
        keywords = config.options.get("keywords")
        if keywords is not None:
            if not isinstance(keywords, list) or not all(isinstance(word, str) and fold(word) for word in keywords):
                raise OptionError("keywords", "must be a list of non-empty strings")
            if len(keywords) > MAX_KEYWORDS:
                raise OptionError("keywords", f"at most {MAX_KEYWORDS} keywords")
            if any(len(word) > MAX_KEYWORD_LENGTH for word in keywords):
                raise OptionError("keywords", f"a keyword is at most {MAX_KEYWORD_LENGTH} characters")
        since = config.options.get("since")
        if since is not None and parse_timestamp(since) is None:
            raise OptionError("since", "must be an ISO 8601 date (2024-01-31) or date-time")
        check_language(config)

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        fetched = await fetch(client, config.url, state, limit=self.max_bytes, accept=ACCEPT, track_content=True)
        if fetched.not_modified or fetched.unchanged:
            return not_modified_result(fetched)
        headers = {"content-location": fetched.url}
        if content_type := fetched.headers.get("content-type"):
            headers["content-type"] = content_type
        if content_language := fetched.headers.get("content-language"):
            headers["content-language"] = content_language
        parsed = cast(Mapping[str, Any], feedparser.parse(io.BytesIO(fetched.body), response_headers=headers))
        entries = [entry for entry in parsed.get("entries", []) if isinstance(entry, Mapping)]
        warnings: list[str] = []
        if parsed.get("bozo"):
            problem = parsed.get("bozo_exception") or "unknown error"
            if not entries:
                raise SourceError(f"{where(config.url)} is not a readable RSS or Atom feed: {problem}")
            warnings.append(f"the feed is not well-formed ({problem}); {len(entries)} entries were read anyway")
        elif not entries and not parsed.get("version"):
            raise SourceError(f"{where(config.url)} is not an RSS or Atom feed")
        feed = parsed.get("feed")
        feed_language = feed.get("language") if isinstance(feed, Mapping) else None
        feed_language = feed_language if isinstance(feed_language, str) else None
        language = default_language(config)
        keywords = _keywords(config)
        since = _since(config)
        items: list[EvidenceItem] = []
        seen: set[str] = set()
        unnamed = 0
        for entry in entries:
            title = _readable(entry, "title")
            if keywords:
                haystack = fold(f"{title} {_readable(entry, 'summary')}")
                if not any(word in haystack for word in keywords):
                    continue
            published_at = _entry_date(entry)
            if since is not None and published_at is not None and published_at < since:
                continue
            identifier = _text(entry, "id").strip()
            link = _text(entry, "link").strip()
            key = identifier or link
            if not key:
                unnamed += 1
                continue
            fingerprint = sha256(key)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            url = urljoin(fetched.url, link) if link else fetched.url
            if not url.startswith(("http://", "https://")):
                url = fetched.url
            declared = _declared_language(entry, feed_language)
            items.append(
                EvidenceItem(
                    fingerprint=fingerprint,
                    url=url,
                    title=title_of(title, declared=declared, default=language) or title_of(url, default=language),
                    kind="NEWS",
                    published_at=published_at,
                )
            )
        if unnamed:
            warnings.append(f"{unnamed} entries without an id or a link were skipped")
        return PollResult(
            items=items,
            observations=[Observation(value=float(len(items)), observed_at=now())],
            state=fetched.state,
            http_status=fetched.status,
            bytes_read=len(fetched.body),
            warnings=warnings,
        )
