"""What a GraphQL document would cost, found in one pass that visits each fragment once.

A document is measured before graphql-core validates or executes it, so that a hostile one is
refused cheaply: its depth, aliases, fields, fields sharing a name and fragment spreads *as if
every fragment were inlined*, and its **cost**, the number of objects it may resolve. Lists multiply what is below
them: a connection by its page size (`first`/`last`, else the largest page), `nodes(ids:)` by the
ids it names, any other list of objects by `LIST_ESTIMATE`. Scalars and enums are free: they
come with the object that holds them.

Fragments are summarised once each, dependencies first, and the summaries combined: a fragment
spread twice adds its totals twice, but is not walked twice. A chain of fragments each spreading
the previous one twice is one visit per fragment instead of 2^n (strawberry's depth and alias
limiters walked every spread again). The shape of a document is cached by its text; only page
sizes depend on the variables, and combining the summaries with them is linear in the document.

Numbers saturate at `SATURATED`, so a document meaning 100^12 objects stays a small integer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)

# The largest page a connection serves (tracker.api.core.relay.MAX_PAGE): what a page without
# `first` or `last` may hold.
DEFAULT_PAGE = 100
# How many items a plain list of objects (a commitment's sources, a body's members) is taken to hold.
LIST_ESTIMATE = 10
# Introspection's depth is its own (type references nest nine deep): its cost bounds it.
_INTROSPECTION = {"__schema": "__Schema", "__type": "__Type"}
SATURATED = 2**53  # the largest integer a JavaScript client reads exactly


def _add(a: int, b: int) -> int:
    return min(a + b, SATURATED)


def _times(a: int, b: int) -> int:
    return min(a * b, SATURATED)


@dataclass(frozen=True, slots=True)
class Fanout:
    """How many times what is below a list field is resolved, per resolution of the field."""

    constant: int = LIST_ESTIMATE
    page: bool = False  # a connection: `first`/`last` decide, else DEFAULT_PAGE
    ids: bool = False  # `nodes(ids:)`: one per id
    arguments: tuple[tuple[str, ValueNode], ...] = ()

    def size(self, variables: Mapping[str, Any]) -> int:
        if self.page:
            sizes = [_page_size(value, variables) for name, value in self.arguments if name in ("first", "last")]
            known = [size for size in sizes if size is not None]
            return min(known) if known else DEFAULT_PAGE
        if self.ids:
            return next((_length(value, variables) for name, value in self.arguments if name == "ids"), 0)
        return self.constant


def _page_size(value: ValueNode, variables: Mapping[str, Any]) -> int | None:
    """A page size as sent; anything unusable counts as the largest page (the resolvers refuse it
    later, naming the argument)."""
    raw: object = None
    if isinstance(value, VariableNode):
        raw = variables.get(value.name.value)
    elif isinstance(value, IntValueNode) and len(value.value) < 12:
        raw = int(value.value)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= DEFAULT_PAGE:
        return raw
    return None


def _length(value: ValueNode, variables: Mapping[str, Any]) -> int:
    if isinstance(value, ListValueNode):
        return len(value.values)
    if isinstance(value, VariableNode):
        raw = variables.get(value.name.value)
        return len(raw) if isinstance(raw, list) else 1
    return 1


@dataclass(slots=True)
class Summary:
    """A selection set's measures, fragments inlined, per resolution of the object that holds it.

    Its cost is what does not depend on variables (`cost`), plus each list below it
    (`fanouts`: its size times the summary of one item), plus the fragments it spreads.
    """

    depth: int = 0
    aliases: int = 0
    spreads: int = 0
    fields: int = 0
    # Fields answering under one name in one selection set: graphql-core checks that they can be
    # merged pair by pair, so n of them cost n^2 (400 took 1.2 s to validate).
    same_name: int = 0
    names: dict[str, int] = field(default_factory=dict)
    cost: int = 0
    fanouts: list[tuple[Fanout, Summary]] = field(default_factory=list)
    spread: list[str] = field(default_factory=list)

    def inline(self, other: Summary, *, deeper: int | None) -> None:
        """Adds the totals of a selection set found `deeper` levels inside this one (None: its depth
        does not count, as for introspection, which its cost bounds)."""
        if deeper is not None:
            self.depth = max(self.depth, other.depth + deeper)
        self.aliases = _add(self.aliases, other.aliases)
        self.spreads = _add(self.spreads, other.spreads)
        self.fields = _add(self.fields, other.fields)
        self.same_name = max(self.same_name, other.same_name)
        if deeper == 0:  # a fragment's fields answer in this selection set
            for name, count in other.names.items():
                self.names[name] = _add(self.names.get(name, 0), count)

    def absorb(self, other: Summary) -> None:
        """Takes over the cost parts of a selection set resolved once per resolution of this one."""
        self.cost = _add(self.cost, other.cost)
        self.fanouts.extend(other.fanouts)
        self.spread.extend(other.spread)


@dataclass(frozen=True, slots=True)
class Measures:
    depth: int
    aliases: int
    spreads: int
    fields: int
    same_name: int
    cost: int


@dataclass(frozen=True, slots=True)
class Shape:
    """What a document's text says before its variables: measured once, cached by the text."""

    operations: dict[str | None, Summary]
    fragments: dict[str, Summary]  # dependencies first
    cycle: bool  # fragments spreading each other: graphql-core refuses the document

    def measure(self, operation_name: str | None, variables: Mapping[str, Any]) -> Measures | None:
        """None when the operation is unknown or ambiguous: graphql-core says which."""
        summary = self.operations.get(operation_name)
        if summary is None:
            if operation_name is not None or len(self.operations) != 1:
                return None
            summary = next(iter(self.operations.values()))
        costs: dict[str, int] = {}
        for name, fragment in self.fragments.items():
            costs[name] = _cost(fragment, variables, costs)
        return Measures(
            depth=summary.depth,
            aliases=summary.aliases,
            spreads=summary.spreads,
            fields=summary.fields,
            same_name=summary.same_name,
            cost=_cost(summary, variables, costs),
        )


