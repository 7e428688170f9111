"""Debian's Chromium driven by Playwright, for the pages' browser tests (the `browser` fixture is
in tests/web/conftest.py)."""

from __future__ import annotations

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(name="database_url")
def sqlite_only(sqlite_url: str) -> str:
    """What a browser sees is the page, whatever stores its data: browser tests run on SQLite,
    and the pages' own tests (without a browser) run on both databases."""
    return sqlite_url
