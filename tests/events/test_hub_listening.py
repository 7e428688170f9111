"""The hub's LISTEN connection reaches the same database and schema as the engine."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url

from tracker.db import Database
from tracker.events.pubsub import Hub


async def test_the_hub_listens_with_connection_options_written_with_spaces(postgres_url: str) -> None:
    # `-c search_path=…` as an operator writes it: the space used to reach libpq as "+", and the
    # hub retried its connection forever.
    options = make_url(postgres_url).query["options"]
    assert isinstance(options, str)
    spaced = make_url(postgres_url).update_query_dict({"options": options.replace("-c", "-c ", 1)})
    db = Database(spaced.render_as_string(hide_password=False))
    hub = Hub(db, poll_interval=60)
    try:
        await hub.start()
        async with asyncio.timeout(10):
            await hub.listening.wait()
    finally:
        await hub.stop()
        await db.dispose()
