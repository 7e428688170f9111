"""`DOCUMENT`: one published page or file (a council decision, the plan's PDF, a portal page).

The fingerprint follows the content: for HTML, the SHA-256 of its text (tags, scripts, styles and
comments dropped, whitespace collapsed, NFC), so a new session cookie or a rotated ad in the markup
does not count as a change; for any other type, the SHA-256 of the bytes. HTML gives a WEB_PAGE
item titled by its <title>, anything else a DOCUMENT item titled by its file name.

The item comes back on every successful poll (the tracker dedupes by fingerprint). Whether the
content changed since the previous poll is `state["changed"]`, the observation's note, and, when
it did change, a line in `warnings`. The observation is 1.0: the document was available;
unavailability raises SourceError like any other failure.

options.maxBytes raises the 5 MiB cap for large files, up to 25 MiB.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import httpx

from integrations.sources.base import EvidenceItem, Observation, OptionError, PollResult, SourceConfig
from integrations.sources.http_fetch import (
    DEFAULT_LIMIT,
    Fetched,
    check_known,
    check_language,
    check_url,
    clean_text,
    default_language,
    fetch,
    not_modified_result,
    now,
    sha256,
    title_of,
)

MAX_BYTES_CEILING = 25 * 1024 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg"})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_FILENAME = re.compile(r"""filename\*?\s*=\s*(?:UTF-8'[^']*')?"?([^";]+)"?""", re.IGNORECASE)


class PageText(HTMLParser):
    """The visible text of a page, its <title> and the language of its <html>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.language: str | None = None
        self._skipping: dict[str, int] = {}
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping[tag] = self._skipping.get(tag, 0) + 1
        elif tag == "title":
            self._in_title = True
        elif tag == "html" and self.language is None:
            self.language = next((value for name, value in attrs if name == "lang" and value), None)
        self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping.get(tag):
            self._skipping[tag] -= 1
        elif tag == "title":
            self._in_title = False
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if any(self._skipping.values()):
            return
        if self._in_title:
            self.title_parts.append(data)
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(unicodedata.normalize("NFC", "".join(self.parts)).split())

    @property
    def title(self) -> str:
        return clean_text("".join(self.title_parts))


def read_page(body: bytes, charset: str | None) -> PageText:
    encoding = charset
    if encoding is None:
        declared = _META_CHARSET.search(body[:4096])
        encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    page = PageText()
    page.feed(text)
    page.close()
    return page


def file_name(fetched: Fetched) -> str:
    disposition = fetched.headers.get("content-disposition", "")
    if match := _FILENAME.search(disposition):
        return unquote(match.group(1)).strip()
    path = httpx.URL(fetched.url).path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) or fetched.url


class DocumentAdapter:
    """`DOCUMENT`: url is a page or a file."""

    kind = "DOCUMENT"
    options = ("maxBytes", "language")

    def __init__(self, *, max_bytes: int = DEFAULT_LIMIT) -> None:
        self.max_bytes = max_bytes

    def validate(self, config: SourceConfig) -> None:
        check_url(config)
        check_known(config, self.options)
        cap = config.options.get("maxBytes")
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 0 < cap <= MAX_BYTES_CEILING):
            raise OptionError("maxBytes", f"must be a whole number of bytes from 1 to {MAX_BYTES_CEILING}")
        check_language(config)

    def limit(self, config: SourceConfig) -> int:
        cap = config.options.get("maxBytes")
        return cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else self.max_bytes

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        fetched = await fetch(client, config.url, state, limit=self.limit(config))
        if fetched.not_modified:
            return not_modified_result(fetched)
        language = default_language(config)
        if fetched.content_type in HTML_TYPES:
            page = read_page(fetched.body, fetched.charset)
            fingerprint = sha256(page.text)
            title = title_of(page.title, declared=page.language, default=language)
            kind = "WEB_PAGE"
        else:
            fingerprint = sha256(fetched.body)
            title = title_of(file_name(fetched), default=language)
            kind = "DOCUMENT"
        previous = state.get("fingerprint")
        changed = previous != fingerprint
        warnings = []
        if changed and isinstance(previous, str):
            warnings.append("the document changed since the last poll")
        item = EvidenceItem(
            fingerprint=fingerprint, url=config.url, title=title or title_of(config.url, default=language), kind=kind
        )
        note = "changed since the last poll" if changed and previous else "first poll" if changed else "unchanged"
        return PollResult(
            items=[item],
            observations=[Observation(value=1.0, observed_at=now(), note=note)],
            state={**fetched.state, "fingerprint": fingerprint, "changed": changed},
            http_status=fetched.status,
            bytes_read=len(fetched.body),
            warnings=warnings,
        )
