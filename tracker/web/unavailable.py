"""A database that does not answer, or is busy, is UNAVAILABLE: 503 with Retry-After, never a 500
or a 401."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import exc, text
from starlette.types import Send

from graphql import GraphQLError
from tracker.db import Database
from tracker.errors import RETRY_AFTER_SECONDS, ErrorCode, Unavailable
from tracker.web.json_errors import send_error

log = logging.getLogger("tracker.web")

__all__ = ["RETRY_AFTER", "RETRY_AFTER_SECONDS", "database_answers", "has_code", "is_outage", "send_unavailable"]

RETRY_AFTER = (b"retry-after", str(RETRY_AFTER_SECONDS).encode())
MESSAGE = "The service is unavailable; try again shortly."
# Failures of the connection rather than of the statement: the database is down, unreachable,
# saturated (the pool timed out) or refusing connections. psycopg's statement timeout is an
# OperationalError too, and answering it 503 is right as well.
_OUTAGES: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
    exc.DisconnectionError,
    ConnectionError,
    TimeoutError,
    Unavailable,
)


def is_outage(error: BaseException) -> bool:
    """Whether `error`, or what caused it, is the database not answering."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _OUTAGES):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def has_code(errors: Iterable[GraphQLError] | None, code: ErrorCode) -> bool:
    """Whether one of a GraphQL answer's errors carries `code`."""
    return any((error.extensions or {}).get("code") == code.value for error in errors or ())


async def database_answers(db: Database) -> bool:
    """Asked after an internal error, to tell an outage from a bug."""
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        return not is_outage(error)
    return True


async def send_unavailable(send: Send) -> None:
    await send_error(
        send, 503, MESSAGE, ErrorCode.UNAVAILABLE.value, headers=[RETRY_AFTER], retryAfter=RETRY_AFTER_SECONDS
    )
