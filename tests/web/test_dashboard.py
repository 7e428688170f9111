"""The public dashboard: right-to-left Arabic, French, the network, a collectivity and its plan."""

from __future__ import annotations

import re

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client
from tests.support.pages import plan_path
from tracker.db import Database
from tracker.models import PlanStatus


async def test_the_network_page_is_arabic_and_right_to_left_by_default(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/")
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.text
    assert "أيت ملول" in response.text
    assert 'href="/c/ait-melloul?lang=ar"' in response.text


async def test_the_plan_page_in_french_lists_commitments_and_overdue_milestones(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=fr")
    assert response.status_code == 200
    assert '<html lang="fr" dir="ltr">' in response.text
    assert "Plan d&#39;ouverture de la commune d&#39;Aït Melloul 2024-2025" in response.text
    assert response.text.count("<article") == 7
    assert "En retard" in response.text
    assert 'type="application/atom+xml"' in response.text


async def test_the_collectivity_page_links_its_deadline_calendar(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/c/ait-melloul?lang=ar")
    assert '<a href="/feeds/ait-melloul.ics?lang=ar" type="text/calendar">تقويم الآجال (iCalendar)</a>' in response.text
    assert (await client.http.get("/feeds/ait-melloul.ics?lang=ar")).status_code == 200


async def test_accept_language_chooses_the_page_language(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en" dir="ltr">' in response.text


async def test_an_unknown_collectivity_is_a_404_page(client: Client, db: Database) -> None:
    response = await client.http.get("/?collectivity=nowhere", follow_redirects=True)
    assert response.status_code == 404


async def test_draft_plans_are_not_shown(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    response = await client.http.get(f"/c/{place.slug}?lang=fr")
    assert response.status_code == 200
    assert "Aucun plan publié" in response.text
    assert "/plans/" not in response.text


async def test_titles_are_escaped(client: Client, db: Database) -> None:
    await place_with_body(db, slug="xss")
    await client.data(
        'mutation { updateCollectivity(input: {id: "%s", name: {fr: "<script>alert(1)</script>"}}) '
        "{ collectivity { slug } } }" % (await _collectivity_id(client, "xss")),
        admin=True,
    )
    response = await client.http.get("/?lang=fr")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


async def _collectivity_id(client: Client, slug: str) -> str:
    data = await client.data("query($slug: String!) { collectivity(slug: $slug) { id } }", {"slug": slug})
    return str(data["collectivity"]["id"])


async def test_a_nul_character_in_the_collectivity_is_a_404_page(client: Client, db: Database) -> None:
    response = await client.http.get("/?collectivity=%00")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


async def test_a_very_long_collectivity_is_a_404_page_that_does_not_echo_it(client: Client, db: Database) -> None:
    response = await client.http.get("/", params={"collectivity": "a" * 20_000})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "a" * 100 not in response.text


async def test_a_collectivity_with_markup_is_a_404_page(client: Client, db: Database) -> None:
    response = await client.http.get("/", params={"collectivity": '"><script>alert(1)</script>'})
    assert response.status_code == 404
    assert "<script>" not in response.text


async def test_on_a_tamazight_page_an_arabic_fallback_name_reads_right_to_left(client: Client, db: Database) -> None:
    await small_plan(db)  # named in French and Arabic only
    response = await client.http.get("/?lang=zgh")
    assert '<html lang="zgh" dir="ltr">' in response.text
    assert '<bdi lang="ar" dir="rtl">تيزنيت</bdi>' in response.text
    assert '<bdi lang="ar" dir="rtl">خطة</bdi>' in response.text


async def test_texts_in_the_pages_language_carry_no_attributes_of_their_own(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get("/?lang=zgh")
    assert "<bdi>ⴰⵢⵜ ⵎⵍⵍⵓⵍ</bdi>" in response.text


async def test_a_half_percent_shows_rounded_up_as_in_the_api(client: Client, db: Database) -> None:
    # One commitment of eight done: 12.5%, which Jinja's round (halves to even) would show as 12.
    await small_plan(db, commitments_count=8)
    listed = await client.data(
        '{ collectivity(slug: "tiznit") { currentPlan { commitments(first: 1) {'
        " nodes { milestones { nodes { id } } } } } } }"
    )
    milestone = listed["collectivity"]["currentPlan"]["commitments"]["nodes"][0]["milestones"]["nodes"][0]["id"]
    await client.data(
        'mutation ($id: ID!) { updateMilestone(input: {id: $id, status: COMPLETED, completedOn: "2024-06-01"}) '
        "{ milestone { id } } }",
        {"id": milestone},
        admin=True,
    )
    plan = await client.data('{ collectivity(slug: "tiznit") { currentPlan { progress } } }')
    assert plan["collectivity"]["currentPlan"]["progress"] == 12.5
    response = await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=fr")
    assert ">13\u00a0%</strong>" in response.text


async def test_every_progress_bar_is_named_for_screen_readers(client: Client, db: Database) -> None:
    await ait_melloul(db)
    for url in ("/?lang=fr", "/c/ait-melloul?lang=ar", f"{await plan_path(client, 'ait-melloul')}?lang=ar"):
        page = (await client.http.get(url)).text
        bars = re.findall(r'<div class="bar" role="progressbar"([^>]*)>', page)
        assert bars, url
        assert all(re.search(r'aria-label="[^"]+"', attributes) for attributes in bars), url


async def test_the_first_address_of_a_collectivity_moves_for_good_to_its_own(client: Client, db: Database) -> None:
    await ait_melloul(db)
    first = await client.http.get("/?collectivity=ait-melloul&lang=fr")
    assert first.status_code == 301
    assert first.headers["location"] == "/c/ait-melloul?lang=fr"
    current = await client.http.get("/c/ait-melloul?lang=fr")
    assert current.status_code == 200
    # The language links stay on that page.
    assert 'href="?lang=ar"' in current.text


async def test_an_unknown_collectivity_address_is_a_404_page(client: Client, db: Database) -> None:
    for path in ("/c/nowhere", "/c/" + "x" * 300, "/c/%D8%A3%D9%8A%D8%AA"):
        response = await client.http.get(path)
        assert response.status_code == 404
        assert "<html" in response.text
