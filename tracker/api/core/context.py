"""The typed per-request context: database, principal, languages and DataLoaders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info as StrawberryInfo

from tracker import i18n
from tracker.access import Principal
from tracker.db import Database, on_commit
from tracker.errors import BadInput
from tracker.events.outbox import queued_deliveries, queued_work
from tracker.services.common import today
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.api.core.loaders import Loaders
    from tracker.events.pubsub import Hub
    from tracker.jobs.sources import SourceRunner

log = logging.getLogger("tracker.api")


@dataclass
class Context:
    db: Database
    settings: Settings
    principal: Principal
    accept_languages: tuple[str, ...] = ()
    hub: Hub | None = None
    # Called after a mutation commits: wakes the dispatcher instead of waiting for its tick.
    after_commit: Callable[[], None] | None = None
    # Called instead after a mutation that wrote events but made no delivery due: wakes the
    # dispatcher alone (None: `after_commit`).
    after_events: Callable[[], None] | None = None
    source_runner: SourceRunner | None = None
    connection_params: dict[str, object] | None = None
    # The answer goes out serialized by orjson as it is (an HTTP response): the planner may hand
    # over the JSON text PostgreSQL built, as orjson.Fragment, instead of parsing it.
    answer_as_json: bool = False
    # The request's one transaction when its answer must commit with its changes (a request with
    # an Idempotency-Key, see tracker/web/idempotency.py): mutations and reads share it, and
    # whoever opened it commits it.
    transaction: AsyncSession | None = None
    _session: AsyncSession | None = field(default=None, repr=False)
    _loaders: Loaders | None = field(default=None, repr=False)
    # Set once the operation has ended (`close`): reads after that get sessions of their own.
    # (Before any operation starts, reads share one: a resolver run by a test, a subscription.)
    _closed: bool = field(default=False, repr=False)
    # Sessions left behind by interrupted reads, being ended apart from the readers.
    _ending: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    # The enclosing `lang` of each path of the operation running (tracker.api.core.lang), with the
    # variables it was found with: a WebSocket's context serves one operation after another.
    _enclosing: tuple[object, dict[Hashable, str | None]] | None = field(default=None, repr=False)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, one statement batch at a time.

        One AsyncSession runs one statement at a time, and resolvers of sibling fields (and
        DataLoader batches) run concurrently: every read takes this lock. A resolver may be
        cancelled in the middle of its read (graphql-core cancels the siblings of a field whose
        error nulls their parent; strawberry cancels a batch nobody awaits any more), and a
        statement may fail: either leaves the session unusable (SQLAlchemy invalidates a
        connection interrupted mid-statement, PostgreSQL refuses anything more in a failed
        transaction), so a read that does not end cleanly leaves its session behind, and the
        next read starts a new one instead of failing with it.
        """
        if self.transaction is not None:
            # Whoever opened the request's transaction ends it: an interrupted read fails the
            # request, and its changes roll back with it.
            async with self._lock:
                yield self.transaction
            return
        if self._closed:
            # A resolver still running after the operation ended (graphql-core settles abandoned
            # siblings in the background): nobody would end a shared session opened now.
            async with self.db.reader() as session:
                yield session
            return
        async with self._lock:
            if self._session is None:
                self._session = self.db.sessions()
            session = self._session
            try:
                yield session
            except BaseException:
                self._session = None
                self._end_apart(session)
                raise

    def _end_apart(self, session: AsyncSession) -> None:
        """End `session` in a task of its own: the reader that broke it may be cancelled again,
        and on SQLite the abandoned statement runs on until it finishes."""
        ending = asyncio.get_running_loop().create_task(_end_quietly(session))
        self._ending.add(ending)
        ending.add_done_callback(self._ending.discard)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A mutation's transaction: its own, or a savepoint of the request's (a failing mutation
        changes nothing either way)."""
        if self.transaction is None:
            async with self.db.transaction() as session:
                yield session
                self._wake_after_commit(session)
            return
        async with self._lock, self.transaction.begin_nested():
            yield self.transaction
            self._wake_after_commit(self.transaction)

    def _wake_after_commit(self, session: AsyncSession) -> None:
        wake = self.after_commit if queued_deliveries(session) else self.after_events or self.after_commit
        if wake is not None and queued_work(session):
            on_commit(session, wake)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from tracker.api.core.loaders import Loaders

            self._loaders = Loaders(self.reading)
        return self._loaders

    async def forget_loaded(self) -> None:
        """After a mutation, later fields must see it: no cached rows, no older snapshot."""
        self._loaders = None
        await self._end_session()

    def reopen(self) -> None:
        """An operation starts (a WebSocket's context serves one after another): its reads
        share a session again, until `close`."""
        self._closed = False

    async def close(self) -> None:
        """The operation has ended: its read session ends, once the read in progress (if any)
        is over; a resolver still running afterwards reads with a session of its own."""
        self._closed = True
        await self._end_session()
        while self._ending:
            await asyncio.wait(list(self._ending))

    async def _end_session(self) -> None:
        async with self._lock:
            session, self._session = self._session, None
        if session is not None:
            await _end_quietly(session)

    @cached_property
    def today(self) -> date:
        return today()

    def languages(self, lang: str | None) -> tuple[str, ...]:
        if lang is not None and not i18n.is_valid_tag(lang):
            raise BadInput("lang must be a BCP 47 language tag such as ar, fr, ar-MA", field="lang")
        return i18n.preference(lang, self.accept_languages)

    def enclosing_lang(self, variables: object, path: Hashable, find: Callable[[], str | None]) -> str | None:
        """`find()` once per path of an operation (each execution coerces its own `variables`)."""
        if self._enclosing is None or self._enclosing[0] is not variables:
            self._enclosing = (variables, {})
        found = self._enclosing[1]
        if path not in found:
            found[path] = find()
        return found[path]

    def text(self, value: dict[str, str] | None, lang: str | None) -> str:
        return i18n.pick(value, self.languages(lang)) or ""

    def optional_text(self, value: dict[str, str] | None, lang: str | None) -> str | None:
        return i18n.pick(value, self.languages(lang))


async def _end_quietly(session: AsyncSession) -> None:
    try:
        await session.close()
    except Exception:
        # A read session only ever reads: failing to end it (its connection lost, say) loses
        # nothing, and must not fail a request whose mutation has committed.
        log.warning("closing a read session failed", exc_info=True)


Info = StrawberryInfo[Context, None]
