"""Every source kind has its adapter, filed under its own kind."""

from __future__ import annotations

from integrations.sources.registry import ADAPTERS
from tracker.models import SourceKind


def test_every_kind_has_an_adapter() -> None:
    assert sorted(ADAPTERS) == ["CKAN_DATASET", "CKAN_SEARCH", "DECIDIM", "DOCUMENT", "FEED", "JSON_API"]


def test_adapters_are_filed_under_their_own_kind() -> None:
    assert all(adapter.kind == kind for kind, adapter in ADAPTERS.items())


def test_every_external_source_kind_of_the_tracker_has_an_adapter() -> None:
    internal = {SourceKind.ACCESS_REQUESTS.value}  # read from the tracker's own register
    assert {kind.value for kind in SourceKind} - internal == set(ADAPTERS)
