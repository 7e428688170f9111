"""Lists the collectivity, plan and commitment pages show in part page as the network page does:
where the page is ("101-105 of 105"), links to the pages beside (`rel="prev"`, `rel="next"`)
that keep the language; a page past the end is a 404 linking the first; a page number that is
not one is a 400 naming its parameter. On both databases."""

from __future__ import annotations

import re

import pytest

from tests.support.builders import small_plan
from tests.support.graphql import Client
from tracker import models
from tracker.access import SYSTEM, Principal
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.services import collectivities, comments, commitments
from tracker.web.pages.collectivity import CHILDREN
from tracker.web.pages.commitment import COMMENTS, HISTORY
from tracker.web.pages.plan import EVENTS_PAGE

DASH = "\u2013"
CHILD = re.compile(r'<li><a href="/c/(commune-\d+)\?lang=fr">')
HISTORY_COUNT = """
query($id: ID!) { node(id: $id) { ... on Commitment { history(first: 1) { totalCount } } } }
"""


async def _province(db: Database, communes: int) -> None:
    async with db.transaction() as session:
        province = await collectivities.create_collectivity(
            session,
            actor=SYSTEM,
            slug="chtouka",
            kind=models.CollectivityKind.PREFECTURE_PROVINCE,
            name={"fr": "Chtouka"},
        )
        for number in range(communes):
            await collectivities.create_collectivity(
                session,
                actor=SYSTEM,
                slug=f"commune-{number:03d}",
                kind=models.CollectivityKind.COMMUNE,
                name={"fr": f"Commune {number:03d}"},
                parent_id=province.id,
            )


async def _commented(db: Database, threads: int) -> str:
    """A commitment with `threads` comments, numbered in the order they were posted."""
    plan, made = await small_plan(db)
    editor = Principal(role=models.Role.EDITOR, name="editor", collectivity_id=plan.collectivity_id)
    async with db.transaction() as session:
        for number in range(threads):
            await comments.post_comment(session, actor=editor, commitment_id=made[0].id, text=f"Remarque n° {number}")
    return encode_id("Commitment", made[0].id)


async def _changed(db: Database, times: int) -> str:
    """A commitment whose title changed `times` times (one public history entry each)."""
    _, made = await small_plan(db)
    for number in range(times):
        async with db.transaction() as session:
            await commitments.update_commitment(session, actor=SYSTEM, id=made[0].id, title={"fr": f"Titre {number}"})
    return encode_id("Commitment", made[0].id)


async def _get(client: Client, address: str, status: int = 200) -> str:
    response = await client.http.get(address)
    assert response.status_code == status, response.text[:500]
    return response.text


async def test_a_province_s_communes_are_paged_a_hundred_at_a_time_saying_where_the_page_is(
    client: Client, db: Database
) -> None:
    await _province(db, CHILDREN + 5)
    first = await _get(client, "/c/chtouka?lang=fr")
    assert f"<p>1{DASH}100 sur 105</p>" in first
    assert '<a rel="next" href="?lang=fr&amp;page=2#children">Page suivante</a>' in first
    assert 'rel="prev"' not in first
    last = await _get(client, "/c/chtouka?lang=fr&page=2")
    assert f"<p>101{DASH}105 sur 105</p>" in last
    assert '<a rel="prev" href="?lang=fr#children">Page précédente</a>' in last
    assert 'rel="next"' not in last
    listed = CHILD.findall(first) + CHILD.findall(last)
    assert listed == [f"commune-{number:03d}" for number in range(CHILDREN + 5)]


async def test_a_list_that_fits_on_one_page_has_no_paging(client: Client, db: Database) -> None:
    await _province(db, 3)
    page = await _get(client, "/c/chtouka?lang=fr")
    assert len(CHILD.findall(page)) == 3
    assert 'class="paging"' not in page