def _cost(summary: Summary, variables: Mapping[str, Any], fragments: Mapping[str, int]) -> int:
    total = summary.cost
    for fanout, item in summary.fanouts:
        total = _add(total, _times(fanout.size(variables), _cost(item, variables, fragments)))
    for name in summary.spread:
        total = _add(total, fragments.get(name, 0))
    return total


def _named(type_: GraphQLOutputType) -> tuple[GraphQLNamedType, bool]:
    """The named type under the wrappers, and whether a list is among them."""
    listed = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        listed = listed or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, listed


def _is_connection(type_: GraphQLNamedType | None) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection") and "edges" in type_.fields


def _spread_names(selection_set: SelectionSetNode) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None:
                stack.append(selection.selection_set)


def _dependencies_first(definitions: Mapping[str, FragmentDefinitionNode]) -> tuple[list[str], bool]:
    """Fragment names, each after the fragments it spreads (Kahn's algorithm, no recursion: a chain
    of hundreds of fragments is legal text); those in a cycle are left out."""
    uses = {
        name: set(_spread_names(definition.selection_set)) & definitions.keys()
        for name, definition in definitions.items()
    }
    users: dict[str, list[str]] = {name: [] for name in definitions}
    for name, used in uses.items():
        for dependency in used:
            users[dependency].append(name)
    waiting = {name: len(used) for name, used in uses.items()}
    ready = [name for name, count in waiting.items() if count == 0]
    order: list[str] = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order, len(order) < len(definitions)


