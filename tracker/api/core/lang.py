"""Which `lang` a translated field answers in: its own, else the nearest enclosing field's.

A `lang` given where a query enters the graph (`collectivity(slug:, lang:)`, `collectivities`,
`node`, `nodes`, `milestones`) applies to every translated text below it, unless a field below
gives its own; with none anywhere, the request's Accept-Language decides (`Context.languages`).
So one `$lang`, or one Accept-Language, answers a whole query in one language wherever the data
has it. The read planner spells the same rule: `Compiler.subfields` hands each field the
enclosing fields that take a `lang`, and `Translated` reads the nearest one given.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from graphql.execution.collect_fields import FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values

from graphql import GraphQLObjectType, GraphQLResolveInfo
from tracker.api.core.context import Info

LANG_DESCRIPTION = (
    "Language (BCP 47 tag: ar, fr, en, zgh, ar-MA...) of every translated text below, unless a field"
    " below gives its own `lang`; without it, the Accept-Language header decides."
)

# The `lang` argument of the fields where a query enters the graph.
Lang = Annotated[str | None, strawberry.argument(description=LANG_DESCRIPTION)]

# A response path without list indices, each key with the type of the object holding it.
Segments = tuple[tuple[str, str], ...]


def check(info: Info, lang: str | None) -> None:
    """Refuse a `lang` that is not a language tag where it is given (BAD_USER_INPUT, field lang),
    rather than at each translated text below."""
    info.context.languages(lang)


def within(info: Info, lang: str | None) -> str | None:
    """The `lang` a translated field reads: its own argument, else the nearest enclosing one."""
    if lang is not None:
        return lang
    raw: GraphQLResolveInfo[Any] = info._raw_info
    segments: list[tuple[str, str]] = []
    path = raw.path.prev  # the translated field itself has no field below it
    while path is not None:
        if isinstance(path.key, str) and path.typename is not None:
            segments.append((path.key, path.typename))
        path = path.prev
    if not segments:
        return None
    segments.reverse()
    return info.context.enclosing_lang(raw.variable_values, tuple(segments), lambda: _enclosing(raw, tuple(segments)))


def _enclosing(raw: GraphQLResolveInfo[Any], segments: Segments) -> str | None:
    """The `lang` written on the fields along `segments`, the deepest given one, as execution
    collects them (fragments, @skip and @include, variables)."""
    schema = raw.schema
    fragments = {name: FragmentDetails(definition) for name, definition in raw.fragments.items()}
    given_values: Any = raw.variable_values
    # Strawberry hands resolvers the coerced values alone, not graphql-core's container.
    variables = given_values if isinstance(given_values, VariableValues) else VariableValues({}, given_values)
    found: str | None = None
    grouped: dict[str, Any] | None = None
    for index, (key, typename) in enumerate(segments):
        parent = schema.get_type(typename)
        assert isinstance(parent, GraphQLObjectType)
        if grouped is None:
            grouped = collect_fields(schema, fragments, variables, parent, raw.operation).grouped_field_set
        details = grouped[key]
        node = details[0].node
        definition = parent.fields[node.name.value]
        if "lang" in definition.args:
            given = get_argument_values(definition, node, variables).get("lang")
            if given is not None:
                found = given
        if index + 1 < len(segments):
            below = schema.get_type(segments[index + 1][1])
            assert isinstance(below, GraphQLObjectType)
            grouped = collect_subfields(schema, fragments, variables, raw.operation, below, details).grouped_field_set
    return found
