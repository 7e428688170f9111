"""Answering a query by its plan: one statement for the root fields the planner covers.

After validation, a query's root fields are collected as graphql-core collects them. Those the
planner covers are compiled, once per document, operation, kind of principal (what the
visibility rules make of the SQL) and value of the variables deciding `@skip`/`@include`, into
one statement whose columns are each root field's JSON, built by PostgreSQL. The other root
fields are executed by strawberry, from the same document reduced to them, and the two answers
are merged in the document's order. A covered root field whose arguments the resolvers would
refuse (a bad cursor, `first` out of range, a malformed ID) is left to strawberry too, so that
its error is theirs, word for word.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson
from cachetools import LRUCache
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from graphql.execution.values import VariableValues, get_variable_values
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_operation_ast,
    visit,
)
from tracker import access
from tracker.api.core.analysis import document_digest
from tracker.api.core.context import Context
from tracker.api.core.planner import sql
from tracker.api.core.planner.compiler import Binding, Compiler, Fallback, Field, Parameter, Uncovered
from tracker.api.core.planner.spelling import REGISTRY

log = logging.getLogger("tracker.planner")


@dataclass(slots=True)
class RootPlan:
    key: str
    sql: str
    parameters: list[Parameter]


@dataclass(slots=True)
class Plan:
    """What one (document, operation, visibility, directive values) compiles to."""

    keys: list[str]  # every root response key, in the document's order
    planned: dict[str, RootPlan]
    constants: dict[str, Any]  # root `__typename`
    uncovered: dict[str, str]  # response key: why it is left to strawberry
    nodes: dict[str, list[FieldNode]]  # response key: its field nodes, for the reduced document
    statement: str  # with `%(name)s` placeholders
    guarded: bool
    # The statement with `$1`-style placeholders, as PostgreSQL receives it, and the parameters'
    # names in their order: converted once here rather than by psycopg at every execution.
    positional: str
    order: tuple[str, ...]
    positional_bytes: bytes
    _reduced: dict[frozenset[str], DocumentNode] = field(default_factory=dict)

    def reduced(self, document: DocumentNode, operation: OperationDefinitionNode, keys: frozenset[str]) -> DocumentNode:
        """The document with only the root fields `keys`, for strawberry to execute."""
        found = self._reduced.get(keys)
        if found is None:
            selections = tuple(node for key in self.keys if key in keys for node in self.nodes[key])
            reduced_operation = OperationDefinitionNode(
                operation=operation.operation,
                name=operation.name,
                variable_definitions=operation.variable_definitions,
                directives=operation.directives,
                selection_set=SelectionSetNode(selections=selections),
            )
            definitions = tuple(
                reduced_operation if definition is operation else definition
                for definition in document.definitions
                if definition is operation or isinstance(definition, FragmentDefinitionNode)
            )
            found = DocumentNode(definitions=definitions)
            self._reduced[keys] = found
        return found


def compile_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDetails],
    variables: VariableValues,
    visibility: access.PlanVisibility,
) -> Plan:
    query = schema.query_type
    assert query is not None
    grouped = collect_fields(schema, fragments, variables, query, operation).grouped_field_set
    keys = list(grouped)
    nodes = {key: [details.node for details in grouped[key]] for key in keys}
    planned: dict[str, RootPlan] = {}
    constants: dict[str, Any] = {}
    uncovered: dict[str, str] = {}
    spelled = REGISTRY.get(query.name)
    for key, details in grouped.items():
        name = details[0].node.name.value
        if name == "__typename":
            constants[key] = query.name
            continue
        compiler = Compiler(schema, fragments, operation, variables, visibility)
        try:
            spelling = spelled.fields.get(name) if spelled is not None else None
            if spelling is None or details[0].defer_usage is not None:
                raise Uncovered(f"Query.{name}")
            root = Field(key, query.fields[name], details, query)
            text = spelling.sql(root, "", compiler)
        except Uncovered as why:
            uncovered[key] = str(why)
            continue
        planned[key] = RootPlan(key, text, list(compiler.parameters.values()))
    guarded = len(planned) > 1
    columns = []
    for index, planned_root in enumerate(planned.values()):
        # Parameters are numbered per root field: prefix them so that root fields do not meet.
        for parameter in planned_root.parameters:
            old = f"%({parameter.name})s"
            parameter.name = f"r{index}{parameter.name}"
            planned_root.sql = planned_root.sql.replace(old, f"%({parameter.name})s")
        value = f"CASE WHEN %(run{index})s THEN {planned_root.sql} END" if guarded else planned_root.sql
        columns.append(f"CAST({value} AS text) AS r{index}")
    statement = f"SELECT {', '.join([*columns, f'{sql.EXACT_FLOATS} AS exact_floats'])}"
    positional, order = to_positional(statement)
    return Plan(
        keys=keys,
        planned=planned,
        constants=constants,
        uncovered=uncovered,
        nodes=nodes,
        statement=statement,
        guarded=guarded,
        positional=positional,
        order=order,
        positional_bytes=positional.encode(),
    )


_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?(.)", re.DOTALL)


def to_positional(statement: str) -> tuple[str, tuple[str, ...]]:
    """`statement` with its `%(name)s` placeholders numbered `$1`, `$2`… (a name used twice
    keeps its number) and `%%` as `%`, as psycopg converts it; and the names in their order."""
    order: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if name is None and kind == "%":
            return "%"
        if name is None or kind != "s":
            raise ValueError(f"not a placeholder the planner writes: {match.group(0)!r}")
        return f"${order.setdefault(name, len(order) + 1)}"

    return _PLACEHOLDER.sub(number, statement), tuple(order)


class _DirectiveVariables(Visitor):
    """Variables deciding `@skip` and `@include`: their values change what is collected."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        if node.name.value in ("skip", "include"):
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    self.names.add(argument.value.name.value)
                elif not isinstance(argument.value, BooleanValueNode):
                    self.names.add("")


