"""Which input field a value written in a document stands for: `title.fr`, `eventTypes[0]`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    Node,
    ObjectFieldNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from tracker.text import Path, dotted


def input_path(keys: Sequence[Any], chain: Sequence[Any]) -> Path:
    """The argument and input fields down to a node, from visit()'s keys and the nodes holding
    them (`chain[i]` holds `keys[i]`; a variable's default value is named after the variable)."""
    parts: list[str | int] = []
    for index, holder in enumerate(chain):
        if isinstance(holder, ArgumentNode):
            parts = [holder.name.value]
        elif isinstance(holder, VariableDefinitionNode):
            parts = [holder.variable.name.value]
        elif isinstance(holder, ObjectFieldNode):
            parts.append(holder.name.value)
        elif isinstance(holder, ListValueNode) and index + 1 < len(keys):
            parts.append(keys[index + 1])
    return tuple(parts)


def field_name(path: Path) -> str:
    """`extensions.field`: the mutations' single argument is `input`, named without it as elsewhere."""
    field = dotted(path)
    if field.startswith(("input.", "input[")):
        field = field.removeprefix("input").removeprefix(".")
    return field


def literal_paths(document: DocumentNode) -> dict[int, Path]:
    """Where each value written in the document starts, and the argument and input fields it is
    given for: validation errors about a literal point at its node but do not name the field."""
    found = _Literals()
    visit(document, found)
    return found.paths


def variable_usage(document: DocumentNode, name: str) -> Path | None:
    """The argument and input fields a variable is first given for (`$day` in
    `updateMilestone(input: {completedOn: $day})` stands for `input.completedOn`)."""
    usage = _Usage(name)
    visit(document, usage)
    return usage.path


# graphql-core names the field an input object misses or has too many only in its message.
_NAMED_FIELD = re.compile(r"to include (?:required|unknown) field '([A-Za-z_][A-Za-z0-9_]*)'")
_PRINTED_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def named_in_message(message: str) -> Path:
    """The input field a message about a required or unknown field names, as a path step."""
    match = _NAMED_FIELD.search(message)
    return (match.group(1),) if match else ()


def printed_path(text: str) -> Path:
    """A path as graphql-core prints it in a message (`.eventTypes[1]`), as steps."""
    return tuple(name if name else int(index) for name, index in _PRINTED_STEP.findall(text))


class DocumentFields:
    """The input fields a document's literals and variables stand for, worked out when first asked
    (most errors need none of them, and most documents have no error)."""

    def __init__(self, document: DocumentNode | None) -> None:
        self._document = document
        self._literals: dict[int, Path] | None = None

    def of_literal(self, node: Node | None) -> Path | None:
        if node is None or node.loc is None or self._document is None:
            return None
        if self._literals is None:
            self._literals = literal_paths(self._document)
        return self._literals.get(node.loc.start)

    def of_variable(self, name: str) -> Path:
        """Where the variable is used; its own name when the document does not tell."""
        used = variable_usage(self._document, name) if self._document is not None else None
        return used or (name,)


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.paths: dict[int, Path] = {}

    def enter(self, node: Node, key: Any, parent: Any, path: Sequence[Any], ancestors: Sequence[Any]) -> None:
        if isinstance(node, ValueNode) and node.loc is not None:
            where = input_path(path, [*ancestors, parent])
            if where:
                self.paths[node.loc.start] = where


class _Usage(Visitor):
    """Where a variable is first used: the argument and input fields it stands for."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.path: Path | None = None

    def enter_variable(
        self, node: VariableNode, key: Any, parent: Any, path: Sequence[Any], ancestors: Sequence[Any]
    ) -> object:
        if node.name.value != self.name or isinstance(parent, VariableDefinitionNode):
            return None
        self.path = input_path(path, [*ancestors, parent])
        return BREAK
