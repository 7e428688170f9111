"""From a validated selection to SQL text: each field spelled by its type's declaration.

The compiler walks the fields graphql-core would execute (fragments, `@skip` and `@include`
applied, as `collect_fields` does) and asks each type's spelling (`spelling.REGISTRY`) for the SQL
of each field, given the alias of the row that holds it. Every value taken from the request (an
argument, a variable, the principal's collectivity, the reader's languages, today) becomes a bind
parameter with a function computing it from the request (`Binding`): the text of a plan is the
same for every request it answers. A field no spelling covers raises `Uncovered`: its root field
is then left to the resolvers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from graphql.execution.collect_fields import FieldDetailsList, FragmentDetails, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values
from graphql.type.introspection import TypeNameMetaFieldDef

from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    ValueNode,
    get_named_type,
    print_ast,
)
from tracker import access
from tracker.api.core.planner import sql
from tracker.errors import BadInput

if TYPE_CHECKING:
    from tracker.api.core.context import Context


class Uncovered(Exception):
    """The planner does not spell this field: its root field is left to the resolvers."""


class Fallback(Exception):
    """This request's values are for the resolvers to answer (they refuse them, naming the field)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One response key of a selection: a field of `parent`, with the nodes merged under the key."""

    key: str
    definition: GraphQLField
    details: FieldDetailsList
    parent: GraphQLObjectType
    # The fields above this one that take a `lang`, outermost first: a translated text below a
    # `lang` reads the nearest one given (tracker.api.core.lang).
    enclosing: tuple[Field, ...] = ()

    @property
    def name(self) -> str:
        return self.details[0].node.name.value

    @property
    def returns(self) -> GraphQLNamedType:
        return get_named_type(self.definition.type)

    def source(self, argument: str) -> str | None:
        """How the argument is written (validation made the merged nodes agree), for sharing binds."""
        value: ValueNode | None = next(
            (item.value for item in self.details[0].node.arguments or () if item.name.value == argument), None
        )
        return None if value is None else print_ast(value)


class Binding:
    """What a plan's bind parameters are computed from: one request. Computations read only its
    variables, principal, languages and day: the path without strawberry remembers what they
    made of a request by those (ready.py)."""

    def __init__(self, variables: VariableValues, context: Context) -> None:
        self.variables = variables
        self.context = context
        self._arguments: dict[int, dict[str, Any]] = {}
        self._computed: dict[Hashable, Any] = {}

    def arguments(self, target: Field) -> dict[str, Any]:
        """The field's arguments as its resolver receives them (Python names, input objects built)."""
        node = target.details[0].node
        found = self._arguments.get(id(node))
        if found is None:
            try:
                found = get_argument_values(target.definition, node, self.variables)
            except Exception as error:
                raise Fallback(target.key) from error
            self._arguments[id(node)] = found
        return found

    def computed(self, key: Hashable, compute: Callable[[Binding], Any]) -> Any:
        if key not in self._computed:
            self._computed[key] = compute(self)
        return self._computed[key]

    @property
    def today(self) -> date:
        return self.context.today


ArgumentsCompute = Callable[[dict[str, Any], Binding], Any]


def _checked_lang(arguments: dict[str, Any], binding: Binding) -> str | None:
    lang: str | None = arguments.get("lang")
    try:
        binding.context.languages(lang)
    except BadInput:
        raise Fallback("lang") from None
    return lang


@dataclass(slots=True)
class Parameter:
    name: str
    compute: Callable[[Binding], Any]


