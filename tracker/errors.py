"""Errors that services raise and every entry point reports the same way."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    # Not the client's mistake nor a bug: the database is down or busy; the same request may be
    # sent again after the Retry-After the HTTP answer carries (503).
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class TrackerError(Exception):
    """A failure the client can act on; its message is safe to show."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(TrackerError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(TrackerError):
    code = ErrorCode.NOT_FOUND


class Conflict(TrackerError):
    code = ErrorCode.CONFLICT


class Forbidden(TrackerError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(TrackerError):
    code = ErrorCode.UNAUTHENTICATED


# How long a client should wait before sending an UNAVAILABLE request again: the HTTP answer's
# Retry-After, and the error's `extensions.retryAfter` where there is no header (WebSocket).
RETRY_AFTER_SECONDS = 5


class Unavailable(TrackerError):
    code = ErrorCode.UNAVAILABLE
