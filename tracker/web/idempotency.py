"""Idempotent mutations: the `Idempotency-Key` request header (IETF httpapi draft
"The Idempotency-Key HTTP Header Field").

A POSTed mutation carrying a key runs in ONE transaction that also holds its answer: the key's row
is written first, the mutations nest savepoints in the same transaction (see `Context.writing`),
the payload is read back inside it, and the answer exactly as it will be sent is stored before the
commit. So the answer and the change commit together or not at all: a crash, or a commit whose
acknowledgement is lost, never leaves a change without its answer, and a retry with the same key
and body gets the first answer back (`Idempotent-Replayed: true`) instead of changing anything
twice. Reserving the key in a transaction of its own and completing it after the mutation's
commit was the other way; it leaves a window (after the commit, before the answer is stored) in
which a crash makes the key neither replayable nor safely re-runnable.

- The same key with another body: 422, CONFLICT. The same key while the first request is still
  running: 409, CONFLICT (a PostgreSQL advisory lock across replicas, a set within the process).
- Keys are scoped per client: the token (its public key id), or for anonymous clients their address.
- Only answers of executed operations (HTTP 200) are kept: a request refused before running
  (unparsable, unauthenticated) keeps nothing and may be sent again with the same key.
- Answers are kept `TRACKER_IDEMPOTENCY_KEY_HOURS` (24 h); expired ones are deleted lazily.
- Queries, GET requests and other paths ignore the header.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from tracker.api.core.persisted import PersistedOperations
from tracker.db import Database
from tracker.errors import ErrorCode, Unavailable
from tracker.models.base import utcnow
from tracker.services import idempotency
from tracker.web.auth import principal_of
from tracker.web.clients import client_address, credential_of
from tracker.web.json_errors import send_error
from tracker.web.persisted_http import GraphQLRequest, parse_request, read_body, replay
from tracker.web.persisted_http import _Captured as Captured  # the same capture, kept for a commit instead

log = logging.getLogger("tracker.idempotency")

HEADER = "idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
# Where the request's transaction travels from this middleware to the GraphQL context.
TRANSACTION = "tracker.transaction"
# The draft makes the key a Structured Field string: printable ASCII, in quotes (bare is accepted).
_KEY = re.compile(r'^"?([\x20-\x21\x23-\x5b\x5d-\x7e]{1,255})"?$')
PRUNE_EVERY = timedelta(minutes=5)


def transaction_of(conn: HTTPConnection) -> AsyncSession | None:
    """The transaction this request's mutations and answer share, if it has one."""
    session = conn.scope.get(TRANSACTION)
    return session if isinstance(session, AsyncSession) else None


def parse_key(value: str) -> str | None:
    match = _KEY.match(value.strip())
    if match is None or not match.group(1).strip():
        return None
    return match.group(1)


def fingerprint(params: dict[str, Any]) -> str:
    """The request as parsed: the same body however its JSON was spaced or ordered."""
    return hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS)).hexdigest()


def is_mutation(params: dict[str, Any], operations: PersistedOperations) -> bool:
    operation, error = GraphQLRequest(params).persisted(operations)
    if error is not None:
        return False
    if operation is not None:
        return not operation.is_query
    query, name = params.get("query"), params.get("operationName")
    if not isinstance(query, str):
        return False
    try:
        ast = get_operation_ast(parse(query), name if isinstance(name, str) else None)
    except GraphQLError:
        return False  # strawberry reports it
    return ast is not None and ast.operation is OperationType.MUTATION


class _Captured(Captured):
    """The answer, held back until it has committed with the change."""

    @property
    def media_type(self) -> str:
        return self.header(b"content-type") or "application/json"

    def executed(self) -> bool:
        """An answer of an operation that ran: not a refusal before execution (unparsable, invalid
        variables), which has no data and errors without a path."""
        if self.status != 200:
            return False
        try:
            document = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(document, dict):
            return False
        errors = document.get("errors") or []
        return document.get("data") is not None or any("path" in error for error in errors)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Replay(Exception):
    def __init__(self, answer: idempotency.StoredAnswer) -> None:
        super().__init__("replay")
        self.answer = answer