@dataclass(slots=True)
class Compiler:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    operation: OperationDefinitionNode
    variables: VariableValues
    visibility: access.PlanVisibility
    parameters: dict[Hashable, Parameter] = field(default_factory=dict)
    _aliases: int = 0

    def alias(self, prefix: str = "t") -> str:
        self._aliases += 1
        return f"{prefix}{self._aliases}"

    def bind(self, key: Hashable, compute: Callable[[Binding], Any], sql_type: str) -> str:
        """A bind parameter computed from the request, shared by every use of the same key."""
        parameter = self.parameters.get(key)
        if parameter is None:
            parameter = Parameter(f"p{len(self.parameters)}", compute)
            self.parameters[key] = parameter
        return f"CAST(%({parameter.name})s AS {sql_type})"

    def argument(
        self, target: Field, names: Iterable[str], compute: ArgumentsCompute, sql_type: str, *, part: int | None = None
    ) -> str:
        """A bind parameter computed from some arguments of a field (`compute` may raise Fallback);
        `part` takes one item of what `compute` returns (computed once for all its parts)."""
        sources = tuple(target.source(name) for name in names)
        # Fields that write the arguments alike (the same variable, the same literal, nothing)
        # share one parameter: a `name(lang: $lang)` on every item is one bind, not one per item.
        key = (compute, sources)

        def value(binding: Binding) -> Any:
            result = binding.computed(key, lambda binding: compute(binding.arguments(target), binding))
            return result if part is None else result[part]

        return self.bind((key, part), value, sql_type)

    def lang(self, target: Field) -> str:
        """The reader's languages for a translated field (`Context.languages`) as a text[]: its own
        `lang`, else the nearest enclosing field's given one (tracker.api.core.lang), else none."""
        chain = (*target.enclosing, target)
        # Fields writing no `lang` change nothing: chains writing the same ones share a bind.
        written = tuple((field, source) for field in chain if (source := field.source("lang")) is not None)

        def languages(binding: Binding) -> list[str]:
            given = next(
                (
                    value
                    for field, _ in reversed(written)
                    if (value := binding.arguments(field).get("lang")) is not None
                ),
                None,
            )
            try:
                return list(binding.context.languages(given))
            except BadInput:
                raise Fallback("lang") from None

        return self.bind(("lang", tuple(source for _, source in written)), languages, "text[]")

    @property
    def today(self) -> str:
        return self.bind("today", lambda binding: binding.today, "date")

    def readable_plan(self, plan: str) -> str:
        """`access.can_read_plan` of the action_plan row `plan`, for this request's principal."""
        own = self.bind("own", lambda binding: binding.context.principal.collectivity_id, "uuid")
        return access.readable_plan_sql(plan, self.visibility, own)

    def object_type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType), name
        return found

    def subfields(self, target: Field, runtime: GraphQLObjectType) -> list[Field]:
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, runtime, target.details
        ).grouped_field_set
        enclosing = target.enclosing
        if "lang" in target.definition.args:
            enclosing = (*enclosing, target)
            if target.source("lang") is not None:
                # The resolver refuses a bad tag where it is given, whatever is below.
                self.argument(target, ("lang",), _checked_lang, "text")
        return self.fields(runtime, collected, enclosing)

    def fields(
        self, parent: GraphQLObjectType, grouped: dict[str, FieldDetailsList], enclosing: tuple[Field, ...] = ()
    ) -> list[Field]:
        found = []
        for key, details in grouped.items():
            name = details[0].node.name.value
            if details[0].defer_usage is not None:
                raise Uncovered("@defer")
            definition = parent.fields.get(name)
            if definition is None:
                if name == "__typename":
                    found.append(Field(key, TypeNameMetaFieldDef, details, parent, enclosing))
                    continue
                raise Uncovered(f"{parent.name}.{name}")
            found.append(Field(key, definition, details, parent, enclosing))
        return found

    def object(self, target: Field, runtime: GraphQLObjectType, row: str) -> str:
        """The JSON object of the selection of `target` on the row aliased `row` of type `runtime`."""
        return self.selection(runtime, self.subfields(target, runtime), row)

    def selection(self, runtime: GraphQLObjectType, fields: list[Field], row: str) -> str:
        from tracker.api.core.planner.spelling import REGISTRY

        spelled = REGISTRY.get(runtime.name)
        pairs = []
        for item in fields:
            if item.name == "__typename":
                pairs.append((item.key, sql.literal(runtime.name)))
                continue
            spelling = spelled.fields.get(item.name) if spelled is not None else None
            if spelling is None:
                raise Uncovered(f"{runtime.name}.{item.name}")
            pairs.append((item.key, spelling.sql(item, row, self)))
        try:
            return sql.json_object(pairs)
        except sql.TooWide:
            raise Uncovered(f"{runtime.name}: more than {sql.MAX_KEYS} keys in one selection") from None
