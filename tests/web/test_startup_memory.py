"""A server process leaves the objects of its start out of later garbage collections."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Run in a process of its own: freezing is for a whole server process, never a test run's.
PROBE = """
import asyncio, gc, sys
from tracker.app import create_app
from tracker.settings import Settings

async def main(freeze):
    app = create_app(Settings(database_url=sys.argv[1], scheduler_enabled=False), freeze_after_start=freeze)
    async with app.router.lifespan_context(app):
        print(gc.get_freeze_count())

asyncio.run(main(sys.argv[2] == "freeze"))
"""


def _frozen(database_url: str, mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, database_url, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    return int(done.stdout)


def test_a_started_server_freezes_the_objects_of_its_start(database_url: str) -> None:
    # Modules, the schema, mappers: the bulk of what a full collection would walk.
    assert _frozen(database_url, "freeze") > 50_000


def test_an_application_started_without_the_flag_freezes_nothing(database_url: str) -> None:
    assert _frozen(database_url, "plain") == 0
