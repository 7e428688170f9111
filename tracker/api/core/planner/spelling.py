"""How a GraphQL field is spelled in SQL, declared by each type's module beside the type.

`spell("Collectivity", name=Translated("name"), ...)` says how the planner answers each field of
the type it covers, given the alias of the row holding it. A field left out is answered by its
resolver: the planner then leaves the whole root field it sits under to strawberry
(tests/api/test_planner_coverage.py lists what is covered, so that leaving a field out is a
decision). The resolvers stay the reference: the planner must answer what they answer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from graphql import GraphQLObjectType, get_named_type
from tracker import i18n
from tracker.api.core.planner import sql
from tracker.api.core.planner.compiler import Binding, Compiler, Fallback, Field, Uncovered
from tracker.api.core.relay import MAX_PAGE, PageArgs, offset_of
from tracker.errors import BadInput

# Where the row holding a field is aliased; a root field has none ("").
Row = str
Condition = Callable[[Row, str, Field, Compiler], str]
Order = Callable[[str, Field, Compiler], str]


class Spelling(ABC):
    @abstractmethod
    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        """SQL for the field's JSON value on the row aliased `row`."""


@dataclass(frozen=True, slots=True)
class TypeSpelling:
    type_name: str
    fields: dict[str, Spelling]


REGISTRY: dict[str, TypeSpelling] = {}


def spell(type_name: str, **fields: Spelling) -> TypeSpelling:
    """Declare the SQL of fields of a GraphQL type, by their Python names (as strawberry's fields).
    Root fields are declared by the modules of their domains: declarations of a type add up."""
    spelled = REGISTRY.setdefault(type_name, TypeSpelling(type_name, {}))
    for name, value in fields.items():
        graphql_name = to_camel_case(name)
        if graphql_name in spelled.fields:
            raise ValueError(f"{type_name}.{graphql_name} is spelled twice")
        spelled.fields[graphql_name] = value
    return spelled


def enum_values(values: list[Any] | None) -> list[str] | None:
    """An enum list argument as the resolvers read it: empty or absent means no condition."""
    return [value.value for value in values] if values else None


def filter_of(arguments: dict[str, Any]) -> dict[str, Any]:
    """The `filter` argument as graphql-core coerces it (a dict by GraphQL names), {} for none."""
    found: dict[str, Any] = arguments.get("filter") or {}
    return found


def filter_statuses(arguments: dict[str, Any], binding: Binding) -> list[str] | None:
    """The `status` list of a `filter` argument (a binding for `Compiler.argument`)."""
    return enum_values(filter_of(arguments).get("status"))


def _identity(value: str) -> str:
    return value


@dataclass(frozen=True, slots=True)
class Column(Spelling):
    """A column as it is, or rendered (`sql.iso_date`...)."""

    column: str
    render: Callable[[str], str] = _identity

    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        return self.render(f"{row}.{self.column}")


@dataclass(frozen=True, slots=True)
class Expression(Spelling):
    """Any SQL computed from the row alias (the field's arguments and the compiler at hand)."""

    spelled: Callable[[Row, Field, Compiler], str]

    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        return self.spelled(row, target, plan)


@dataclass(frozen=True, slots=True)
class GlobalId(Spelling):
    """`encode_id(type_name, row.id)`."""

    type_name: str

    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        from tracker.ids import encode_id_sql

        return encode_id_sql(self.type_name, f"{row}.id")


@dataclass(frozen=True, slots=True)
class Translated(Spelling):
    """`Context.text` (required) or `Context.optional_text` of a translated jsonb column, in the
    language of its `lang` or of the nearest enclosing one (`Compiler.lang`)."""

    column: str
    required: bool = True

    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        order = plan.lang(target)
        return i18n.pick_sql(f"{row}.{self.column}", order, required=self.required)


@dataclass(frozen=True, slots=True)
class ToOne(Spelling):
    """One object of another type, or null: the first row of `table` (by `order`) meeting `where`."""

    type_name: str
    table: str
    where: Condition
    order: str | None = None  # with `{to}` for the alias of the target row

    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        to = plan.alias()
        runtime = plan.object_type(self.type_name)
        tail = f" ORDER BY {self.order.format(to=to)} LIMIT 1" if self.order else ""
        where = self.where(row, to, target, plan)
        return f"(SELECT {plan.object(target, runtime, to)} FROM {self.table} AS {to} WHERE {where}{tail})"


