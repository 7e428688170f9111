"""The adapter contract: `poll(client, config, state) -> PollResult`, pure but for its HTTP requests.

Every request goes through the hardened client handed in (timeouts, size caps, SSRF guard).
`state` is what the previous successful poll returned (ETag, Last-Modified, cursors...): the
adapter sends conditional requests with it and returns the new state. A 304 is a success with
no items. Any failure raises `SourceError` with a message fit for the staff who configured it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx


class SourceError(Exception):
    """The source could not be read; the message says why, for the people who configured it."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


class OptionError(ValueError):
    """A source's options are wrong; `option` names the one at fault."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message


@dataclass(frozen=True, slots=True)
class SourceConfig:
    url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """Something published: becomes Evidence, deduplicated by its fingerprint."""

    fingerprint: str
    url: str
    title: dict[str, str]
    kind: str  # DOCUMENT | DATASET | NEWS | WEB_PAGE | OTHER
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """A value read from the source: becomes a Measurement of the indicator fed."""

    value: float
    observed_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PollResult:
    items: list[EvidenceItem] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    bytes_read: int = 0
    not_modified: bool = False
    warnings: list[str] = field(default_factory=list)


class Adapter(Protocol):
    kind: str

    def validate(self, config: SourceConfig) -> None:
        """Raise OptionError naming the option at fault; called when a source is configured."""

    async def poll(self, client: httpx.AsyncClient, config: SourceConfig, state: dict[str, Any]) -> PollResult:
        """Read the source once."""