async def test_comment_threads_are_paged_oldest_first_with_numbers_in_the_reader_s_language(
    client: Client, db: Database
) -> None:
    commitment = await _commented(db, COMMENTS + 1)
    first = await _get(client, f"/commitments/{commitment}?lang=ar")
    assert f"<p>1{DASH}30 من 31</p>" in first
    assert '<a rel="next" href="?lang=ar&amp;comments=2#comments">' in first
    assert "Remarque n° 0" in first and f"Remarque n° {COMMENTS}" not in first
    second = await _get(client, f"/commitments/{commitment}?lang=ar&comments=2")
    assert f"<p>31{DASH}31 من 31</p>" in second
    assert f"Remarque n° {COMMENTS}" in second and "Remarque n° 0<" not in second


async def test_the_history_is_paged_and_its_links_keep_the_comments_page(client: Client, db: Database) -> None:
    commitment = await _changed(db, HISTORY + 1)
    counts = await client.data(HISTORY_COUNT, {"id": commitment})
    total = counts["node"]["history"]["totalCount"]
    assert HISTORY < total <= 2 * HISTORY
    first = await _get(client, f"/commitments/{commitment}?lang=fr&comments=1")
    assert f"<p>1{DASH}{HISTORY} sur {total}</p>" in first
    assert '<a rel="next" href="?lang=fr&amp;comments=1&amp;history=2#history">Page suivante</a>' in first
    second = await _get(client, f"/commitments/{commitment}?lang=fr&history=2")
    assert f"<p>{HISTORY + 1}{DASH}{total} sur {total}</p>" in second
    assert '<a rel="prev" href="?lang=fr#history">Page précédente</a>' in second


async def test_a_plan_s_recent_events_are_paged(client: Client, db: Database) -> None:
    commitment = await _changed(db, EVENTS_PAGE)
    plan = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Commitment { plan { id } } } }", {"id": commitment}
    )
    plan_id = plan["node"]["plan"]["id"]
    of_plan = "query($plan: ID!) { events(filter: {planId: $plan}, first: 1) { totalCount } }"
    total = (await client.data(of_plan, {"plan": plan_id}))["events"]["totalCount"]
    assert EVENTS_PAGE < total <= 2 * EVENTS_PAGE
    address = f"/c/tiznit/plans/{plan_id}?lang=fr"
    first = await _get(client, address)
    assert f"<p>1{DASH}{EVENTS_PAGE} sur {total}</p>" in first
    assert '<a rel="next" href="?lang=fr&amp;events=2#events">Page suivante</a>' in first
    second = await _get(client, f"{address}&events=2")
    assert f"<p>{EVENTS_PAGE + 1}{DASH}{total} sur {total}</p>" in second


@pytest.mark.parametrize("parameter", ["comments", "history"])
async def test_a_commitment_page_past_the_end_of_a_list_is_a_404_linking_the_first(
    client: Client, db: Database, parameter: str
) -> None:
    commitment = await _commented(db, 2)
    page = await _get(client, f"/commitments/{commitment}?lang=fr&{parameter}=4", status=404)
    assert "Cette page est au-delà de la fin de la liste." in page
    assert f'<a href="?lang=fr#{parameter}">Première page</a>' in page


async def test_a_collectivity_page_past_the_end_of_its_communes_is_a_404(client: Client, db: Database) -> None:
    await _province(db, 3)
    page = await _get(client, "/c/chtouka?lang=fr&page=2", status=404)
    assert "Cette page est au-delà de la fin de la liste." in page
    assert '<a href="?lang=fr#children">Première page</a>' in page


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.5", "1e3", "", "10000001"])
@pytest.mark.parametrize("parameter", ["comments", "history"])
async def test_a_commitment_page_number_that_is_not_one_is_a_400_naming_it(
    client: Client, db: Database, parameter: str, value: str
) -> None:
    commitment = await _commented(db, 1)
    page = await _get(client, f"/commitments/{commitment}?lang=fr&{parameter}={value}", status=400)
    assert f"Le paramètre {parameter} doit être un numéro de page de 1 à" in page


async def test_collectivity_and_plan_page_numbers_that_are_not_ones_are_400s(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db)
    collectivity = await _get(client, "/c/tiznit?lang=fr&page=two", status=400)
    assert "Le paramètre page doit être un numéro de page" in collectivity
    plan_page = await _get(client, f"/c/tiznit/plans/{encode_id('ActionPlan', plan.id)}?lang=ar&events=x", status=400)
    assert "يجب أن يكون المعامل events رقم صفحة" in plan_page
