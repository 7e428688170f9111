"""Every source kind the tracker can poll, by the `kind` stored with the source."""

from __future__ import annotations

from integrations.sources.base import Adapter
from integrations.sources.ckan import CkanDatasetAdapter, CkanSearchAdapter
from integrations.sources.decidim import DecidimAdapter
from integrations.sources.documents import DocumentAdapter
from integrations.sources.feeds import FeedAdapter
from integrations.sources.json_api import JsonApiAdapter

_ALL: tuple[Adapter, ...] = (
    CkanDatasetAdapter(),
    CkanSearchAdapter(),
    FeedAdapter(),
    JsonApiAdapter(),
    DocumentAdapter(),
    DecidimAdapter(),
)

ADAPTERS: dict[str, Adapter] = {adapter.kind: adapter for adapter in _ALL}
