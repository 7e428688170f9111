"""Engines and transactions: one transaction per mutation, command or job run."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import event, func
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import create_engine, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.settings import get_settings

log = logging.getLogger("tracker.db")


def _async_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)}")


def sync_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite")
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _json_text(value: Any) -> str:
    # Arabic and Tifinagh stay readable (and searchable) in the stored JSON.
    return orjson.dumps(value).decode()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _without_jit(url: URL) -> URL:
    """PostgreSQL's JIT compiles large queries at a cost of tens of milliseconds each time: a
    loss for the short reads of an API (PostgreSQL's docs advise it off for such workloads)."""
    if url.get_backend_name() != "postgresql":
        return url
    options = url.query.get("options", "")
    existing = options if isinstance(options, str) else " ".join(options)
    return url.update_query_dict({"options": f"{existing} -c jit=off".strip()})


def _hide_parameters() -> bool:
    """SQLAlchemy puts a failed statement's parameters in its exception's text, so in logs and in
    error messages: they are what clients sent, and one bad request could write them many times."""
    return not get_settings().log_sql_parameters


def create_engine_for(url: str) -> AsyncEngine:
    pool: dict[str, Any] = {}
    if not is_sqlite(url):
        # psycopg decodes json columns itself, with the standard library unless told otherwise.
        set_json_loads(orjson.loads)
        # SQLAlchemy's default keeps 5: concurrent requests beyond that opened and closed a
        # connection each, a PostgreSQL backend forked per request.
        size = get_settings().database_pool_size
        pool = {"pool_size": size, "max_overflow": size, "pool_pre_ping": True}
    engine = create_async_engine(
        _without_jit(_async_url(url)),
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
        hide_parameters=_hide_parameters(),
        **pool,
    )
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def create_sync_engine_for(url: str) -> Engine:
    engine = create_engine(sync_url(url), json_serializer=_json_text, hide_parameters=_hide_parameters())
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# What a transaction changed, by collectivity (None: not tied to one), noted by the outbox.
CHANGED = "tracker.changed"
# PostgreSQL delivers this notification to every replica when, and only if, the change commits.
CHANGES_CHANNEL = "tracker_changes"
_SEARCH_PATH = re.compile(r"search_path\s*=\s*\"?([A-Za-z0-9_]+)")


def changes_channel(url: str) -> str:
    """The channel of a deployment's changes. NOTIFY reaches every session of the database, so a
    deployment living in a schema of its own (a `search_path` in the URL's options) has its own
    channel, and other deployments' changes do not empty its caches."""
    options = make_url(url).query.get("options", "")
    match = _SEARCH_PATH.search(options if isinstance(options, str) else " ".join(options))
    return f"{CHANGES_CHANNEL}_{match.group(1)}".lower()[:63] if match else CHANGES_CHANNEL


ChangeListener = Callable[[frozenset[uuid.UUID | None]], None]


# Callbacks to run once the session's transaction has committed (never if it rolls back).
AFTER_COMMIT = "tracker.after_commit"


def note_change(session: AsyncSession, collectivity_id: uuid.UUID | None) -> None:
    session.info.setdefault(CHANGED, set()).add(collectivity_id)


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` after this transaction commits: a wake-up, never part of the change itself."""
    callbacks: list[Callable[[], None]] = session.info.setdefault(AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


def changes_payload(origin: str, changed: Iterable[uuid.UUID | None]) -> str:
    """NOTIFY payload (8000 bytes at most): the sending process, then collectivity ids or "*" for a
    change of everything."""
    keys = {key.hex if key is not None else "*" for key in changed}
    return f"{origin} " + ("*" if "*" in keys or len(keys) > 200 else ",".join(sorted(keys)))


def parse_changes(payload: str) -> tuple[str, frozenset[uuid.UUID | None]]:
    """The sending process and what it changed."""
    origin, _, keys = payload.rpartition(" ")
    changed: set[uuid.UUID | None] = set()
    for key in keys.split(","):
        try:
            changed.add(uuid.UUID(hex=key))
        except ValueError:
            changed.add(None)  # "*" or anything unexpected: treat as a change of everything
    return origin, frozenset(changed)


class Database:
    """The engine and its session factory, created once per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine_for(url)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False, autoflush=False)
        # Called after a transaction that changed data commits (the read cache listens).
        self.change_listeners: list[ChangeListener] = []
        # Names this process in its change notifications: it hears them too, and has acted on them.
        self.origin = uuid.uuid4().hex
        self.changes_channel = changes_channel(url)

    def announce(self, changed: frozenset[uuid.UUID | None]) -> None:
        for listener in list(self.change_listeners):
            try:
                listener(changed)
            except Exception:
                # The change has committed: a listener failing must not report it as failed.
                log.exception("a change listener failed after a commit")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back entirely on any error."""
        async with self.sessions() as session, session.begin():
            yield session
            changed = frozenset(session.info.pop(CHANGED, ()))
            callbacks: list[Callable[[], None]] = session.info.pop(AFTER_COMMIT, [])
            if changed and self.dialect == "postgresql":
                await session.exec(select(func.pg_notify(self.changes_channel, changes_payload(self.origin, changed))))
        # Committed: what follows tells others about it and must never turn it into an error
        # (a client told "failed" would retry, and record twice).
        if changed:
            self.announce(changed)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("an after-commit callback failed")

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
