"""Engines and transactions: one transaction per mutation, command or job run."""

from __future__ import annotations

import asyncio
import logging
import re
import select as io_select
import sqlite3
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from sqlalchemy import event, exc, func
from sqlalchemy.engine import URL, Connection, Dialect, Engine, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_, greenlet_spawn
from sqlmodel import create_engine, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.errors import Unavailable
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, lock_timeout: float | None = None) -> None:
    # WAL lets readers proceed during a write; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    timeout = get_settings().database_lock_timeout_seconds if lock_timeout is None else lock_timeout
    cursor.execute(f"PRAGMA busy_timeout={round(timeout * 1000)}")
    cursor.close()


# SQLite refuses at once, whatever busy_timeout says, a transaction that has read and then writes
# after another writer got in first (its snapshot is out of date): "database is locked". So a write
# transaction takes the write lock when it begins (BEGIN IMMEDIATE, which does wait), readers stay
# deferred and never wait, and in a process writers queue for their turn (see `_Writers`).
_WRITE_OPTION = "tracker_write"


def _sqlite_own_transactions(lock_timeout: float) -> Callable[[Any, Any], None]:
    def connected(dbapi_connection: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, record, lock_timeout)
        # The sqlite3 module would open transactions itself, deferred and only before a write
        # statement; `_sqlite_begin` opens them instead (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None

    return connected


# A connection whose statements each run on their own (`Database.autocommit`): no BEGIN.
NO_BEGIN_OPTION = "tracker_no_begin"


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if options.get(NO_BEGIN_OPTION, False):
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE_OPTION, False) else "BEGIN")


_BUSY = ("database is locked", "database table is locked", "database is busy")
BUSY_MESSAGE = "The database is busy; try again shortly."


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite's lock wait running out."""
    original = error.orig if isinstance(error, exc.DBAPIError) else error
    return isinstance(original, sqlite3.OperationalError) and str(original).startswith(_BUSY)


# The task holding this process's SQLite write turn, to refuse a nested write transaction, which
# would wait for itself forever.
_TURN_HOLDER: ContextVar[asyncio.Task[Any] | None] = ContextVar("tracker_write_turn", default=None)


