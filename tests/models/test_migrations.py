"""The migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tracker import migrate
from tracker.db import create_sync_engine_for
from tracker.models import metadata


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_sync_engine_for(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences: list[Any] = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_database_is_at_the_latest_revision(database_url: str) -> None:
    assert migrate.is_current(database_url)
