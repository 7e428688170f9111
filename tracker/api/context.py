"""The typed per-request context: database, principal, languages and DataLoaders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
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
from tracker.services.common import today
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.api.loaders import Loaders
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

    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def _read_session(self) -> AsyncSession:
        if self.transaction is not None:
            return self.transaction
        if self._session is None:
            self._session = self.db.sessions()
        return self._session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, one statement batch at a time.

        One AsyncSession runs one statement at a time, and resolvers of sibling fields (and
        DataLoader batches) run concurrently: every read takes this lock.
        """
        async with self._lock:
            yield self._read_session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A mutation's transaction: its own, or a savepoint of the request's (a failing mutation
        changes nothing either way)."""
        if self.transaction is None:
            async with self.db.transaction() as session:
                if self.after_commit is not None:
                    on_commit(session, self.after_commit)
                yield session
            return
        async with self._lock, self.transaction.begin_nested():
            if self.after_commit is not None:
                on_commit(self.transaction, self.after_commit)
            yield self.transaction

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from tracker.api.loaders import Loaders

            self._loaders = Loaders(self.reading)
        return self._loaders

    async def forget_loaded(self) -> None:
        """After a mutation, later fields must see it: no cached rows, no older snapshot."""
        self._loaders = None
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            try:
                await session.close()
            except Exception:
                # A read session only ever reads: failing to end it (its connection lost, say)
                # loses nothing, and must not fail a request whose mutation has committed.
                log.warning("closing a read session failed", exc_info=True)

    @cached_property
    def today(self) -> date:
        return today()

    def languages(self, lang: str | None) -> tuple[str, ...]:
        if lang is not None and not i18n.is_valid_tag(lang):
            raise BadInput("lang must be a BCP 47 language tag such as ar, fr, ar-MA", field="lang")
        return i18n.preference(lang, self.accept_languages)

    def text(self, value: dict[str, str] | None, lang: str | None) -> str:
        return i18n.pick(value, self.languages(lang)) or ""

    def optional_text(self, value: dict[str, str] | None, lang: str | None) -> str | None:
        return i18n.pick(value, self.languages(lang))


Info = StrawberryInfo[Context, None]
