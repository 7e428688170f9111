"""The limits a document must keep before it is validated or run: one extension, one analysis.

Too large a text is refused before it is parsed (graphql-core's lexer reads comments and strings
of any length), too many tokens while it is parsed, and the rest from the document's `Shape`:
depth, aliases, fragment spreads and fields with fragments inlined, and its cost (see
`analysis`), whose limit depends on who asks: anonymous readers get the lowest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension

from graphql import DocumentNode, GraphQLError, parse
from tracker.access import Principal
from tracker.api.core.analysis import Measures, ShapeCache
from tracker.api.core.context import Context
from tracker.errors import ErrorCode
from tracker.models import Role
from tracker.settings import Settings


@dataclass(frozen=True, slots=True)
class Limits:
    document_bytes: int
    tokens: int
    depth: int
    aliases: int
    spreads: int
    fields: int
    same_name: int
    cost_anonymous: int
    cost_authenticated: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            document_bytes=settings.max_document_bytes,
            tokens=settings.max_tokens,
            depth=settings.max_query_depth,
            aliases=settings.max_aliases,
            spreads=settings.max_fragment_spreads,
            fields=settings.max_fields,
            same_name=settings.max_same_name_fields,
            cost_anonymous=settings.max_cost_anonymous,
            cost_authenticated=settings.max_cost_authenticated,
        )

    def cost_for(self, principal: Principal | None) -> int:
        if principal is None or principal.role is Role.ANONYMOUS:
            return self.cost_anonymous
        return self.cost_authenticated

    def refusal(self, measures: Measures, principal: Principal | None) -> GraphQLError | None:
        """The first limit the document goes over, as the error the client gets."""
        cost_limit = self.cost_for(principal)
        checks = (
            ("depth", measures.depth, self.depth, "nests fields {value} deep; the limit is {limit}"),
            ("aliases", measures.aliases, self.aliases, "has {value} aliases; the limit is {limit}"),
            (
                "fragmentSpreads",
                measures.spreads,
                self.spreads,
                "spreads fragments {value} times once inlined; the limit is {limit}",
            ),
            ("fields", measures.fields, self.fields, "selects {value} fields once inlined; the limit is {limit}"),
            (
                "sameNameFields",
                measures.same_name,
                self.same_name,
                "asks {value} fields under one name in one selection; the limit is {limit}",
            ),
            ("cost", measures.cost, cost_limit, "may resolve {value} objects; the limit is {limit}"),
        )
        for measure, value, limit, wording in checks:
            if value > limit:
                return too_complex(
                    "The query " + wording.format(value=value, limit=limit) + ".",
                    measure=measure,
                    value=value,
                    limit=limit,
                    cost=measures.cost,
                )
        return None


def too_complex(message: str, *, measure: str, value: int, limit: int, cost: int | None = None) -> GraphQLError:
    extensions: dict[str, object] = {"code": ErrorCode.QUERY_TOO_COMPLEX.value, "measure": measure, "limit": limit}
    extensions["cost" if measure == "cost" else measure] = value
    if cost is not None:
        extensions["cost"] = cost
    return GraphQLError(message, extensions=extensions)


class DocumentLimits(SchemaExtension):
    """Measures each document once (shapes cached by text) and refuses it before validation."""

    def __init__(self, *, limits: Limits, shapes: ShapeCache) -> None:
        self.limits = limits
        self.shapes = shapes
        self.refused: GraphQLError | None = None

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.limits.tokens
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if context.graphql_document is None and query is not None and len(query) > self.limits.document_bytes:
            size = len(query.encode("utf-8", "surrogatepass"))
            if size > self.limits.document_bytes:
                self.refused = too_complex(
                    f"The query is {size} bytes long; the limit is {self.limits.document_bytes}.",
                    measure="documentBytes",
                    value=size,
                    limit=self.limits.document_bytes,
                )
                # Setting the document is how an extension skips parsing (strawberry's ParserCache
                # does the same); the placeholder is never run, the refusal is reported instead.
                context.graphql_document = _placeholder(context.operation_name)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.refused is not None:
            context.pre_execution_errors = [self.refused]
        elif context.graphql_document is not None and context.pre_execution_errors is None:
            shape = self.shapes.get(context.schema._schema, context.query, context.graphql_document)
            measures = shape.measure(context.operation_name, context.variables or {})
            if measures is not None:
                principal = context.context.principal if isinstance(context.context, Context) else None
                refusal = self.limits.refusal(measures, principal)
                if refusal is not None:
                    context.pre_execution_errors = [refusal]
        yield


def _placeholder(operation_name: str | None) -> DocumentNode:
    name = operation_name if operation_name and operation_name.isidentifier() and operation_name.isascii() else ""
    return parse(f"query {name} {{ __typename }}")
