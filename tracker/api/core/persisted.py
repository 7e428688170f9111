"""Persisted operations: the documents of `graphql/operations/`, known by name and by hash.

Frontends may send one by id instead of its text (`documentId=sha256:<hex>`, as in the GraphQL
over HTTP persisted documents proposal, or Apollo's `extensions.persistedQuery.sha256Hash`), or
send the text itself. Either way the server knows the operation in advance: it parsed and
validated it once at start, and may cache its answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import tracker
from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode, OperationType, parse, validate

DOCUMENT_ID_PREFIX = "sha256:"


def operations_folder() -> Path:
    """The documents shipped in the wheel, or those of the source tree in a checkout."""
    packaged = Path(tracker.__file__).parent / "operations"
    if packaged.is_dir():
        return packaged
    return Path(tracker.__file__).parent.parent / "graphql" / "operations"


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PersistedOperation:
    name: str
    text: str
    sha256: str
    document: DocumentNode
    is_query: bool

    @property
    def document_id(self) -> str:
        return DOCUMENT_ID_PREFIX + self.sha256


def _operation_of(document: DocumentNode, source: str) -> OperationDefinitionNode:
    operations = [item for item in document.definitions if isinstance(item, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].name is None:
        raise ValueError(f"{source}: a persisted document holds exactly one named operation")
    return operations[0]


class PersistedOperations:
    def __init__(self, operations: Iterable[PersistedOperation]) -> None:
        self._by_sha256 = {operation.sha256: operation for operation in operations}
        self._by_text = {operation.text: operation for operation in self._by_sha256.values()}

    @classmethod
    def load(cls, schema: GraphQLSchema, folder: Path | None = None) -> PersistedOperations:
        """Parse and validate every document once; a broken one stops the server at start."""
        operations = []
        for path in sorted((folder or operations_folder()).glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            document = parse(text)
            errors = validate(schema, document)
            if errors:
                raise ValueError(f"{path.name}: {errors[0].message}")
            operation = _operation_of(document, path.name)
            assert operation.name is not None
            operations.append(
                PersistedOperation(
                    name=operation.name.value,
                    text=text,
                    sha256=sha256_of(text),
                    document=document,
                    is_query=operation.operation is OperationType.QUERY,
                )
            )
        return cls(operations)

    def __iter__(self) -> Iterator[PersistedOperation]:
        return iter(self._by_sha256.values())

    def by_sha256(self, digest: str) -> PersistedOperation | None:
        return self._by_sha256.get(digest.lower())

    def by_document_id(self, document_id: str) -> PersistedOperation | None:
        if not document_id.startswith(DOCUMENT_ID_PREFIX):
            return None
        return self.by_sha256(document_id[len(DOCUMENT_ID_PREFIX) :])

    def by_text(self, text: str) -> PersistedOperation | None:
        return self._by_text.get(text)

    def by_name(self, name: str) -> PersistedOperation | None:
        return next((operation for operation in self if operation.name == name), None)