class _Writers:
    """SQLite has one writer at a time. Queued here, a process's writers take turns in arrival
    order without holding a pooled connection while they wait (SQLite's own busy wait polls with
    growing sleeps, and would keep up to the whole pool waiting); BEGIN IMMEDIATE still orders
    them against other processes (a CLI command, a worker)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # One lock per event loop: an asyncio lock belongs to the loop that first waits on it.
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and _TURN_HOLDER.get() is task:
            raise RuntimeError("a write transaction was opened inside another one on SQLite")
        lock = self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        try:
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise Unavailable(BUSY_MESSAGE) from None
        holder = _TURN_HOLDER.set(task)
        try:
            yield
        finally:
            _TURN_HOLDER.reset(holder)
            lock.release()


def _json_text(value: Any) -> str:
    # Arabic and Tifinagh stay readable (and searchable) in the stored JSON.
    return orjson.dumps(value).decode()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _server_options(url: URL) -> URL:
    """Two planner settings for the short, repeated statements of an API:

    * no JIT: PostgreSQL's JIT compiles large queries at a cost of tens of milliseconds each time
      (PostgreSQL's docs advise it off for such workloads);
    * generic plans for prepared statements: psycopg prepares a statement run five times, but
      PostgreSQL's default ("auto") kept planning the read planner's statements anew at each
      execution, their estimated generic cost being above the custom plans' average. Planning
      took longer than running them: a commitment card 0.96 ms of wall time a request with
      custom plans, 0.39 ms with the generic one (psycopg on this machine, N = 126).
    """
    if url.get_backend_name() != "postgresql":
        return url
    options = url.query.get("options", "")
    existing = options if isinstance(options, str) else " ".join(options)
    return url.update_query_dict({"options": f"{existing} -c jit=off -c plan_cache_mode=force_generic_plan".strip()})


def _hide_parameters() -> bool:
    """SQLAlchemy puts a failed statement's parameters in its exception's text, so in logs and in
    error messages: they are what clients sent, and one bad request could write them many times."""
    return not get_settings().log_sql_parameters


# When a pooled connection was last given back (time.monotonic()), in its pool record's `info`,
# which SQLAlchemy empties when the record opens a new connection.
_CHECKED_IN_AT = "tracker_checked_in_at"


def _has_input(fileno: int) -> bool:
    """Whether an idle connection's socket has something to read. The server says nothing to an idle
    client unless it is going away: a terminated backend, and every backend of a server that shuts
    down or restarts, sends its FATAL error and closes the socket."""
    if hasattr(io_select, "poll"):  # unlike select(), any descriptor number (a busy server has many)
        poller = io_select.poll()
        poller.register(fileno, io_select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = io_select.select([fileno], [], [], 0)
    return bool(readable)


class _Liveness:
    """Pool events that hand a request only live PostgreSQL connections, at a fraction of the cost
    of `pool_pre_ping`, which pings (a round trip) at every checkout: half the round trips of a
    planned read, which is one statement.

    At checkout a connection is pinged only when its socket has something to read (the server
    closed it: a restart, `pg_terminate_backend`) or when it sat in the pool longer than
    `after_idle` seconds (it may have been cut without a word: a firewall or NAT dropping idle
    connections, a network failure). A connection in continuous use costs a `poll` call, no round
    trip. A dead one raises `DisconnectionError`, and the pool opens a new connection in its place
    (SQLAlchemy's documented recipe for pessimistic disconnect handling). One that breaks
    unnoticed still fails only its own request: SQLAlchemy sees the disconnect in the error and
    invalidates the pool, so the other connections of that time are replaced at their checkout."""

    def __init__(self, dialect: Dialect, after_idle: float) -> None:
        self.dialect = dialect
        self.after_idle = after_idle

    def checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checked_out(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None:  # opened for this checkout
            return
        if time.monotonic() - checked_in_at < self.after_idle and not self._closed_by_server(record):
            return
        try:
            self.dialect.do_ping(dbapi_connection)
        except self.dialect.loaded_dbapi.Error as error:
            if self.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(f"the connection was found broken at checkout: {error}") from error
            raise

    @staticmethod
    def _closed_by_server(record: Any) -> bool:
        try:
            fileno = record.driver_connection.fileno()
        except Exception:  # psycopg knows it lost the connection: the ping will say so
            return True
        return _has_input(fileno)


LOST_MESSAGE = "The connection to the database was lost; try again shortly."
# `Database.read_row`'s cursor, in its pooled connection's `info` (emptied with a new connection).
_RAW_CURSOR = "tracker_raw_cursor"


def _lost_as_unavailable(context: ExceptionContext) -> None:
    """A statement whose connection broke is no bug of the request: it may be sent again, on a new
    connection (SQLAlchemy invalidates the pool whatever is raised here), and its transaction, if
    any, is rolled back by the server. So `Unavailable`, which every path answers 503 UNAVAILABLE
    with Retry-After (a GraphQL error would otherwise hide it as INTERNAL: the database answers the
    check made after one). Not a COMMIT (no statement here): whether it took effect is unknown,
    and "try again" could make a change twice. Nor a cancellation (SQLAlchemy counts it as a
    disconnect too, having dropped the connection it interrupted): it must stay one."""
    error = context.sqlalchemy_exception
    lost = context.is_disconnect and not context.is_pre_ping and isinstance(error, exc.DBAPIError)
    if lost and context.connection is not None and context.statement is not None:
        raise Unavailable(LOST_MESSAGE) from error


def create_engine_for(url: str, *, lock_timeout: float, ping_after_idle: float | None = None) -> AsyncEngine:
    """`lock_timeout`: SQLite's busy timeout, in seconds. `ping_after_idle`: how long a PostgreSQL
    connection may sit in the pool before its next checkout pings it (default from the settings)."""
    pool: dict[str, Any] = {}
    if not is_sqlite(url):
        # psycopg decodes json columns itself, with the standard library unless told otherwise.
        set_json_loads(orjson.loads)
        # SQLAlchemy's default keeps 5: concurrent requests beyond that opened and closed a
        # connection each, a PostgreSQL backend forked per request.
        size = get_settings().database_pool_size
        pool = {"pool_size": size, "max_overflow": size}
    engine = create_async_engine(
        _server_options(_async_url(url)),
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
        hide_parameters=_hide_parameters(),
        **pool,
    )
    if is_sqlite(url):
        # A file on this machine, nothing to lose between uses: no ping.
        event.listen(engine.sync_engine, "connect", _sqlite_own_transactions(lock_timeout))
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        if ping_after_idle is None:
            ping_after_idle = get_settings().database_ping_after_idle_seconds
        liveness = _Liveness(engine.dialect, ping_after_idle)
        event.listen(engine.sync_engine.pool, "checkin", liveness.checked_in)
        event.listen(engine.sync_engine.pool, "checkout", liveness.checked_out)
        event.listen(engine.sync_engine, "handle_error", _lost_as_unavailable)
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

    def __init__(self, url: str, *, lock_timeout: float | None = None, ping_after_idle: float | None = None) -> None:
        """`lock_timeout`: how long an SQLite write waits for its turn; `ping_after_idle`: how long a
        PostgreSQL connection may sit in the pool unused before it is pinged (defaults from the
        settings)."""
        self.url = url
        if lock_timeout is None:
            lock_timeout = get_settings().database_lock_timeout_seconds
        self.engine = create_engine_for(url, lock_timeout=lock_timeout, ping_after_idle=ping_after_idle)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False, autoflush=False)
        self._write_sessions = async_sessionmaker(
            self.engine.execution_options(**{_WRITE_OPTION: True}),
            class_=AsyncSession,
            expire_on_commit=False,
            autoflush=False,
        )
        self._writers = _Writers(lock_timeout) if is_sqlite(url) else None
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
        """A session whose work commits on success and rolls back entirely on any error.

        On SQLite it holds the write lock from its start: a lock wait that runs out raises
        `Unavailable` (503 for a client), and nothing of the transaction is written."""
        async with self._write_turn():
            try:
                async with self._write_sessions() as session, session.begin():
                    yield session
                    changed = frozenset(session.info.pop(CHANGED, ()))
                    callbacks: list[Callable[[], None]] = session.info.pop(AFTER_COMMIT, [])
                    if changed and self.dialect == "postgresql":
                        payload = changes_payload(self.origin, changed)
                        await session.exec(select(func.pg_notify(self.changes_channel, payload)))
            except exc.OperationalError as error:
                if is_busy(error):
                    raise Unavailable(BUSY_MESSAGE) from error
                raise
        # Committed: what follows tells others about it and must never turn it into an error
        # (a client told "failed" would retry, and record twice).
        if changed:
            self.announce(changed)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("an after-commit callback failed")

    def _write_turn(self) -> AbstractAsyncContextManager[None]:
        return self._writers.turn() if self._writers is not None else nullcontext()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection whose statements each run on their own, outside any transaction: a read
        of one statement is one round trip, instead of BEGIN, the statement and ROLLBACK (one
        statement sees one snapshot anyway). Never for writes, nor for reads that must agree."""
        async with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                # The sqlite3 module opens no transaction itself here (see `_sqlite_own_transactions`).
                yield await connection.execution_options(**{NO_BEGIN_OPTION: True})
            else:
                yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    async def read_row(self, query: bytes, parameters: Sequence[Any], statement: str) -> tuple[Any, ...]:
        """PostgreSQL only: the first row of one read, run on its own (autocommit) on a pooled
        connection, as `autocommit` would, but by psycopg directly: `query` is the statement with
        `$1`-style placeholders, taken as it is (psycopg's RawCursor), and `parameters` their values.

        For the statements answering a request whole (the read planner's): psycopg converts a
        `%(name)s` statement at every execution, and does not cache the conversion of statements
        over 4 KB, which theirs are; SQLAlchemy's execution and result machinery cost as much
        again around one statement. What SQLAlchemy did that matters is kept: the pool and its
        checks at checkout, the engine's `before_cursor_execute` listeners (told of `statement`,
        without a Connection), its exceptions, and a lost connection answered as `Unavailable`."""
        return await greenlet_spawn(self._read_row, query, parameters, statement)

    def _read_row(self, query: bytes, parameters: Sequence[Any], statement: str) -> tuple[Any, ...]:
        engine = self.engine.sync_engine
        pooled = engine.raw_connection()
        driver = pooled.driver_connection
        assert isinstance(driver, psycopg.AsyncConnection)
        # One cursor per connection, kept with it: a cursor remembers how it dumped each type of
        # parameter, and a new one would look them up again.
        cursor: psycopg.AsyncRawCursor[tuple[Any, ...]] | None = pooled.info.get(_RAW_CURSOR)
        if cursor is None:
            cursor = pooled.info[_RAW_CURSOR] = psycopg.AsyncRawCursor(driver)
        try:
            await_(driver.set_autocommit(True))
            listeners = engine.dispatch.before_cursor_execute
            if listeners:
                listeners(None, cursor, statement, parameters, None, False)
            await_(cursor.execute(query, parameters))
            row = await_(cursor.fetchone())
            await_(driver.set_autocommit(False))
        except psycopg.Error as error:
            self._give_back(pooled, driver, error)
            wrapped = exc.DBAPIError.instance(
                statement,
                parameters,
                error,
                psycopg.Error,
                hide_parameters=engine.hide_parameters,
                dialect=engine.dialect,
                ismulti=False,
                connection_invalidated=driver.broken or driver.closed,
            )
            if driver.broken or driver.closed:
                raise Unavailable(LOST_MESSAGE) from wrapped
            raise wrapped from error
        except BaseException:
            # Cancelled mid-statement: the connection's state is unknown, it is not reused.
            pooled.invalidate()
            raise
        pooled.close()
        if row is None:
            raise exc.NoResultFound("the statement returned no row")
        return row

    @staticmethod
    def _give_back(pooled: PoolProxiedConnection, driver: psycopg.AsyncConnection[Any], error: Exception) -> None:
        """Back to the pool after a failed statement, as it was checked out; closed if broken."""
        if not (driver.broken or driver.closed):
            try:
                await_(driver.set_autocommit(False))
            except psycopg.Error:
                pass
            else:
                pooled.close()
                return
        pooled.invalidate(error)

    async def dispose(self) -> None:
        await self.engine.dispose()
