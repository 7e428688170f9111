"""Documents the planner answered whole before, answered again without strawberry.

Once a query has gone through strawberry and the planner answered every one of its root fields,
nothing of strawberry's machinery is left to do for the same text: it parsed it, validated it,
and its plans are cached. The next request with that text and operation name is answered here,
in the order strawberry would have taken: the document limits with this request's variables and
principal, the text rules on the variables, the variables' coercion, the plan, its bind
parameters, the statement, and the `data` JSON built by PostgreSQL copied into the answer as it
is. At any step where strawberry would have answered something else (a limit, a bad variable, an
argument the resolvers refuse, a float PostgreSQL cannot say exactly), this gives up and the
request takes the normal path, which then answers with its own words.

Every step before the statement depends only on the query, its variables, the principal, the
reader's languages and the day: what they made of a request (the plan and its bind parameters)
is remembered by those, so the same read sent again goes straight to the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import LRUCache
from graphql.execution.values import VariableValues, get_variable_values

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode, OperationType, get_operation_ast
from tracker import access
from tracker.api.core.analysis import ShapeCache, document_digest
from tracker.api.core.context import Context
from tracker.api.core.limits import Limits
from tracker.api.core.planner.execution import PlanCache, Prepared, merged, planned_values
from tracker.text import TextError, clean_json

# Documents remembered: each holds its syntax tree (bounded by the token limit), like the
# parse cache does.
READY_DOCUMENTS = 256
# Requests remembered (their plan and bind parameters): a few kilobytes each, their variables
# at most READY_VARIABLES_BYTES (as JSON), so the whole stays within a few megabytes.
READY_REQUESTS = 2048
READY_VARIABLES_BYTES = 2048


@dataclass(frozen=True, slots=True)
class Ready:
    document: DocumentNode
    operation: OperationDefinitionNode
    digest: bytes  # of the text


@dataclass(frozen=True, slots=True)
class Bound:
    """A request made ready: its plan's bind parameters, in the statement's order."""

    prepared: Prepared
    values: list[Any]


class ReadyReads:
    def __init__(
        self,
        *,
        plans: PlanCache,
        limits: Limits,
        shapes: ShapeCache,
        enabled: Callable[[Context], bool],
    ) -> None:
        # Set once the schema is built (it is built with the extension that fills this).
        self.schema: GraphQLSchema | None = None
        self.plans = plans
        self.limits = limits
        self.shapes = shapes
        self.enabled = enabled
        self.documents: LRUCache[tuple[bytes, str | None], Ready] = LRUCache(maxsize=READY_DOCUMENTS)
        self.bound: LRUCache[Hashable, Bound] = LRUCache(maxsize=READY_REQUESTS)

    def remember(self, text: str, operation_name: str | None, document: DocumentNode) -> None:
        """Strawberry ran this query and the planner answered all of it."""
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return
        digest = document_digest(text)
        ready = Ready(document, operation, digest)
        self.documents[(digest, operation_name)] = ready
        if sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions) == 1:
            # The only operation of its document: a request naming none means it too.
            self.documents[(digest, None)] = ready

    def find(self, text: str, operation_name: str | None) -> Ready | None:
        """The query if the planner answered all of it before."""
        return self.documents.get((document_digest(text), operation_name))

    async def answer(
        self, ready: Ready, text: str, operation_name: str | None, variables: Mapping[str, Any], reading: Context
    ) -> bytes | None:
        """The response body of `ready` (found for `text`), or None: the normal path answers.
        Database errors propagate."""
        schema = self.schema
        if schema is None or reading.transaction is not None or not self.enabled(reading):
            return None
        key = _request_key(ready, operation_name, variables, reading)
        bound = self.bound.get(key) if key is not None else None
        if bound is None:
            bound = self._bind(schema, ready, text, operation_name, variables, reading)
            if bound is None:
                return None
            if key is not None:
                self.bound[key] = bound
        prepared, plan = bound.prepared, bound.prepared.plan
        row = await reading.db.read_row(plan.positional_bytes, bound.values, plan.positional)
        if not row[-1]:  # floats would not print exactly
            return None
        self.plans.answers["planned"] += len(prepared.run)
        return orjson.dumps({"data": merged(plan, planned_values(prepared, row, fragment=True), {})})

    def _bind(
        self,
        schema: GraphQLSchema,
        ready: Ready,
        text: str,
        operation_name: str | None,
        variables: Mapping[str, Any],
        reading: Context,
    ) -> Bound | None:
        """The plan and bind parameters of this request, or None where strawberry would answer."""
        measures = self.shapes.get(schema, text, ready.document).measure(operation_name, variables)
        if measures is None or self.limits.refusal(measures, reading.principal) is not None:
            return None
        try:
            cleaned = clean_json(dict(variables))
        except TextError:
            return None
        coerced = get_variable_values(schema, ready.operation.variable_definitions or (), cleaned)
        if not isinstance(coerced, VariableValues):
            return None
        visibility = access.plan_visibility(reading.principal)
        plan = self.plans.plan(text, ready.document, ready.operation, schema, coerced, visibility)
        prepared = self.plans.bind(plan, coerced, reading)
        if prepared.left or not prepared.run:
            return None
        return Bound(prepared, [prepared.parameters[name] for name in plan.order])


def _request_key(
    ready: Ready, operation_name: str | None, variables: Mapping[str, Any], reading: Context
) -> Hashable | None:
    """What the steps before the statement depend on; None: not remembered (variables that are
    not plain JSON, or large). The variables by a digest, so that a key weighs the same whatever
    they weigh."""
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    if len(encoded) > READY_VARIABLES_BYTES:
        return None
    variables_digest = hashlib.blake2b(encoded, digest_size=32).digest()
    return (ready.digest, operation_name, variables_digest, reading.principal, reading.accept_languages, reading.today)
