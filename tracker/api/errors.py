"""Every GraphQL error leaves with `extensions.code`; unexpected ones are masked as INTERNAL."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql import GraphQLError
from tracker.errors import ErrorCode, TrackerError

log = logging.getLogger("tracker.api")

_TOO_COMPLEX = ("exceeds maximum operation depth", "aliases found. Allowed", "tokens. Parsing aborted")
_VARIABLE_PATH = re.compile(r"invalid value at '?\.?([A-Za-z0-9_.\[\]]+?)'?:|at '([A-Za-z0-9_.\[\]]+)'")
_ARGUMENT = re.compile(r"[Aa]rgument '([A-Za-z0-9_.]+)'")
_FIELD_IN_INPUT = re.compile(r"[Ff]ield '(?:[A-Za-z0-9_]+\.)?([A-Za-z0-9_]+)'")


def _field_from_message(message: str) -> str | None:
    """Best effort: the input field a coercion or validation message is about."""
    for pattern in (_VARIABLE_PATH, _FIELD_IN_INPUT, _ARGUMENT):
        match = pattern.search(message)
        if match:
            path = next(group for group in match.groups() if group)
            return path.split(".", 1)[1] if path.startswith("input.") else path
    return None


def classify(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if isinstance(original, TrackerError):
        extensions["code"] = original.code.value
        if original.field:
            extensions["field"] = original.field
        return _with(error, original.message, extensions)
    if "code" in extensions:
        return error
    if original is None and any(marker in error.message for marker in _TOO_COMPLEX):
        extensions["code"] = ErrorCode.QUERY_TOO_COMPLEX.value
        return _with(error, error.message, extensions)
    if original is None or not error.path:
        # Parse, validation and variable coercion errors (raised before execution, so without
        # a path): the client sent something wrong.
        extensions["code"] = ErrorCode.BAD_USER_INPUT.value
        field = _field_from_message(error.message)
        if field:
            extensions["field"] = field
        return _with(error, error.message, extensions)
    log.error("unexpected error in %s", ".".join(map(str, error.path or [])), exc_info=original)
    return _with(error, "Internal error.", {"code": ErrorCode.INTERNAL.value}, keep_original=False)


def _with(error: GraphQLError, message: str, extensions: dict[str, Any], *, keep_original: bool = True) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error if keep_original else None,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [classify(error) for error in result.errors]
