"""Migration 0018 fills the search text of collectivities written before it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from tracker import migrate
from tracker.db import create_sync_engine_for

_COLLECTIVITY = sa.Table(
    "collectivity",
    sa.MetaData(),
    sa.Column("id", sa.Uuid),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.Column("slug", sa.String),
    sa.Column("kind", sa.String),
    sa.Column("name", sa.JSON),
    sa.Column("search_text", sa.String),
)


def test_the_migration_folds_the_slug_and_every_name_of_existing_rows(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0017")
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    engine = create_sync_engine_for(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                _COLLECTIVITY.insert().values(
                    id=uuid.uuid4(),
                    created_at=stamp,
                    updated_at=stamp,
                    slug="ait-melloul",
                    kind="COMMUNE",
                    name={"fr": "Aït Melloul", "ar": "أيت ملول"},
                )
            )
        migrate.upgrade(empty_url)
        with engine.connect() as connection:
            found = connection.execute(sa.select(_COLLECTIVITY.c.search_text)).scalar_one()
    finally:
        engine.dispose()
    assert found.split("\n") == ["ait-melloul", "ايت ملول", "ait melloul"]
