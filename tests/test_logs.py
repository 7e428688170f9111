"""Logs cannot be flooded by a client, hide SQL parameters, and name the request on every line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graphql import GraphQLError
from tests.support.graphql import Client
from tests.support.processes import free_port, wait_until_ready
from tracker import logs
from tracker.api.core.errors import classify, log_errors
from tracker.db import Database
from tracker.jobs.scheduler import Scheduler
from tracker.settings import Settings, get_settings
from tracker.web.request_ids import HEADER, add_request_ids

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
# 30 aliases (the most a request may have), each answered with BAD_USER_INPUT.
BAD_IDS = "query Flood { " + " ".join(f'a{n}: node(id: "bm9wZQ") {{ id }}' for n in range(30)) + " }"
# The attack test's request: text PostgreSQL cannot store, in every alias.
NUL_SLUGS = "query Flood { " + " ".join(f'a{n}: collectivity(slug: "x{n}\\u0000") {{ name }}' for n in range(30)) + " }"


class Captured:
    """What the configured handler wrote; the configuration undone afterwards."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, logger: str) -> list[str]:
        return [line for line in self.text.splitlines() if f" {logger}: " in line or f'"{logger}"' in line]


@pytest.fixture
def captured(request: pytest.FixtureRequest) -> Iterator[Captured]:
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in logs.LEVELS}
    capture = Captured()
    log_format = getattr(request, "param", "text")
    handler = logs.configure(Settings(log_format=log_format), stream=capture.stream)
    try:
        yield capture
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


async def test_a_request_full_of_client_errors_writes_one_short_line(client: Client, captured: Captured) -> None:
    response = await client.post(BAD_IDS)
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["BAD_USER_INPUT"] * 30
    lines = captured.lines("tracker.api")
    assert len(lines) == 1
    assert " INFO " in lines[0]
    assert "query Flood: 30 client error(s) (BAD_USER_INPUT 30)" in lines[0]
    assert "Traceback" not in captured.text
    # Before: 37 KB of log for this 1.7 KB request (30 ERROR records with their tracebacks).
    assert len(captured.text.encode()) < 2000


async def test_text_postgresql_cannot_store_writes_one_short_line(client: Client, captured: Captured) -> None:
    response = await client.post(NUL_SLUGS)
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["BAD_USER_INPUT"]
    assert "ERROR" not in captured.text
    # Before, on PostgreSQL: 481 KB of log for this 1.5 KB request (30 tracebacks with SQL and parameters).
    assert len(captured.text.encode()) < 2000


def _failure(message: str) -> GraphQLError:
    try:
        raise RuntimeError(message)
    except RuntimeError as error:
        return GraphQLError("boom", path=["a", 1], original_error=error)


def test_unexpected_errors_log_one_bounded_traceback(captured: Captured) -> None:
    errors = [_failure("x" * 100_000) for _ in range(30)]
    log_errors(errors, [classify(error) for error in errors], "query Broken")
    size = len(captured.text)
    assert size < logs.MAX_TRACEBACK_CHARS + 1000
    assert captured.text.count("Traceback") == 1
    assert "query Broken: unexpected error at a.1 and 29 more" in captured.text


def test_client_text_in_an_error_cannot_forge_log_lines(captured: Captured) -> None:
    forged = GraphQLError("unknown language fr\n2026-01-01 ERROR [-] tracker.api: forged", path=["a"])
    log_errors([forged], [classify(forged)], "query Q")
    assert len(captured.text.splitlines()) == 1
    assert "fr\\x0a2026" in captured.text


def test_a_lone_surrogate_in_an_error_is_written_escaped(captured: Captured) -> None:
    refused = GraphQLError("unknown slug a\ud800b", path=["a"])
    log_errors([refused], [classify(refused)], "query Q")
    assert "a\\ud800b" in captured.text
    captured.text.encode("utf-8")  # a raw lone surrogate would make this, and the log stream, fail