class _NotKept(Exception):
    """The operation did not run (or crashed): roll back, keep nothing under the key."""


class Idempotency:
    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database,
        operations: PersistedOperations,
        keep: timedelta,
        clock: Callable[[], datetime] = utcnow,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.db = db
        self.operations = operations
        self.keep = keep
        self.clock = clock
        self.path = path
        self._running: set[tuple[str, str]] = set()
        self._pruned_at: datetime | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        params = parse_request(scope, headers, body)
        if params is None or not is_mutation(params, self.operations):
            await self.app(scope, replay(body), send)
            return
        key = parse_key(raw_key)
        if key is None:
            await send_error(
                send,
                400,
                "Idempotency-Key must be 1 to 255 printable ASCII characters",
                ErrorCode.BAD_USER_INPUT.value,
                field="Idempotency-Key",
            )
            return
        owner = self._owner(scope, headers)
        if (owner, key) in self._running:
            await _conflict(send, 409, "a request with this Idempotency-Key is still running")
            return
        self._running.add((owner, key))
        try:
            await self._once(scope, body, send, owner=owner, key=key, fingerprint=fingerprint(params))
        finally:
            self._running.discard((owner, key))
        await self._prune()

    @staticmethod
    def _owner(scope: Scope, headers: Headers) -> str:
        if principal_of(HTTPConnection(scope)).is_authenticated:
            return f"token:{credential_of(headers)}"
        return f"anonymous:{client_address(scope)}"

    async def _once(self, scope: Scope, body: bytes, send: Send, *, owner: str, key: str, fingerprint: str) -> None:
        now = self.clock()
        answer = _Captured()
        ran = False
        try:
            async with self.db.transaction() as session:
                if not await idempotency.lock(session, scope=owner, key=key):
                    raise _Refused(409, "a request with this Idempotency-Key is still running")
                stored = await idempotency.find(session, scope=owner, key=key, now=now)
                if stored is not None:
                    if stored.fingerprint != fingerprint:
                        raise _Refused(422, "this Idempotency-Key was used with another request")
                    raise _Replay(stored)
                try:
                    row = await idempotency.reserve(
                        session, scope=owner, key=key, fingerprint=fingerprint, now=now, expires_at=now + self.keep
                    )
                except IntegrityError:
                    # Another process on the same SQLite file just committed this key.
                    raise _Refused(409, "a request with this Idempotency-Key was being processed") from None
                ran = True
                await self.app({**scope, TRANSACTION: session}, replay(body), answer)
                if not answer.executed():
                    raise _NotKept
                await idempotency.record(
                    session, row, status_code=answer.status, media_type=answer.media_type, body=answer.body
                )
        except _Refused as refusal:
            await _conflict(send, refusal.status, refusal.message)
            return
        except _Replay as replayed:
            await _send_stored(send, replayed.answer)
            return
        except _NotKept:
            await answer.replay(send)
            return
        except (SQLAlchemyError, OSError):
            if ran and answer.status == 0:
                raise  # the operation itself failed: the usual error handling answers
            # The database failed around the operation, maybe during the commit: whether it
            # committed is unknown, but the answer committed with it if it did.
            log.warning("an idempotent request could not be confirmed", exc_info=True)
            await send_error(
                send,
                503,
                "the change could not be confirmed: send the same request with the same Idempotency-Key again",
                ErrorCode.UNAVAILABLE.value,
                headers=((b"retry-after", b"1"),),
                retryAfter=1,
            )
            return
        await answer.replay(send)

    async def _prune(self) -> None:
        """Forget expired answers now and then (each process, at most every few minutes)."""
        now = self.clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        try:
            async with self.db.transaction() as session:
                await idempotency.prune(session, now=now)
        except (SQLAlchemyError, OSError, Unavailable):
            log.warning("pruning expired idempotency keys failed", exc_info=True)


async def _conflict(send: Send, status: int, message: str) -> None:
    await send_error(send, status, message, ErrorCode.CONFLICT.value)


async def _send_stored(send: Send, answer: idempotency.StoredAnswer) -> None:
    headers = [
        (b"content-type", answer.media_type.encode()),
        (b"content-length", str(len(answer.body)).encode()),
        REPLAYED,
    ]
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
