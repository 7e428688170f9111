"""Stopping the hub ends its follower, whenever the stop comes."""

from __future__ import annotations

import asyncio

from tracker.db import Database
from tracker.events.pubsub import Hub


async def test_stop_ends_the_follower_even_when_a_wake_up_comes_with_it(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        hub = Hub(db, poll_interval=60)
        await hub.start()
        await asyncio.sleep(0)  # the follower waits for a wake-up
        # A commit's wake-up and the stop in the same turn of the loop: asyncio.wait_for (Python
        # 3.11) returned the wake-up and dropped the cancellation, and the stop waited forever.
        hub.wake()
        async with asyncio.timeout(5) as bound:
            await hub.stop()
        assert not bound.expired()
    finally:
        await db.dispose()
