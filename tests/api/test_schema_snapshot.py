"""graphql/schema.graphql is what frontends read: it must match the code."""

from __future__ import annotations

from pathlib import Path

from tracker.api.sdl import sdl

SNAPSHOT = Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == sdl(), "graphql/schema.graphql is stale: run `make schema`"


def test_every_field_and_type_has_a_description() -> None:
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType
    from tracker.api.schema import build_schema
    from tracker.settings import Settings

    schema = build_schema(Settings())._schema
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(kind, GraphQLEnumType):
            if not kind.description:
                missing.append(name)
            continue
        if not isinstance(kind, GraphQLObjectType | GraphQLInputObjectType):
            continue
        if name in ("Query", "Mutation"):
            pass
        elif not kind.description:
            missing.append(name)
        missing.extend(f"{name}.{field}" for field, value in kind.fields.items() if not value.description)
    assert missing == []
