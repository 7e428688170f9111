"""Every GraphQL error leaves with `extensions.code`; unexpected ones are masked as INTERNAL."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql import GraphQLError
from tracker.api.core.input_paths import DocumentFields, field_name, named_in_message, printed_path
from tracker.errors import RETRY_AFTER_SECONDS, ErrorCode, TrackerError

log = logging.getLogger("tracker.api")

# graphql-core's parser stops past TRACKER_MAX_TOKENS with this; the other limits set the code
# themselves (tracker/api/core/limits.py).
_TOO_MANY_TOKENS = "tokens. Parsing aborted"
_VARIABLE_PATH = re.compile(r"invalid value at '?\.?([A-Za-z0-9_.\[\]]+?)'?:|at '([A-Za-z0-9_.\[\]]+)'")
_ARGUMENT = re.compile(r"[Aa]rgument '([A-Za-z0-9_.]+)'")
_FIELD_IN_INPUT = re.compile(r"[Ff]ield '(?:[A-Za-z0-9_]+\.)?([A-Za-z0-9_]+)'")
# graphql-core says a null input is "None", Python's word; clients wrote `null`.
_NOT_NONE = re.compile(r"\bnot to be None\.")
# graphql-core ends some coercion messages with the value in Python's notation ("found: {'a': None}"),
# which is neither what the client wrote nor short: the kind of JSON value is what helps.
_FOUND = re.compile(r", found: (.*)\.$", re.DOTALL)
_JSON_KINDS = (("{", "an object"), ("[", "a list"), ("'", "a string"), ('"', "a string"), ("None", "null"))
# graphql-core's message for a variable's value that does not fit its type.
_VARIABLE_VALUE = re.compile(r"Variable '\$([A-Za-z_][A-Za-z0-9_]*)' has invalid value( at [^:]*)?: ", re.DOTALL)


def _field_from_message(message: str) -> str | None:
    """Best effort: the input field a coercion or validation message is about."""
    for pattern in (_VARIABLE_PATH, _FIELD_IN_INPUT, _ARGUMENT):
        match = pattern.search(message)
        if match:
            path = next(group for group in match.groups() if group)
            return path.split(".", 1)[1] if path.startswith("input.") else path
    return None


def _variable_field(message: str, fields: DocumentFields) -> str | None:
    """The input field a variable's wrong value is given for: the variable's place in the document
    and the path inside its value, as a literal written there would be named."""
    match = _VARIABLE_VALUE.match(message)
    if match is None:
        return None
    inner = printed_path(match.group(2) or "")
    return field_name((*fields.of_variable(match.group(1)), *inner, *named_in_message(message[match.end() :])))


def _literal_field(error: GraphQLError, fields: DocumentFields) -> str | None:
    path = fields.of_literal(error.nodes[0] if error.nodes else None)
    return field_name(path) if path else None


def classify(error: GraphQLError, fields: DocumentFields | None = None) -> GraphQLError:
    """The error as the client gets it; `fields` names the input field of a value written in the
    document or of a variable, which graphql-core's messages do not (or not as clients write it)."""
    fields = fields or DocumentFields(None)
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if isinstance(original, TrackerError):
        extensions["code"] = original.code.value
        if original.field:
            extensions["field"] = original.field
        if original.code is ErrorCode.UNAVAILABLE:
            extensions["retryAfter"] = RETRY_AFTER_SECONDS
        return _with(error, original.message, extensions)
    if "code" in extensions:
        return error
    if original is None and _TOO_MANY_TOKENS in error.message:
        extensions["code"] = ErrorCode.QUERY_TOO_COMPLEX.value
        return _with(error, error.message, extensions)
    if original is None or not error.path:
        # Parse, validation and variable coercion errors (raised before execution, so without
        # a path): the client sent something wrong. A literal's field was set by LiteralValuesRule.
        extensions["code"] = ErrorCode.BAD_USER_INPUT.value
        field = (
            extensions.get("field")
            or _variable_field(error.message, fields)
            or _field_from_message(error.message)
            or _literal_field(error, fields)
        )
        if field:
            extensions["field"] = field
        return _with(error, _found_as_json(_NOT_NONE.sub("not to be null.", error.message)), extensions)
    return _with(error, "Internal error.", {"code": ErrorCode.INTERNAL.value}, keep_original=False)


def _found_as_json(message: str) -> str:
    found = _FOUND.search(message)
    if found is None:
        return message
    shown = found.group(1)
    kind = next((name for start, name in _JSON_KINDS if shown.startswith(start)), None)
    if kind is None:
        kind = "a boolean" if shown in ("True", "False") else "a number"
    if kind == "an object" and "field '" in message:
        return f"{message[: found.start()]}."  # a missing or unknown field of an object: the field says it
    return f"{message[: found.start()]}, found {kind}."


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


def log_errors(errors: Sequence[GraphQLError], classified: Sequence[GraphQLError], operation: str) -> None:
    """What one operation's errors write to the log, whatever their number: one INFO line for the
    client's mistakes (they are answered, nothing to repair), one ERROR with a traceback for the
    first unexpected failure and the count of the others.

    Logging each error with its traceback let one 1.4 KB request write 480 KB of log."""
    mistakes: Counter[str] = Counter()
    first_mistake: GraphQLError | None = None
    failures: list[GraphQLError] = []
    for original, answered in zip(errors, classified, strict=True):
        code = (answered.extensions or {}).get("code", ErrorCode.INTERNAL.value)
        if code == ErrorCode.INTERNAL.value:
            failures.append(original)
        else:
            mistakes[code] += 1
            first_mistake = first_mistake or answered
    if first_mistake is not None:
        log.info(
            "%s: %d client error(s) (%s); first%s: %s",
            operation,
            mistakes.total(),
            ", ".join(f"{code} {count}" for code, count in sorted(mistakes.items())),
            f" at {_one_line(_path(first_mistake))}" if first_mistake.path else "",
            _one_line(first_mistake.message),
        )
    if failures:
        first = failures[0]
        log.error(
            "%s: unexpected error at %s%s",
            operation,
            _one_line(_path(first)) or "(no field)",
            f" and {len(failures) - 1} more" if len(failures) > 1 else "",
            exc_info=first.original_error or first,
        )


def _path(error: GraphQLError) -> str:
    return ".".join(map(str, error.path or []))


def _one_line(text: str, limit: int = 300) -> str:
    """Client-controlled text made safe for a log line: control characters escaped, length bounded."""
    if len(text) > limit:
        text = text[:limit] + "..."
    return text.translate(_ESCAPES)


# C0 and C1 controls, DEL and the line and paragraph separators, written as escapes; and lone
# surrogates, which a UTF-8 log stream cannot write (the line would be lost to a logging error).
_ESCAPES = (
    {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
    | {0x2028: "\\u2028", 0x2029: "\\u2029"}
    | {code: f"\\u{code:04x}" for code in range(0xD800, 0xE000)}
)


def _operation(context: ExecutionContext) -> str:
    name = _one_line(context.operation_name or "(anonymous)", 100)
    try:
        return f"{context.operation_type.value} {name}"
    except RuntimeError:  # the document did not parse: there is no operation
        return "request"


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        if result is not None and result.errors:
            fields = DocumentFields(context.graphql_document)
            classified = [classify(error, fields) for error in result.errors]
            log_errors(result.errors, classified, _operation(context))
            result.errors = classified
