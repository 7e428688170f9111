"""The network page `/`: every collectivity, grouped by region and province in natural order,
searched, filtered and sorted through the address, fifty a page, on both databases."""

from __future__ import annotations

import re

from tests.support.graphql import Client
from tests.support.network_world import IN_PLACE_ORDER, small_network
from tests.support.sql import count_statements
from tracker.db import Database
from tracker.demo.network import generate

ROW = re.compile(r'<li>\s*<span><a href="/c/([a-z0-9-]+)\?lang=')
# Between the first and the last number of a page (an en dash).
DASH = "\u2013"
HEADING = re.compile(r"<(h[34])><bdi[^>]*>([^<]+)</bdi></h[34]>")


async def _page(client: Client, query: str) -> str:
    response = await client.http.get(f"/?{query}")
    assert response.status_code == 200
    return response.text


def _rows(html: str) -> list[str]:
    return ROW.findall(html)


async def _network(db: Database, n: int) -> None:
    async with db.transaction() as session:
        await generate(session, n=n, seed=3, measurements=1)


async def test_the_collectivities_are_grouped_by_region_then_province(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr")
    assert HEADING.findall(html) == [("h3", "Oriental"), ("h4", "Berkane"), ("h3", "Souss"), ("h4", "Agadir")]
    assert _rows(html) == IN_PLACE_ORDER


async def test_names_are_in_natural_order_in_arabic_too(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=ar")
    assert '<html lang="ar" dir="rtl">' in html
    assert _rows(html)[-4:] == ["commune-1", "commune-2", "commune-3", "commune-10"]
    # Regions by their Arabic names: الشرق (Oriental) before سوس (Souss).
    assert [name for level, name in HEADING.findall(html) if level == "h3"] == ["الشرق", "سوس"]


async def test_each_row_has_its_link_kind_plan_progress_and_overdue_count(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&q=commune+10")
    assert _rows(html) == ["commune-10"]
    assert '<a href="/c/commune-10?lang=fr"><bdi>Commune 10</bdi></a>' in html
    assert '<span class="kind">Commune</span>' in html
    assert "<bdi>Plan d&#39;action</bdi>" in html
    assert 'role="progressbar" aria-label="Avancement\u00a0: Commune 10"' in html
    assert "2 jalons en retard" in html


async def test_the_search_is_a_labelled_get_form_kept_in_the_address(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&q=Commune+1")
    assert '<form class="choices" method="get" action="/" role="search"' in html
    assert '<label for="choice-q">Rechercher par nom</label>' in html
    assert '<input id="choice-q" type="search" name="q" value="Commune 1"' in html
    assert _rows(html) == ["commune-1", "commune-10"]
    # The language links keep the search.
    assert 'href="?q=Commune+1&amp;lang=ar"' in html


async def test_the_kind_filter_lists_that_kind_only(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&kind=PREFECTURE_PROVINCE")
    assert _rows(html) == ["berkane", "agadir"]
    assert '<option value="PREFECTURE_PROVINCE" selected>' in html


async def test_the_region_filter_lists_the_region_and_everything_in_it(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&region=souss")
    assert _rows(html) == ["souss", "agadir", "commune-1", "commune-2", "commune-3", "commune-10"]
    assert '<option value="souss" selected>Souss</option>' in html


async def test_the_plan_filter_keeps_places_with_or_without_a_published_plan(client: Client, db: Database) -> None:
    await small_network(db)
    assert _rows(await _page(client, "lang=fr&plan=yes")) == ["souss", "agadir", "commune-2", "commune-10"]
    # Commune 3 has a draft only: nothing published.
    assert _rows(await _page(client, "lang=fr&plan=no")) == ["oriental", "berkane", "commune-1", "commune-3"]


async def test_the_overdue_filter_keeps_places_with_overdue_milestones(client: Client, db: Database) -> None:
    await small_network(db)
    assert _rows(await _page(client, "lang=fr&overdue=yes")) == ["commune-2", "commune-10"]


async def test_sorting_by_overdue_count_or_progress_lists_without_headings(client: Client, db: Database) -> None:
    await small_network(db)
    by_overdue = await _page(client, "lang=fr&sort=overdue&kind=COMMUNE")
    assert _rows(by_overdue) == ["commune-10", "commune-2", "commune-1", "commune-3"]
    assert HEADING.findall(by_overdue) == []
    by_progress = await _page(client, "lang=fr&sort=progress&plan=yes")
    assert _rows(by_progress) == ["agadir", "commune-2", "commune-10", "souss"]


async def test_nothing_found_says_so(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&q=nulle+part")
    assert _rows(html) == []
    assert "Aucune collectivité ne répond à ces choix." in html


async def test_unknown_choices_are_left_out_rather_than_refused(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&page=abc&kind=NOPE&sort=size&plan=maybe&region=NOT+A+SLUG")
    assert len(_rows(html)) == 8


async def test_128_collectivities_are_paged_fifty_at_a_time_saying_where_the_page_is(
    client: Client, db: Database
) -> None:
    await _network(db, 128)
    first = await _page(client, "lang=fr")
    assert f"<p>1{DASH}50 sur 128</p>" in first
    assert '<link rel="next" href="?page=2&amp;lang=fr">' in first
    assert '<a rel="next" href="?page=2&amp;lang=fr#collectivities">Page suivante</a>' in first
    assert 'rel="prev"' not in first
    last = await _page(client, "lang=fr&page=3")
    assert f"<p>101{DASH}128 sur 128</p>" in last
    assert '<link rel="prev" href="?page=2&amp;lang=fr">' in last
    assert '<a rel="prev" href="?page=2&amp;lang=fr#collectivities">Page précédente</a>' in last
    assert 'rel="next"' not in last
    middle = await _page(client, "lang=fr&page=2")
    listed = _rows(first) + _rows(middle) + _rows(last)
    assert len(listed) == len(set(listed)) == 128


async def test_the_paging_keeps_the_choices_and_numbers_are_localized(client: Client, db: Database) -> None:
    await _network(db, 128)
    html = await _page(client, "lang=ar&kind=COMMUNE&sort=progress&page=2")
    # 109 communes: the second page is 51 to 100.
    assert f"51{DASH}100 من 109" in html
    assert 'href="?kind=COMMUNE&amp;sort=progress&amp;lang=ar"' in html  # previous: page 1, the default
    assert 'href="?kind=COMMUNE&amp;sort=progress&amp;page=3&amp;lang=ar"' in html


async def test_a_page_past_the_end_says_so_and_links_the_first(client: Client, db: Database) -> None:
    await small_network(db)
    html = await _page(client, "lang=fr&page=9")
    assert "Cette page est au-delà de la fin de la liste." in html
    assert '<a href="?lang=fr#collectivities">Première page</a>' in html


async def test_a_page_of_fifty_rows_reads_a_bounded_number_of_statements(client: Client, db: Database) -> None:
    await _network(db, 128)
    with count_statements(db) as one_row:
        assert len(_rows(await _page(client, "lang=fr&q=demo-commune-17"))) == 1
    with count_statements(db) as fifty_rows:
        assert len(_rows(await _page(client, "lang=fr&page=2"))) == 50
    # Each row's parent, grandparent, plan and overdue count come in batches, not one per row.
    assert fifty_rows.count == one_row.count
