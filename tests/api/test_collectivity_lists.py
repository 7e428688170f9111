"""`collectivities` filtered and ordered as the network page lists them, on both databases (the
planner answers on PostgreSQL, the resolvers on SQLite)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from tests.support.graphql import Client
from tests.support.network_world import IN_PLACE_ORDER, small_network
from tracker import models
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.services import collectivities

K = models.CollectivityKind

LIST = """query ($filter: CollectivityFilter, $order: CollectivityOrder, $lang: String) {
  collectivities(filter: $filter, orderBy: $order, lang: $lang, first: 100) {
    totalCount nodes { slug overdueMilestoneCount }
  }
}"""


async def _slugs(client: Client, **variables: Any) -> list[str]:
    data = await client.data(LIST, variables)
    return [node["slug"] for node in data["collectivities"]["nodes"]]


async def test_names_are_in_natural_order_in_french(client: Client, db: Database) -> None:
    await small_network(db)
    slugs = await _slugs(client, filter={"kind": ["COMMUNE"]}, order="NAME", lang="fr")
    assert slugs == ["commune-1", "commune-2", "commune-3", "commune-10"]


async def test_names_are_in_natural_order_in_arabic_with_arabic_indic_digits(client: Client, db: Database) -> None:
    await small_network(db)
    slugs = await _slugs(client, filter={"kind": ["COMMUNE"]}, order="NAME", lang="ar")
    assert slugs == ["commune-1", "commune-2", "commune-3", "commune-10"]


async def test_the_order_by_name_follows_the_reader_s_language(client: Client, db: Database) -> None:
    await small_network(db)
    # Agadir, Berkane, Oriental, Souss in French; in Arabic أكادير, الشرق, بركان, سوس.
    regions_and_provinces = {"filter": {"kind": ["REGION", "PREFECTURE_PROVINCE"]}, "order": "NAME"}
    assert await _slugs(client, **regions_and_provinces, lang="fr") == ["agadir", "berkane", "oriental", "souss"]
    assert await _slugs(client, **regions_and_provinces, lang="ar") == ["agadir", "oriental", "berkane", "souss"]


async def test_the_order_by_place_puts_each_region_before_its_provinces_and_their_communes(
    client: Client, db: Database
) -> None:
    await small_network(db)
    assert await _slugs(client, order="PLACE", lang="fr") == IN_PLACE_ORDER


async def test_within_a_region_lists_the_region_and_everything_below_it(client: Client, db: Database) -> None:
    await small_network(db)
    slugs = await _slugs(client, filter={"withinSlug": "oriental"}, order="PLACE")
    assert slugs == ["oriental", "berkane"]
    assert await _slugs(client, filter={"withinSlug": "nowhere"}) == []


async def test_has_plan_counts_only_plans_the_reader_may_read(client: Client, db: Database) -> None:
    await small_network(db)
    # commune-3's only plan is a draft: an anonymous reader sees no plan there.
    assert await _slugs(client, filter={"hasPlan": True}) == ["agadir", "commune-10", "commune-2", "souss"]
    assert await _slugs(client, filter={"hasPlan": False}) == ["berkane", "commune-1", "commune-3", "oriental"]


async def test_overdue_milestones_are_counted_per_collectivity_and_filtered(client: Client, db: Database) -> None:
    await small_network(db)
    data = await client.data(LIST, {"filter": {"hasOverdueMilestones": True}})
    counted = {node["slug"]: node["overdueMilestoneCount"] for node in data["collectivities"]["nodes"]}
    assert counted == {"commune-10": 2, "commune-2": 1}
    none = await client.data(LIST, {"filter": {"hasOverdueMilestones": False}})
    assert none["collectivities"]["totalCount"] == 6
    assert {node["overdueMilestoneCount"] for node in none["collectivities"]["nodes"]} == {0}


async def test_the_order_by_overdue_count_puts_the_most_late_first_then_names(client: Client, db: Database) -> None:
    await small_network(db)
    slugs = await _slugs(client, filter={"kind": ["COMMUNE"]}, order="OVERDUE_DESC", lang="fr")
    assert slugs == ["commune-10", "commune-2", "commune-1", "commune-3"]


async def test_the_order_by_progress_puts_the_highest_first_and_places_without_a_plan_last(
    client: Client, db: Database
) -> None:
    await small_network(db)
    # Agadir 100%, Commune 2 33.3%, then 0%: Commune 10 and Souss by name; no readable plan last.
    slugs = await _slugs(client, order="PROGRESS_DESC", lang="fr")
    assert slugs == ["agadir", "commune-2", "commune-10", "souss", "berkane", "commune-1", "commune-3", "oriental"]


async def test_filters_and_orders_combine_with_paging(client: Client, db: Database) -> None:
    await small_network(db)
    query = """{ collectivities(filter: { withinSlug: "souss", kind: [COMMUNE] }, orderBy: NAME, lang: "fr",
        first: 2, after: "b2Zmc2V0OjA") { totalCount nodes { slug } pageInfo { hasNextPage hasPreviousPage } } }"""
    data = await client.data(query)
    assert data["collectivities"] == {
        "totalCount": 4,
        "nodes": [{"slug": "commune-2"}, {"slug": "commune-3"}],
        "pageInfo": {"hasNextPage": True, "hasPreviousPage": True},
    }


async def test_a_search_ignores_case_and_accents_beyond_ascii(client: Client, db: Database) -> None:
    await small_network(db)
    async with db.transaction() as session:
        await collectivities.create_collectivity(
            session, actor=SYSTEM, slug="ait-melloul", kind=K.COMMUNE, name={"fr": "Aït Melloul", "ar": "آيت ملول"}
        )
    assert await _slugs(client, filter={"search": "AÏT"}) == ["ait-melloul"]
    assert await _slugs(client, filter={"search": "ait  melloul"}) == ["ait-melloul"]


async def test_a_search_finds_an_arabic_name_without_its_hamza_or_diacritics(client: Client, db: Database) -> None:
    await small_network(db)
    # أكادير is written with an alef with hamza; a reader types it with a bare alef.
    assert await _slugs(client, filter={"search": "اكادير"}) == ["agadir"]
    assert await _slugs(client, filter={"search": "أَكادير"}) == ["agadir"]


async def test_a_search_finds_arabic_indic_digits_from_ascii_ones(client: Client, db: Database) -> None:
    await small_network(db)
    assert await _slugs(client, filter={"search": "جماعة 10"}, order="NAME", lang="ar") == ["commune-10"]


async def test_a_search_looks_into_names_not_their_language_keys(client: Client, db: Database) -> None:
    await small_network(db)
    assert await _slugs(client, filter={"search": "fr"}) == []
    assert await _slugs(client, filter={"search": '"ar"'}) == []


async def test_percent_and_underscore_in_a_search_are_letters(client: Client, db: Database) -> None:
    await small_network(db)
    assert await _slugs(client, filter={"search": "%"}) == []
    assert await _slugs(client, filter={"search": "commune_1"}) == []
    assert await _slugs(client, filter={"search": "commune-1"}, order="NAME") == ["commune-1", "commune-10"]


async def test_a_blank_search_filters_nothing(client: Client, db: Database) -> None:
    await small_network(db)
    assert len(await _slugs(client, filter={"search": "   "})) == len(IN_PLACE_ORDER)


async def test_a_renamed_collectivity_is_found_by_its_new_name(client: Client, db: Database) -> None:
    await small_network(db)
    async with db.transaction() as session:
        row = (await session.exec(select(models.Collectivity).where(models.Collectivity.slug == "berkane"))).one()
        await collectivities.update_collectivity(session, actor=SYSTEM, id=row.id, name={"fr": "Nador"})
    assert await _slugs(client, filter={"search": "nador"}) == ["berkane"]
    assert await _slugs(client, filter={"search": "berkane"}) == ["berkane"]  # by its slug