@dataclass(frozen=True, slots=True)
class Connection(Spelling):
    """A relay connection of the rows of `table` meeting `where`, in `order`, paged as
    `relay.PageArgs.window` pages (first, after, last, before; 100 at most without first or last).
    `order` must be total (end with a unique column): pages taken by OFFSET and LIMIT are then the
    same as the resolvers' slices of the sorted list. `count`, when given, is SQL for totalCount
    from values kept on write, or NULL where they cannot tell it (the rows are counted then)."""

    node_type: str
    table: str
    where: Condition
    order: Order
    count: Expression | None = None

    def sql(self, target: Field, row: Row, plan: Compiler) -> str:
        to = plan.alias()
        where = self.where(row, to, target, plan)
        node = plan.object_type(self.node_type)
        if _from_start(target):
            rows = f"FROM {self.table} AS {to} WHERE {where}"

            def counted() -> str:
                plain = f"(SELECT count(*) {rows})"
                return plain if self.count is None else f"COALESCE({self.count.sql(target, row, plan)}, {plain})"

            return page_from_start(plan, target, rows, counted, lambda alias: self.order(alias, target, plan), to, node)
        rows = (
            f"SELECT {to}.*, row_number() OVER (ORDER BY {self.order(to, target, plan)}) - 1 AS row_offset"
            f" FROM {self.table} AS {to} WHERE {where}"
        )
        return page(plan, target, rows, node)


def _from_start(target: Field) -> bool:
    """Whether the document pages from the start of the list whatever its variables: no `last` and
    no `before` written (a variable there may be null or not: the plan is the same for both)."""
    return all(target.source(name) in (None, "null") for name in ("last", "before"))


def static_order(template: str) -> Order:
    """An order that no argument changes, `{to}` standing for the alias of the rows."""

    def order(to: str, target: Field, plan: Compiler) -> str:
        return template.format(to=to)

    return order


# Offsets beyond any list (a client may write any number in a cursor) stay within bigint.
_LARGEST_OFFSET = 2**62


def window(arguments: dict[str, Any], binding: Binding) -> tuple[int, int | None, int | None, int | None]:
    """What `PageArgs.window` takes from the arguments: (start before `total` bounds it, end or
    None for the whole list, page size from the start or None, page size from the end or None).
    Arguments the resolvers refuse are left to them."""
    first, after, last, before = (arguments.get(name) for name in ("first", "after", "last", "before"))
    try:
        PageArgs(first=first, after=after, last=last, before=before)
        start = offset_of(after, field="after") + 1 if after is not None else 0
        end = offset_of(before, field="before") if before is not None else None
    except BadInput:
        raise Fallback("paging") from None
    size = first if first is not None else (MAX_PAGE if last is None else None)
    return min(start, _LARGEST_OFFSET), None if end is None else min(end, _LARGEST_OFFSET), size, last


def page(plan: Compiler, target: Field, rows: str, node: GraphQLObjectType) -> str:
    """The connection object of `rows` (a select with a 0-based `row_offset` in list order)."""
    names = ("first", "after", "last", "before")
    start, end, first, last = (plan.argument(target, names, window, "bigint", part=n) for n in range(4))
    listed, bounds = plan.alias("r"), plan.alias("w")
    # PageArgs.window with NULL for what the request leaves out (LEAST and GREATEST skip NULLs).
    bounded = (
        f"SELECT total, GREATEST(s0, e - {last}) AS s, e FROM ("
        f"SELECT total, s0, LEAST(GREATEST(LEAST(COALESCE({end}, total), total), s0), s0 + {first}) AS e FROM ("
        f"SELECT total, LEAST({start}, total) AS s0 FROM (SELECT count(*) AS total FROM {listed}) AS q0) AS q1) AS q2"
    )
    paged = _Paged(
        listed,
        total=f"{bounds}.total",
        member=lambda each: f"{each}.row_offset >= {bounds}.s AND {each}.row_offset < {bounds}.e",
        info={
            "hasNextPage": f"{bounds}.e < {bounds}.total",
            "hasPreviousPage": f"{bounds}.s > 0",
            "startCursor": f"CASE WHEN {bounds}.e > {bounds}.s THEN {sql.cursor(f'{bounds}.s')} END",
            "endCursor": f"CASE WHEN {bounds}.e > {bounds}.s THEN {sql.cursor(f'{bounds}.e - 1')} END",
        },
    )
    built = _connection(plan, target, node, paged)
    return f"(WITH {listed} AS ({rows}), {bounds} AS ({bounded}) SELECT {built} FROM {bounds})"


