"""Differential test: generated queries get the same answer from the planner and the resolvers.

hypothesis-graphql writes valid queries from the schema narrowed to what the planner covers
(every covered root field and type field, nothing else, so that the planner answers them), with
arguments drawn from values that mean something in the seeded world (slugs, IDs of each type,
cursors, language tags) and values the resolvers refuse, for every kind of reader. The answers
must be equal as JSON. `TRACKER_PLANNER_EXAMPLES` sets how many queries (default 200).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from graphql import (
    BooleanValueNode,
    DocumentNode,
    IntValueNode,
    ObjectTypeDefinitionNode,
    StringValueNode,
    build_ast_schema,
    parse,
    print_schema,
)
from tests.support.cleanup import truncate_all
from tests.support.planner import Paths, principals
from tests.support.read_world import World, read_world
from tracker.api.core.planner import REGISTRY
from tracker.api.core.relay import cursor_of
from tracker.db import Database

EXAMPLES = int(os.environ.get("TRACKER_PLANNER_EXAMPLES", "200"))


def covered_schema(paths: Paths) -> str:
    """The schema's SDL with only the fields the planner spells (interfaces dropped: `Audited`
    asks for `history`, which it leaves to the resolvers)."""
    document = parse(print_schema(paths.planned._schema))
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value in REGISTRY:
            spelled = REGISTRY[definition.name.value].fields
            fields = tuple(field for field in definition.fields or () if field.name.value in spelled)
            interfaces = tuple(interface for interface in definition.interfaces or () if interface.name.value == "Node")
            definition = ObjectTypeDefinitionNode(
                name=definition.name, fields=fields, interfaces=interfaces, directives=definition.directives
            )
        definitions.append(definition)
    return print_schema(build_ast_schema(DocumentNode(definitions=tuple(definitions)), assume_valid=True))


def _string(values: list[str]) -> st.SearchStrategy[StringValueNode]:
    return st.sampled_from(values).map(lambda value: StringValueNode(value=value))


def scalars(world: World) -> dict[str, st.SearchStrategy[Any]]:
    strings = [
        *world.slugs,
        *(cursor_of(offset) for offset in (0, 1, 2, 5, 99, 150)),
        "bm9wZQ",  # not a cursor
        *("ar", "fr", "en", "zgh", "ar-MA", "es", "not a tag"),
        *("SYNTH", "ait", "%", "_", ""),
    ]
    return {
        "String": _string(strings),
        "ID": _string([*world.ids, "bm9wZQ", "Q29tbWVudDpub3Bl"]),
        "Int": st.one_of(st.integers(0, 12), st.sampled_from([-1, 100, 101])).map(
            lambda value: IntValueNode(value=str(value))
        ),
        "Date": st.dates(date(2023, 6, 1), date(2026, 6, 1)).map(lambda day: StringValueNode(value=day.isoformat())),
        "Boolean": st.booleans().map(lambda value: BooleanValueNode(value=value)),
    }


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def seeded(postgres_url: str, loop: asyncio.AbstractEventLoop) -> Iterator[tuple[Paths, World, dict[str, Any]]]:
    db = Database(postgres_url)
    world = loop.run_until_complete(read_world(db))
    other = uuid.uuid4()
    try:
        yield Paths(db), world, principals(world.drafted, other)
    finally:
        loop.run_until_complete(truncate_all(db))
        loop.run_until_complete(db.dispose())


def test_generated_queries_get_the_resolvers_answer_from_the_planner(
    seeded: tuple[Paths, World, dict[str, Any]], loop: asyncio.AbstractEventLoop
) -> None:
    paths, world, readers = seeded
    schema = covered_schema(paths)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        query=queries(schema, custom_scalars=scalars(world), allow_x00=False, codec="ascii"),
        reader=st.sampled_from(sorted(readers)),
        languages=st.sampled_from([(), ("fr",), ("en", "ar")]),
    )
    def same_answer(query: str, reader: str, languages: tuple[str, ...]) -> None:
        planned, resolved = loop.run_until_complete(paths.both(query, principal=readers[reader], languages=languages))
        assert planned == resolved, query
        # The same query again, answered without strawberry when the planner answered all of it.
        again = loop.run_until_complete(paths.ready(query, principal=readers[reader], languages=languages))
        assert again in (None, planned), query

    same_answer()
    # The corpus reaches the planner, not only the resolvers' refusals, and the path without strawberry.
    assert paths.plans.answers["planned"] > EXAMPLES // 4, paths.plans.answers
    assert paths.ready_answers > EXAMPLES // 8, paths.ready_answers


def test_generated_queries_mixing_covered_and_uncovered_fields_get_the_same_answer(
    seeded: tuple[Paths, World, dict[str, Any]], loop: asyncio.AbstractEventLoop
) -> None:
    """The whole schema this time: root fields the planner covers beside those it leaves to
    strawberry, and covered roots reaching uncovered fields (history, comments...)."""
    paths, world, readers = seeded
    schema = print_schema(paths.planned._schema)

    @settings(
        max_examples=max(EXAMPLES // 4, 10),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        query=queries(
            schema,
            fields=["collectivity", "collectivities", "node", "network", "milestones", "viewer"],
            custom_scalars=scalars(world),
            allow_x00=False,
            codec="ascii",
        ),
        reader=st.sampled_from(sorted(readers)),
    )
    def same_answer(query: str, reader: str) -> None:
        planned, resolved = loop.run_until_complete(paths.both(query, principal=readers[reader]))
        assert planned == resolved, query

    same_answer()
