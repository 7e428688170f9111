"""Which variables an operation declares, to refuse the others before anything reads or caches them.

graphql-core ignores variables an operation does not declare; left alone, they would enter the
read cache's key and let anyone grow the cache with requests that differ only in junk.
Persisted operations are known at start; other query texts are parsed once and remembered by a
digest of their text (a bounded cache, so the memory stays small whatever clients send).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cachetools import LRUCache

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse
from tracker.api.core.analysis import document_digest
from tracker.api.core.persisted import PersistedOperation, PersistedOperations

# Operation name (None: the only operation of the document) -> the variables it declares.
Declarations = Mapping[str | None, frozenset[str]]


def declarations(document: DocumentNode) -> Declarations:
    operations = [item for item in document.definitions if isinstance(item, OperationDefinitionNode)]
    declared: dict[str | None, frozenset[str]] = {}
    for operation in operations:
        names = frozenset(definition.variable.name.value for definition in operation.variable_definitions or ())
        if operation.name is not None:
            declared[operation.name.value] = names
        if len(operations) == 1:
            declared[None] = names
    return declared


class DeclaredVariables:
    def __init__(
        self, operations: PersistedOperations, *, max_tokens: int, max_document_bytes: int, remembered: int = 512
    ) -> None:
        self._persisted = {operation.sha256: declarations(operation.document) for operation in operations}
        self._max_tokens = max_tokens
        self._max_document_bytes = max_document_bytes
        self._texts: LRUCache[bytes, Declarations] = LRUCache(maxsize=remembered)

    def undeclared(
        self, params: Mapping[str, Any], operation: PersistedOperation | None, variables: Mapping[str, Any]
    ) -> str | None:
        """The first variable sent that the operation does not declare; None when all are, or when
        the operation cannot be told (GraphQL execution then reports what is wrong)."""
        if not variables:
            return None
        if operation is not None:
            declared: Declarations | None = self._persisted.get(operation.sha256)
        else:
            declared = self._of_text(params.get("query"))
        name = params.get("operationName")
        names = declared.get(name if isinstance(name, str) else None) if declared is not None else None
        if names is None:
            return None
        return next((variable for variable in variables if variable not in names), None)

    def _of_text(self, text: object) -> Declarations | None:
        # Texts over the document limit are refused, unparsed, by the GraphQL layer's limits:
        # parsing them here would cost what that limit saves.
        if not isinstance(text, str) or len(text) > self._max_document_bytes:
            return None
        digest = document_digest(text)
        declared = self._texts.get(digest)
        if declared is None:
            try:
                document = parse(text, no_location=True, max_tokens=self._max_tokens)
            except GraphQLError:
                return None  # strawberry reports the syntax error
            declared = self._texts[digest] = declarations(document)
        return declared