@dataclass(slots=True)
class Prepared:
    plan: Plan
    parameters: dict[str, Any]
    run: list[str]  # planned root keys this request runs
    left: frozenset[str]  # root keys strawberry answers


class PlanCache:
    """Plans by document digest, operation name, visibility and directive variable values."""

    def __init__(self, size: int = 512) -> None:
        self.plans: LRUCache[Hashable, Plan] = LRUCache(maxsize=size)
        self.directives: LRUCache[bytes, tuple[str, ...]] = LRUCache(maxsize=size)
        # How root fields were answered: planned, fallback (left to strawberry), failed (a bug).
        self.answers: Counter[str] = Counter()

    def prepare(self, context: ExecutionContext, principal: access.Principal, reading: Context) -> Prepared | None:
        document = context.graphql_document
        assert document is not None
        operation = get_operation_ast(document, context.operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        schema = context.schema._schema
        coerced = get_variable_values(schema, operation.variable_definitions or (), context.variables or {})
        if not isinstance(coerced, VariableValues):
            return None  # strawberry reports the variables' errors
        visibility = access.plan_visibility(principal)
        plan = self.plan(context.query, document, operation, schema, coerced, visibility)
        return self.bind(plan, coerced, reading)

    @staticmethod
    def bind(plan: Plan, coerced: VariableValues, reading: Context) -> Prepared:
        """The plan's bind parameters for one request, and which root fields it runs."""
        binding = Binding(coerced, reading)
        parameters: dict[str, Any] = {}
        run: list[str] = []
        left = set(plan.uncovered)
        for index, (key, root) in enumerate(plan.planned.items()):
            try:
                values = {parameter.name: parameter.compute(binding) for parameter in root.parameters}
            except Fallback:
                values, ok = dict.fromkeys(parameter.name for parameter in root.parameters), False
            else:
                ok = True
            parameters.update(values)
            if plan.guarded:
                parameters[f"run{index}"] = ok
            if ok:
                run.append(key)
            else:
                left.add(key)
        return Prepared(plan, parameters, run, frozenset(left))

    def plan(
        self,
        text: str | None,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        schema: GraphQLSchema,
        variables: VariableValues,
        visibility: access.PlanVisibility,
    ) -> Plan:
        fragments = {
            definition.name.value: FragmentDetails(definition)
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        if text is None:
            return compile_plan(schema, operation, fragments, variables, visibility)
        digest = document_digest(text)
        names = self.directives.get(digest)
        if names is None:
            finder = _DirectiveVariables()
            visit(document, finder)
            names = tuple(sorted(finder.names))
            self.directives[digest] = names
        if "" in names:  # a directive argument neither a variable nor a boolean: not cached
            return compile_plan(schema, operation, fragments, variables, visibility)
        flags = tuple(bool(variables.coerced.get(name)) for name in names)
        name = operation.name.value if operation.name else None
        key = (digest, name, visibility, flags)
        plan = self.plans.get(key)
        if plan is None:
            plan = compile_plan(schema, operation, fragments, variables, visibility)
            self.plans[key] = plan
        return plan


async def run_statement(reading: Context, plan: Plan, parameters: dict[str, Any]) -> tuple[Any, ...]:
    """The one row of the plan's statement: a column per planned root field, then whether floats
    print exactly. Read outside a transaction (one statement is one snapshot; no BEGIN and
    ROLLBACK round trips, and psycopg keeps the statement prepared), unless the request has one."""
    if reading.transaction is not None:
        async with reading.reading() as session:
            connection = await session.connection()
            return tuple((await connection.exec_driver_sql(plan.statement, parameters)).one())
    values = [parameters[name] for name in plan.order]
    return await reading.db.read_row(plan.positional_bytes, values, plan.positional)


class PlannedReads(SchemaExtension):
    """Answers the covered root fields of a query by its plan, on PostgreSQL."""

    def __init__(
        self,
        *,
        plans: PlanCache,
        enabled: Callable[[Context], bool],
        answered_whole: Callable[[str, str | None, DocumentNode], None] | None = None,
    ) -> None:
        self.plans = plans
        self.enabled = enabled
        # Told of each query text the plan answered all of, to answer it again without strawberry.
        self.answered_whole = answered_whole

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        reading = context.context
        if (
            not isinstance(reading, Context)
            or not self.enabled(reading)
            or context.graphql_document is None
            or context.pre_execution_errors
        ):
            yield
            return
        answered = await self._answer(context, reading)
        if answered is None:
            yield
            return
        prepared, values = answered
        plan = prepared.plan
        if not prepared.left:
            context.result = ExecutionResult(data=merged(plan, values, {}), errors=None)
            if self.answered_whole is not None and prepared.run and context.query is not None:
                self.answered_whole(context.query, context.operation_name, context.graphql_document)
            yield
            return
        original = context.graphql_document
        operation = get_operation_ast(original, context.operation_name)
        assert operation is not None
        context.graphql_document = plan.reduced(original, operation, prepared.left)
        try:
            yield
        finally:
            context.graphql_document = original
        result = context.result
        if isinstance(result, ExecutionResult) and result.data is not None:
            result.data = merged(plan, values, result.data)

    async def _answer(self, context: ExecutionContext, reading: Context) -> tuple[Prepared, dict[str, Any]] | None:
        try:
            prepared = self.plans.prepare(context, reading.principal, reading)
        except Exception:
            log.exception("planning %s failed; strawberry answers", context.operation_name or "a query")
            self.plans.answers["failed"] += 1
            return None
        if prepared is None:
            return None
        self.plans.answers["fallback"] += len(prepared.left)
        if not prepared.run:
            return (prepared, dict(prepared.plan.constants)) if prepared.plan.constants else None
        try:
            row = await run_statement(reading, prepared.plan, prepared.parameters)
        except Exception:
            # Strawberry answers instead: the same failure (the database gone) fails it too, and
            # anything else (a float out of PostgreSQL's range) is answered as the resolvers do.
            log.warning("the planned read of %s failed; strawberry answers", context.operation_name, exc_info=True)
            self.plans.answers["failed"] += 1
            return None
        if not row[-1]:  # floats would not print exactly
            return None
        self.plans.answers["planned"] += len(prepared.run)
        return prepared, planned_values(prepared, row, fragment=reading.answer_as_json)


def planned_values(prepared: Prepared, row: tuple[Any, ...], *, fragment: bool) -> dict[str, Any]:
    """The root fields the plan's row answers (and the root `__typename`), by response key: the
    JSON text PostgreSQL built as an `orjson.Fragment` (`fragment`), or parsed."""
    values: dict[str, Any] = dict(prepared.plan.constants)
    for index, key in enumerate(prepared.plan.planned):
        if key in prepared.run:
            text = row[index]
            values[key] = None if text is None else orjson.Fragment(text) if fragment else orjson.loads(text)
    return values


def merged(plan: Plan, values: dict[str, Any], answered: dict[str, Any]) -> dict[str, Any]:
    """The planned values and strawberry's answers, in the document's order of root fields."""
    return {key: values[key] if key in values else answered.get(key) for key in plan.keys}
