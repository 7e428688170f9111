"""Every string a client sends, in variables or written in the document, obeys `tracker.text`.

One check for every text input of the API (titles, bodies, notes, URLs, JSON options, filters):
a NUL character or a lone surrogate is refused with BAD_USER_INPUT naming the field, and text is
passed on in NFC. It runs before validation, so nothing executes with such a string.

Why not a `String` scalar of our own: graphql-core 3.3 refuses to redefine its built-in `String`
("Redefinition of reserved type"), and a scalar under another name would change every input type
of the public schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql import (
    DocumentNode,
    GraphQLError,
    Node,
    StringValueNode,
    Visitor,
    visit,
)
from tracker.api.core.input_paths import field_name, input_path, variable_usage
from tracker.errors import ErrorCode
from tracker.text import Path, TextError, clean_json, clean_text, dotted


class TextRules(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        # Errors already found (a parse failure) are answered as they are.
        if context.pre_execution_errors is None and context.graphql_document is not None:
            try:
                _clean(context, context.graphql_document)
            except GraphQLError as refused:
                # Set before validation runs, so strawberry answers with it and skips validation.
                context.pre_execution_errors = [refused]
        yield


def _clean(context: ExecutionContext, document: DocumentNode) -> None:
    if context.query is None or _may_hold_unclean_literal(context.query):
        context.graphql_document = visit(document, _Literals())
    if context.variables:
        try:
            context.variables = clean_json(context.variables)
        except TextError as error:
            name, inner = str(error.path[0]), error.path[1:]
            raise _refusal(
                f"Variable '${name}' got invalid value at '{dotted((name, *inner))}'; {error.reason}.",
                (*(variable_usage(document, name) or (name,)), *inner),
            ) from None


def _may_hold_unclean_literal(query: str) -> bool:
    """Whether a string written in the document can be other than ASCII without NUL: only a
    non-ASCII source, a raw NUL or an escape sequence can make one (a cheap test for most requests)."""
    return not query.isascii() or "\\u" in query or "\x00" in query


class _Literals(Visitor):
    """Refuses the first unclean string literal; replaces the others by their NFC form."""

    def enter_string_value(
        self, node: StringValueNode, key: Any, parent: Any, path: Sequence[Any], ancestors: Sequence[Any]
    ) -> StringValueNode | None:
        try:
            cleaned = clean_text(node.value)
        except TextError as error:
            where = input_path(path, [*ancestors, parent])
            message = f"Argument '{where[0]}' has an invalid value at '{dotted(where)}': {error.reason}."
            raise _refusal(message, where, node) from None
        if cleaned == node.value:
            return None
        return StringValueNode(value=cleaned, block=node.block, loc=node.loc)


def _refusal(message: str, path: Path, node: Node | None = None) -> GraphQLError:
    extensions = {"code": ErrorCode.BAD_USER_INPUT.value, "field": field_name(path) or "input"}
    return GraphQLError(message, nodes=node, extensions=extensions)
