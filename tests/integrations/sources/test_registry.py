"""Every source kind has its adapter, filed under its own kind."""

from __future__ import annotations

from integrations.sources.registry import ADAPTERS


def test_every_kind_has_an_adapter() -> None:
    assert sorted(ADAPTERS) == ["CKAN_DATASET", "CKAN_SEARCH", "DOCUMENT", "FEED", "JSON_API"]


def test_adapters_are_filed_under_their_own_kind() -> None:
    assert all(adapter.kind == kind for kind, adapter in ADAPTERS.items())
