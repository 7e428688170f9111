"""Parsing and validating a document once: strawberry's caches, after the document limits.

A document's syntax tree and its validation errors depend on its text alone, so the second
request with the same text skips both (validation was most of a small query's CPU). Strawberry's
`ParserCache` and `ValidationCache` do the caching; these subclasses only step aside when the
document limits (`DocumentLimits`, which must run first) or the text rules (`TextRules`, before
validation) have refused the document already: the oversized text is then never parsed, and the
refusal is not overwritten by a cached "valid".

Both caches are bounded (LRU by entry): a stream of distinct texts evicts, it cannot grow memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

from strawberry.extensions import ParserCache, ValidationCache

from graphql import GraphQLError

# Entries per cache. A document is at most `max_tokens` tokens, so one entry stays under a few
# hundred kilobytes of syntax tree even for the largest document the limits let through.
CACHED_DOCUMENTS = 128


class CachedParsing(ParserCache):
    def __init__(self) -> None:
        super().__init__(maxsize=CACHED_DOCUMENTS)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None:  # else the limits' placeholder
            # A syntax error leaves the document unset: strawberry parses it again and reports it.
            with suppress(GraphQLError):
                context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


class CachedValidation(ValidationCache):
    def __init__(self) -> None:
        super().__init__(maxsize=CACHED_DOCUMENTS)

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is not None:  # refused by the limits
            yield
            return
        yield from super().on_validate()
