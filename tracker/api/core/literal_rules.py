"""A mistake in a value written in the document is answered as the same mistake in a variable.

graphql-core checks literals in one validation rule, ValuesOfCorrectTypeRule. It passes on the
error a scalar raises as it is: a custom scalar's error (Date, DateTime) then has no node, so the
client gets no `locations` and the field cannot be told, and nested errors never say which field
of the argument they are about (the rule knows, in the path it is handed, and drops it).
`LiteralValuesRule` keeps both; `FiniteFloatsRule` refuses a Float literal too large for a double
(`1e400`), which graphql-core would pass on as infinity and no variable can send.

`LiteralRules` puts them in place of graphql-core's rule for every operation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from graphql.utilities import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from graphql import (
    SKIP,
    FloatValueNode,
    GraphQLError,
    GraphQLInputType,
    IntValueNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VisitorAction,
    get_named_type,
    print_ast,
)
from tracker.api.core.input_paths import DocumentFields, field_name, named_in_message


class LiteralValuesRule(ValuesOfCorrectTypeRule):
    """graphql-core's check of literals, each error pointing at the value at fault and naming its
    input field in `extensions.field`."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fields = DocumentFields(context.document)

    def is_valid_value_node(self, node: ValueNode, input_type: GraphQLInputType | None) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                self.report_error(self._located(error, node, path))

            validate_input_literal(node, input_type, on_error, None, None, self.context.hide_suggestions)
        return SKIP

    def _located(self, error: GraphQLError, top: ValueNode, path: Sequence[str | int]) -> GraphQLError:
        where = (*(self.fields.of_literal(top) or ()), *path, *named_in_message(error.message))
        extensions: dict[str, Any] = dict(error.extensions or {})
        if where:
            extensions["field"] = field_name(where)
        return GraphQLError(
            error.message,
            nodes=error.nodes or _value_at(top, path),
            original_error=error.original_error,
            extensions=extensions,
        )


def _value_at(node: ValueNode, path: Sequence[str | int]) -> Node:
    """The value a path inside a literal leads to (the deepest one written, if it goes further)."""
    for step in path:
        if isinstance(node, ObjectValueNode) and isinstance(step, str):
            found = next((field.value for field in node.fields if field.name.value == step), None)
        elif isinstance(node, ListValueNode) and isinstance(step, int) and step < len(node.values):
            found = node.values[step]
        else:
            found = None  # a single value given for a list stands for its first item
        if found is None:
            break
        node = found
    return node


class FiniteFloatsRule(ValidationRule):
    """A Float literal beyond a double's range (`1e400`, or a 400-digit integer) is refused: it would
    be stored as infinity, which no answer can show."""

    def enter_float_value(self, node: FloatValueNode, *_args: Any) -> None:
        self._check(node)

    def enter_int_value(self, node: IntValueNode, *_args: Any) -> None:
        self._check(node)

    def _check(self, node: FloatValueNode | IntValueNode) -> None:
        input_type = self.context.get_input_type()
        if input_type is None or get_named_type(input_type).name != "Float":
            return
        if not math.isfinite(float(node.value)):
            message = f"Float cannot represent {print_ast(node)}: it is beyond the range of a double."
            self.report_error(GraphQLError(message, node))


class LiteralRules(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (
            *(LiteralValuesRule if rule is ValuesOfCorrectTypeRule else rule for rule in context.validation_rules),
            FiniteFloatsRule,
        )
        yield
