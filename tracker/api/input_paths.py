"""Which input field a value written in a document stands for: `title.fr`, `eventTypes[0]`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    Node,
    ObjectFieldNode,
    ValueNode,
    VariableDefinitionNode,
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


def literal_fields(document: DocumentNode) -> dict[int, str]:
    """Where each value written in the document starts, and the field it is given for: validation
    errors about a literal point at its node but do not name the field."""
    found = _Literals()
    visit(document, found)
    return found.fields


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[int, str] = {}

    def enter(self, node: Node, key: Any, parent: Any, path: Sequence[Any], ancestors: Sequence[Any]) -> None:
        if isinstance(node, ValueNode) and node.loc is not None:
            where = input_path(path, [*ancestors, parent])
            if where:
                self.fields[node.loc.start] = field_name(where)