def page_from_start(
    plan: Compiler,
    target: Field,
    rows: str,
    counted: Callable[[], str],
    order: Callable[[str], str],
    to: str,
    node: GraphQLObjectType,
) -> str:
    """The connection object of a page taken from the start side (first and after only) of the
    rows `rows` (`FROM ... WHERE ...` of the alias `to`, `counted()` SQL for their number) sorted
    by `order` (SQL of an alias).

    Only the page is sorted, numbered and read: `ORDER BY ... OFFSET after + 1 LIMIT first`, one
    row more when hasNextPage is asked. The rows are counted apart, and only when totalCount or
    hasPreviousPage needs it: a count reads no more than the rows the condition selects, where
    numbering them all sorted them all. The answer is `PageArgs.window`'s: with no `before`, a page
    [start, min(start + first, total)) is empty exactly when no row is at offset `start`, and is
    followed by more exactly when a row is at offset `start + first`."""
    names = ("first", "after", "last", "before")
    start, first = (plan.argument(target, names, window, "bigint", part=n) for n in (0, 2))
    connection = target.returns
    assert isinstance(connection, GraphQLObjectType)
    asked = plan.subfields(target, connection)
    info = get_named_type(connection.fields["pageInfo"].type)
    assert isinstance(info, GraphQLObjectType)
    page_info = {item.name for field in asked if field.name == "pageInfo" for item in plan.subfields(field, info)}
    needs_total = "hasPreviousPage" in page_info or any(field.name == "totalCount" for field in asked)
    ahead = "hasNextPage" in page_info
    listed, window_rows, total = plan.alias("r"), plan.alias("p"), plan.alias("n")
    end = f"({start} + {first})"
    numbered = (
        f"SELECT {window_rows}.*, {start} + row_number() OVER (ORDER BY {order(window_rows)}) - 1 AS row_offset"
        f" FROM (SELECT {to}.* {rows} ORDER BY {order(to)} OFFSET {start}"
        f" LIMIT {first}{' + 1' if ahead else ''}) AS {window_rows}"
    )

    def member(each: str) -> str:
        return f"{each}.row_offset < {end}" if ahead else "true"

    def edge_cursor(descending: bool) -> str:
        each = plan.alias()
        return (
            f"(SELECT {sql.cursor(f'{each}.row_offset')} FROM {listed} AS {each} WHERE {member(each)}"
            f" ORDER BY {each}.row_offset{' DESC' if descending else ''} LIMIT 1)"
        )

    following = plan.alias()
    paged = _Paged(
        listed,
        total=f"{total}.total",
        member=member,
        info={
            "hasNextPage": f"EXISTS (SELECT 1 FROM {listed} AS {following} WHERE {following}.row_offset >= {end})",
            "hasPreviousPage": f"({start} > 0 AND {total}.total > 0)",
            "startCursor": edge_cursor(descending=False),
            "endCursor": edge_cursor(descending=True),
        },
    )
    built = _connection(plan, target, node, paged)
    if not needs_total:
        return f"(WITH {listed} AS ({numbered}) SELECT {built})"
    return f"(WITH {listed} AS ({numbered}), {total} AS (SELECT {counted()} AS total) SELECT {built} FROM {total})"


@dataclass(frozen=True, slots=True)
class _Paged:
    """What a connection's fields read of a page: the CTE `listed` of rows with their
    `row_offset` (perhaps more than the page: `member` tells those of the page), the total, and
    the SQL of each field of PageInfo."""

    listed: str
    total: str
    member: Callable[[str], str]
    info: dict[str, str]


def _connection(plan: Compiler, target: Field, node: GraphQLObjectType, paged: _Paged) -> str:
    connection = target.returns
    assert isinstance(connection, GraphQLObjectType)
    pairs = []
    for item in plan.subfields(target, connection):
        if item.name == "__typename":
            pairs.append((item.key, sql.literal(connection.name)))
        elif item.name == "totalCount":
            pairs.append((item.key, paged.total))
        elif item.name in ("edges", "nodes"):
            each = plan.alias()
            element = plan.object(item, node, each) if item.name == "nodes" else _edge(plan, item, node, each)
            source = f"FROM {paged.listed} AS {each} WHERE {paged.member(each)}"
            pairs.append((item.key, sql.json_list(element, source, f"{each}.row_offset")))
        elif item.name == "pageInfo":
            pairs.append((item.key, _page_info(plan, item, paged.info)))
        else:
            raise Uncovered(f"{connection.name}.{item.name}")
    try:
        return sql.json_object(pairs)
    except sql.TooWide:
        raise Uncovered(f"{connection.name}: too many keys") from None


def _edge(plan: Compiler, target: Field, node: GraphQLObjectType, each: str) -> str:
    edge = get_named_type(target.definition.type)
    assert isinstance(edge, GraphQLObjectType)
    pairs = []
    for item in plan.subfields(target, edge):
        if item.name == "__typename":
            pairs.append((item.key, sql.literal(edge.name)))
        elif item.name == "cursor":
            pairs.append((item.key, sql.cursor(f"{each}.row_offset")))
        elif item.name == "node":
            pairs.append((item.key, plan.object(item, node, each)))
        else:
            raise Uncovered(f"{edge.name}.{item.name}")
    return sql.json_object(pairs)


def _page_info(plan: Compiler, target: Field, info_sql: dict[str, str]) -> str:
    info = get_named_type(target.definition.type)
    assert isinstance(info, GraphQLObjectType)
    spelled = {**info_sql, "__typename": sql.literal(info.name)}
    pairs = []
    for item in plan.subfields(target, info):
        if item.name not in spelled:
            raise Uncovered(f"{info.name}.{item.name}")
        pairs.append((item.key, spelled[item.name]))
    return sql.json_object(pairs)