class _Analyser:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.fragments: dict[str, Summary] = {}

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> Summary:
        summary = Summary()
        if selection_set is None:
            return summary
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent, summary)
            elif isinstance(selection, FragmentSpreadNode):
                summary.spreads = _add(summary.spreads, 1)
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    summary.inline(fragment, deeper=0)
                    summary.spread.append(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.selections(
                    selection.selection_set, self.schema.get_type(condition.name.value) if condition else parent
                )
                summary.inline(inner, deeper=0)
                summary.absorb(inner)
        summary.same_name = max(summary.same_name, max(summary.names.values(), default=0))
        return summary

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, summary: Summary) -> None:
        summary.fields = _add(summary.fields, 1)
        if node.alias is not None:
            summary.aliases = _add(summary.aliases, 1)
        name = (node.alias or node.name).value
        summary.names[name] = summary.names.get(name, 0) + 1
        if node.selection_set is None:
            return
        returned, fanout, wrapper = self.kind_of(node, parent)
        below = self.selections(node.selection_set, returned)
        summary.inline(below, deeper=None if node.name.value in _INTROSPECTION else 1)
        if wrapper:  # a connection's `edges`: its items are counted by the connection
            summary.absorb(below)
            return
        if fanout is None:  # one object per resolution of the parent
            summary.cost = _add(summary.cost, 1)
            summary.absorb(below)
            return
        if fanout.page:  # the connection object itself, then each item of its page
            summary.cost = _add(summary.cost, 1)
            summary.fanouts.append((fanout, below))
            return
        item = Summary(cost=1)
        item.absorb(below)
        summary.fanouts.append((fanout, item))

    def kind_of(
        self, node: FieldNode, parent: GraphQLNamedType | None
    ) -> tuple[GraphQLNamedType | None, Fanout | None, bool]:
        """The field's named type, its fanout (None: one object), whether it only wraps a page."""
        name = node.name.value
        if name in _INTROSPECTION:
            return self.schema.get_type(_INTROSPECTION[name]), None, False
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) or name not in parent.fields:
            return None, None, False  # graphql-core reports the unknown field
        definition = parent.fields[name]
        returned, listed = _named(definition.type)
        arguments = tuple((argument.name.value, argument.value) for argument in node.arguments or ())
        if _is_connection(returned):
            return returned, Fanout(page=True, arguments=arguments), False
        if listed and name == "edges" and _is_connection(parent):
            return returned, None, True
        if listed and name == "nodes" and _is_connection(parent):
            return returned, None, False
        if listed and "ids" in definition.args:
            return returned, Fanout(ids=True, arguments=arguments), False
        if listed:
            return returned, Fanout(), False
        return returned, None, False


def shape_of(schema: GraphQLSchema, document: DocumentNode) -> Shape:
    definitions = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    order, cycle = _dependencies_first(definitions)
    analyser = _Analyser(schema)
    for name in order:
        definition = definitions[name]
        analyser.fragments[name] = analyser.selections(
            definition.selection_set, schema.get_type(definition.type_condition.name.value)
        )
    operations = {
        (definition.name.value if definition.name else None): analyser.selections(
            definition.selection_set, schema.get_root_type(definition.operation)
        )
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    }
    return Shape(operations=operations, fragments=analyser.fragments, cycle=cycle)


def document_digest(text: str) -> bytes:
    """The key of a document's text in the caches that spare parsing it again. A text decoded from
    JSON may hold a lone surrogate (the lexer refuses it later): it is hashed as it came."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class ShapeCache:
    """Shapes by the SHA-256 of the document's text, so that a document is measured once."""

    def __init__(self, size: int = 512) -> None:
        self.shapes: LRUCache[bytes, Shape] = LRUCache(maxsize=size)

    def get(self, schema: GraphQLSchema, text: str | None, document: DocumentNode) -> Shape:
        if text is None:
            return shape_of(schema, document)
        key = document_digest(text)
        shape = self.shapes.get(key)
        if shape is None:
            shape = shape_of(schema, document)
            self.shapes[key] = shape
        return shape
