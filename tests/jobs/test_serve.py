"""`tracker serve` as a real process: migrates, loads the demo, serves, and dispatches in its lifespan."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import tracker_server

pytestmark = pytest.mark.slow


def _undispatched(path: Path) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        total = connection.execute("SELECT count(*) FROM outbox_event").fetchone()[0]
        pending = connection.execute("SELECT count(*) FROM outbox_event WHERE dispatched_at IS NULL").fetchone()[0]
    return int(total), int(pending)


def test_serve_demo_answers_graphql_and_dispatches_the_outbox(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    env = {"TRACKER_DATABASE_URL": f"sqlite:///{database}", "TRACKER_DISPATCH_INTERVAL_SECONDS": "0.2"}
    with tracker_server("--demo", env=env) as server:
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": '{ collectivity(slug: "ait-melloul") { currentPlan { commitments { totalCount } } } }'},
        )
        assert response.status_code == 200
        assert response.json()["data"]["collectivity"]["currentPlan"]["commitments"]["totalCount"] == 7
        deadline = time.monotonic() + 20
        while _undispatched(database)[1] and time.monotonic() < deadline:
            time.sleep(0.2)
        total, pending = _undispatched(database)
    assert total > 0
    assert pending == 0


def test_graphiql_is_served_to_a_browser(tmp_path: Path) -> None:
    env = {"TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}"}
    with tracker_server(env=env) as server:
        response = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
