"""Checking that the values kept on write agree with the progress rule."""

from __future__ import annotations

from tracker.db import Database
from tracker.services import derived


async def assert_no_drift(db: Database) -> None:
    """What `tracker verify` checks: every stored progress, latest measurement and count is the
    rule's, recomputed from the rows."""
    async with db.transaction() as session:
        await derived.read_one_snapshot(session)
        drifts = await derived.check(session)
    assert not drifts, "\n".join(str(drift) for drift in drifts)
