"""Every database test runs on SQLite and on PostgreSQL (`TRACKER_TEST_POSTGRES_URL`)."""

from __future__ import annotations

import os
import random
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.support.cleanup import truncate_all
from tests.support.graphql import Client
from tests.support.tokens import token_for
from tracker import migrate
from tracker.db import Database, create_sync_engine_for
from tracker.models import Role
from tracker.settings import Settings

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each test process (each xdist worker) has a scheduler lock of its own, passed on to the servers
# it starts: schedulers of two processes on one PostgreSQL would take turns leading, and one of
# them would poll no source.
os.environ["TRACKER_LEADER_LOCK_KEY"] = str(random.SystemRandom().randrange(1, 2**62))
# `tracker serve` refuses to start without a key for the session cookies; tests start it often.
os.environ.setdefault("TRACKER_SECRET_KEY", "tests-only-" + "k" * 32)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("db") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database for each test (a copy: migrating each time is slower)."""
    path = tmp_path / "tracker.db"
    with sqlite3.connect(sqlite_template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A schema of its own in the test database, so parallel runs never meet."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_sync_engine_for(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    migrate.upgrade(rendered)
    yield rendered
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Database]:
    """PostgreSQL alone, for what only it does (the read planner), emptied afterwards."""
    database = Database(postgres_url)
    try:
        yield database
    finally:
        await truncate_all(database)
        await database.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        if database.dialect == "postgresql":
            await truncate_all(database)
        await database.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        scheduler_enabled=False,
        allow_private_targets=True,
    )


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[Client]:
    """A GraphQL client over the real ASGI application on the test database."""
    graphql = Client(settings, db)
    await graphql.start()
    graphql.admin_token = await token_for(db, Role.ADMIN)
    try:
        yield graphql
    finally:
        await graphql.close()