async def test_graphql_errors_are_logged_by_the_tracker_alone(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await client.post("{ nothing }")
    assert [record.name for record in caplog.records if record.name.startswith("strawberry")] == []


async def test_database_errors_hide_sql_parameters(db: Database) -> None:
    with pytest.raises(DBAPIError) as raised:
        async with db.engine.connect() as connection:
            await connection.execute(
                text("SELECT secret FROM no_such_table WHERE secret = :value"), {"value": "s3cr3t"}
            )
    assert "s3cr3t" not in str(raised.value)
    assert "hidden" in str(raised.value)


@pytest.fixture
def sql_parameters_shown(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TRACKER_LOG_SQL_PARAMETERS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_database_errors_show_sql_parameters_when_asked(database_url: str, sql_parameters_shown: None) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(DBAPIError) as raised:
            async with db.engine.connect() as connection:
                await connection.execute(text("SELECT a FROM no_such_table WHERE a = :value"), {"value": "s3cr3t"})
    finally:
        await db.dispose()
    assert "s3cr3t" in str(raised.value)


async def test_every_response_carries_a_request_id(client: Client) -> None:
    for response in (await client.http.get("/healthz"), await client.post("{ __typename }")):
        assert GENERATED_ID.fullmatch(response.headers[HEADER])


async def test_a_well_formed_incoming_request_id_is_kept(client: Client) -> None:
    response = await client.http.get("/healthz", headers={HEADER: "edge-7f3a.42"})
    assert response.headers[HEADER] == "edge-7f3a.42"


async def test_a_malformed_incoming_request_id_is_replaced(client: Client) -> None:
    response = await client.http.get("/healthz", headers={HEADER: "a b [forged]"})
    assert GENERATED_ID.fullmatch(response.headers[HEADER])


async def test_log_lines_of_a_request_carry_its_id(client: Client, captured: Captured) -> None:
    response = await client.post(BAD_IDS, headers={HEADER: "req-12345"})
    assert response.headers[HEADER] == "req-12345"
    assert "[req-12345] tracker.api: " in captured.lines("tracker.api")[0]


@pytest.mark.parametrize("captured", ["json"], indirect=True)
async def test_json_log_lines_are_objects_with_the_request_id(client: Client, captured: Captured) -> None:
    response = await client.post(BAD_IDS)
    records = [json.loads(line) for line in captured.text.splitlines()]
    api = [record for record in records if record["logger"] == "tracker.api"]
    assert len(api) == 1
    assert api[0]["level"] == "INFO"
    assert api[0]["request_id"] == response.headers[HEADER]


async def test_an_unhandled_crash_answers_500_with_the_request_id() -> None:
    async def crash(request: Request) -> Response:
        raise RuntimeError("bug")

    app = Starlette(routes=[Route("/crash", crash)])
    add_request_ids(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tracker.test") as http:
        response = await http.get("/crash", headers={HEADER: "crash-1"})
    assert response.status_code == 500
    assert response.headers[HEADER] == "crash-1"


@pytest.fixture
async def scheduler(db: Database, settings: Settings) -> AsyncIterator[Scheduler]:
    made = Scheduler(db, settings)
    try:
        yield made
    finally:
        await made.shutdown()


async def test_idle_scheduler_ticks_write_nothing_at_info(
    scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ran: set[str] = set()
    both = asyncio.Event()

    def executed(event: JobExecutionEvent) -> None:
        ran.add(event.job_id)
        if {"sources", "reminders"} <= ran:
            both.set()

    # The source and reminder ticks run at start; on an empty database they find nothing to do.
    scheduler._scheduler.add_listener(executed, EVENT_JOB_EXECUTED)
    await scheduler.start()
    caplog.clear()
    await asyncio.wait_for(both.wait(), timeout=20)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO] == []


@pytest.mark.slow
def test_serve_writes_json_lines_with_request_ids_access_log_included(tmp_path: Path) -> None:
    port, errors = free_port(), tmp_path / "stderr.log"
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}", "TRACKER_LOG_FORMAT": "json"}
    with errors.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)], env=env, stderr=sink
        )
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", process)
            httpx.get(f"http://127.0.0.1:{port}/healthz", headers={HEADER: "served-1"})
        finally:
            process.terminate()
            process.wait(timeout=15)
    records = [json.loads(line) for line in errors.read_text().splitlines()]
    access = [record for record in records if record["logger"] == "uvicorn.access" and "/healthz" in record["message"]]
    assert [record["request_id"] for record in access][-1] == "served-1"
