"""How a document is measured: fragments inlined but visited once, lists multiplying what is below them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphql import get_introspection_query, parse
from tests.support.graphql import OPERATIONS
from tracker.api.core.analysis import DEFAULT_PAGE, LIST_ESTIMATE, SATURATED, Measures, ShapeCache, shape_of
from tracker.api.schema import build_schema
from tracker.settings import Settings

SCHEMA = build_schema(Settings())._schema


def measure(document: str, variables: dict[str, Any] | None = None, operation: str | None = None) -> Measures:
    measures = shape_of(SCHEMA, parse(document)).measure(operation, variables or {})
    assert measures is not None
    return measures


def fragment_chain(links: int, *, spreads_per_link: int = 2) -> str:
    """`fragment Fn on Query { ...Fn-1 ...Fn-1 }`: inlined, 2^links copies of F0."""
    spreads = " ".join(["...F{previous}"] * spreads_per_link)
    fragments = ["fragment F0 on Query { network { collectivityCount } }"]
    fragments += [f"fragment F{n} on Query {{ {spreads.format(previous=n - 1)} }}" for n in range(1, links + 1)]
    return f"query Chain {{ ...F{links} }}\n" + "\n".join(fragments)


def test_a_connection_multiplies_what_is_below_it_by_its_first_argument() -> None:
    query = "{ collectivities(first: 50) { edges { node { plans(first: 20) { edges { node { id } } } } } } }"
    # the page of collectivities, then per collectivity: itself, its page of plans and 20 plans
    assert measure(query).cost == 1 + 50 * (1 + 1 + 20)


def test_a_connection_without_first_or_last_counts_the_largest_page() -> None:
    assert measure("{ collectivities { nodes { id } } }").cost == 1 + DEFAULT_PAGE


def test_the_smaller_of_first_and_last_decides() -> None:
    assert measure("{ collectivities(first: 40, last: 5) { nodes { id } } }").cost == 1 + 5


def test_page_sizes_come_from_the_variables() -> None:
    query = "query($n: Int) { collectivities(first: $n) { nodes { id } } }"
    assert measure(query, {"n": 3}).cost == 1 + 3
    assert measure(query, {"n": None}).cost == 1 + DEFAULT_PAGE
    assert measure(query, {"n": "many"}).cost == 1 + DEFAULT_PAGE


def test_nodes_by_id_count_one_per_id() -> None:
    assert measure('{ nodes(ids: ["a", "b", "c"]) { id } }').cost == 3
    assert measure("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 7}).cost == 7


def test_a_plain_list_of_objects_counts_its_estimate() -> None:
    query = '{ collectivity(slug: "x") { consultativeBodies { slug } } }'
    assert measure(query).cost == 1 + LIST_ESTIMATE


def test_scalars_are_free() -> None:
    assert measure("{ network { collectivityCount planCount meanProgress } }").cost == 1


def test_a_fragment_counts_once_per_spread() -> None:
    query = """
    { a: collectivities(first: 2) { ...Page } b: collectivities(first: 3) { ...Page } }
    fragment Page on CollectivityConnection { nodes { id } }
    """
    measures = measure(query)
    assert measures.cost == (1 + 2) + (1 + 3)
    assert (measures.aliases, measures.spreads) == (2, 2)


def test_inline_fragments_are_measured_on_their_type() -> None:
    query = '{ node(id: "x") { ... on Commitment { milestones(first: 4) { nodes { id } } } } }'
    assert measure(query).cost == 1 + 1 + 4


def test_depth_counts_levels_of_objects_through_fragments() -> None:
    query = "{ ...Root } fragment Root on Query { collectivities { nodes { parent { slug } } } }"
    assert measure(query).depth == 3  # collectivities, nodes, parent


def test_aliases_in_a_fragment_count_for_every_spread() -> None:
    query = "{ ...A ...A ...A } fragment A on Query { x: network { collectivityCount } y: __typename }"
    assert measure(query).aliases == 6


def test_a_fragment_chain_is_measured_without_walking_its_spreads() -> None:
    # 2^200 copies once inlined: walking them would never end
    measures = measure(fragment_chain(200))
    assert measures.spreads == SATURATED
    assert measures.cost == SATURATED


def test_a_long_linear_chain_of_fragments_does_not_recurse() -> None:
    assert measure(fragment_chain(1500, spreads_per_link=1)).spreads == 1 + 1500  # the query's, then one a link


def test_fragments_spreading_each_other_are_left_to_validation() -> None:
    shape = shape_of(SCHEMA, parse("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"))
    assert shape.cycle
    assert shape.measure(None, {}) is not None


def test_an_unknown_or_ambiguous_operation_is_left_to_validation() -> None:
    shape = shape_of(SCHEMA, parse("query A { __typename } query B { __typename }"))
    assert shape.measure(None, {}) is None
    assert shape.measure("C", {}) is None
    assert shape.measure("B", {}) is not None


def test_a_document_is_measured_once_per_text() -> None:
    cache = ShapeCache()
    text = "{ network { planCount } }"
    assert cache.get(SCHEMA, text, parse(text)) is cache.get(SCHEMA, text, parse(text))


@pytest.mark.parametrize("path", sorted(OPERATIONS.glob("*.graphql")), ids=lambda path: Path(path).stem)
def test_every_published_operation_is_within_the_anonymous_limits(path: Path) -> None:
    settings = Settings()
    measures = measure(path.read_text(encoding="utf-8"))
    assert measures.cost <= settings.max_cost_anonymous
    assert measures.depth <= settings.max_query_depth


def test_graphiql_introspection_is_within_the_anonymous_limits() -> None:
    settings = Settings()
    measures = measure(get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert measures.cost <= settings.max_cost_anonymous
    assert measures.fields <= settings.max_fields


def test_fields_answering_under_one_name_are_counted_per_selection_set() -> None:
    query = "{ network { planCount } ...N ...N } fragment N on Query { network { planCount planCount } }"
    measures = measure(query)
    assert measures.same_name == 3  # network, in the operation and twice from the fragment


def test_aliases_decide_the_name_fields_answer_under() -> None:
    assert measure("{ a: network { planCount } b: network { planCount } }").same_name == 1
