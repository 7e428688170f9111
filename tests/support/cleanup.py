"""Emptying a PostgreSQL test schema between tests."""

from __future__ import annotations

from sqlalchemy import text

from tracker.db import Database
from tracker.models import metadata

# DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE of every table makes new files for
# each table and index (0.5 s a test on a loaded machine, against 10 ms). As the replica of a
# replication, the session fires no trigger: no foreign key check (so any order will do) and not
# the audit trail's refusal of deletions, which is by design. Needs a superuser (tests run as
# postgres).
EMPTY = "\n".join(
    [
        "SET LOCAL session_replication_role = replica;",
        *(f'DELETE FROM "{table.name}";' for table in metadata.sorted_tables),
        # What TRUNCATE ... RESTART IDENTITY did: numbering starts again (outbox and audit sequences).
        """DO $$
        DECLARE sequence record;
        BEGIN
            FOR sequence IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() LOOP
                EXECUTE format('ALTER SEQUENCE %I RESTART', sequence.sequencename);
            END LOOP;
        END $$;""",
    ]
)


async def truncate_all(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(text(EMPTY))
