"""A database that does not answer is a 503 JSON error with Retry-After, for everyone.

The database is really unreachable: PostgreSQL on a port nobody listens on, or an SQLite file in
a folder that does not exist.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import httpx
import pytest

from graphql import parse
from tests.support.graphql import Client, error_codes, operation
from tests.support.processes import free_port
from tracker.api.core.persisted import sha256_of
from tracker.db import Database
from tracker.settings import Settings

# Well formed, so the token is looked up in the database rather than refused on sight.
TOKEN = "trk_abcdefghijkl_" + "s" * 32


@pytest.fixture
async def down(settings: Settings) -> AsyncIterator[Client]:
    if settings.database_url.startswith("sqlite"):
        url = "sqlite:////nonexistent-folder/tracker.db"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    database = Database(url)
    client = Client(settings.model_copy(update={"database_url": url}), database)
    try:
        yield client  # its lifespan is not run: a process whose database went down after start
    finally:
        await client.http.aclose()
        await database.dispose()
        # aiosqlite stops the thread of a failed connection after the failure is reported: let it
        # finish while this event loop, which it reports to, still runs.
        for thread in threading.enumerate():
            if "_connection_worker_thread" in thread.name:
                await asyncio.to_thread(thread.join, 10)


def _unavailable(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["retry-after"].isdigit()
        and response.headers["content-type"].startswith("application/json")
        and error_codes(response.json())[0] == ("UNAVAILABLE", None)
        and response.json()["errors"][0]["extensions"]["retryAfter"] == int(response.headers["retry-after"])
    )


async def test_an_anonymous_query_during_an_outage_is_unavailable(down: Client) -> None:
    response = await down.post("{ network { planCount } }")
    assert _unavailable(response), response.text


async def test_an_authenticated_query_during_an_outage_is_unavailable(down: Client) -> None:
    response = await down.post("{ network { planCount } }", headers=down.bearer(TOKEN))
    assert _unavailable(response), response.text


async def test_a_persisted_read_during_an_outage_is_unavailable(down: Client) -> None:
    params = {"documentId": "sha256:" + sha256_of(operation("NetworkSummary"))}
    response = await down.http.get("/graphql", params=params)
    assert _unavailable(response), response.text


async def test_a_mutation_during_an_outage_is_unavailable(down: Client) -> None:
    response = await down.post(
        operation("UpdateMilestone"), {"input": {"id": "x", "status": "COMPLETED"}}, headers=down.bearer(TOKEN)
    )
    assert _unavailable(response), response.text


async def test_the_dashboard_during_an_outage_is_an_unavailable_page(down: Client) -> None:
    response = await down.http.get("/")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"].startswith("text/html")


async def test_a_query_answered_without_strawberry_during_an_outage_is_unavailable(down: Client) -> None:
    query = "query Count { network { planCount } }"
    # As if the planner had answered it whole before the database went down.
    down.app.state.schema.ready_reads.remember(query, None, parse(query))
    response = await down.post(query)
    assert _unavailable(response), response.text


async def test_a_deadline_calendar_during_an_outage_is_unavailable(down: Client) -> None:
    response = await down.http.get("/feeds/ait-melloul.ics")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
