"""Emptying a PostgreSQL test schema between tests."""

from __future__ import annotations

from sqlalchemy import text

from tracker.db import Database
from tracker.models import metadata


async def truncate_all(db: Database) -> None:
    """TRUNCATE, not DELETE: the audit trail refuses deletions, by design."""
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
