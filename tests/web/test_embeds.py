"""The cards for iframes, `/embed/commitments/{id}` and `/embed/c/{slug}`: what they show, and
that they are the only pages another site may frame."""

from __future__ import annotations

import re
import uuid
from datetime import date

import httpx

from integrations import wording
from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client
from tests.support.pages import first_commitment_id
from tests.support.sql import count_statements
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import PlanStatus

COMPLETE = """
mutation($id: ID!) {
  updateMilestone(input: {id: $id, status: COMPLETED, completedOn: "2024-06-20"}) { milestone { id } }
}
"""


def _assert_framable_by_any_site(response: httpx.Response) -> None:
    assert _directives(response)["frame-ancestors"] == "*"
    assert "x-frame-options" not in response.headers


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {name: value.strip() for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))}


async def _demo_commitment(client: Client, db: Database) -> str:
    await ait_melloul(db)
    return await first_commitment_id(client, "ait-melloul")


async def _card(client: Client, path: str) -> str:
    response = await client.http.get(path)
    assert response.status_code == 200, response.text
    return response.text


async def test_both_cards_may_be_framed_by_any_site(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    for path in (f"/embed/commitments/{commitment_id}", "/embed/c/ait-melloul"):
        response = await client.http.get(path)
        assert response.status_code == 200
        _assert_framable_by_any_site(response)


async def test_a_card_that_finds_nothing_may_be_framed_too(client: Client, db: Database) -> None:
    for path in (f"/embed/commitments/{encode_id('Commitment', uuid.uuid4())}", "/embed/c/nowhere"):
        response = await client.http.get(path)
        assert response.status_code == 404
        _assert_framable_by_any_site(response)


async def test_the_pages_the_cards_link_to_still_refuse_framing(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    for path in (f"/commitments/{commitment_id}", "/c/ait-melloul", "/", "/c/nowhere"):
        response = await client.http.get(path)
        assert _directives(response)["frame-ancestors"] == "'none'", path
        assert response.headers["x-frame-options"] == "DENY", path


async def test_cards_run_no_script_and_take_style_only_from_the_tracker(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    for path in (f"/embed/commitments/{commitment_id}", "/embed/c/ait-melloul"):
        response = await client.http.get(path)
        directives = _directives(response)
        assert directives["default-src"] == "'none'"
        assert "script-src" not in directives
        assert directives["style-src"] == "'self'"
        assert "<script" not in response.text
        assert "<style" not in response.text
        assert "style=" not in response.text
        assert '<link rel="stylesheet" href="/static/embed.css">' in response.text


async def test_the_cards_stylesheet_is_served_by_the_tracker(client: Client, db: Database) -> None:
    response = await client.http.get("/static/embed.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


async def test_every_link_of_a_card_opens_outside_the_frame_without_an_opener(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    for path in (f"/embed/commitments/{commitment_id}", "/embed/c/ait-melloul"):
        links = re.findall(r"<a\b[^>]*>", await _card(client, path))
        assert links
        for link in links:
            assert 'target="_blank"' in link, link
            assert 'rel="noopener"' in link, link


async def test_the_commitment_card_names_its_commitment_plan_and_collectivity(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    card = await _card(client, f"/embed/commitments/{commitment_id}?lang=fr")
    assert '<html lang="fr" dir="ltr">' in card
    assert "AM-1" in card
    assert "Renforcement du droit d&#39;accès à l&#39;information" in card
    assert "Aït Melloul" in card or "Ait Melloul" in card
    assert f'href="/commitments/{commitment_id}?lang=fr"' in card


async def test_the_commitment_card_reads_right_to_left_in_arabic(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    card = await _card(client, f"/embed/commitments/{commitment_id}?lang=ar")
    assert '<html lang="ar" dir="rtl">' in card


async def test_the_card_speaks_the_accept_language_without_a_lang_parameter(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    response = await client.http.get(f"/embed/commitments/{commitment_id}", headers={"Accept-Language": "fr-MA"})
    assert '<html lang="fr" dir="ltr">' in response.text


async def test_the_commitment_card_shows_its_progress_as_a_whole_percent_by_the_progress_rule(
    client: Client, db: Database
) -> None:
    commitment_id = await _demo_commitment(client, db)
    data = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Commitment { progress } } }", {"id": commitment_id}
    )
    progress = data["node"]["progress"]
    whole = int(progress + 0.5)  # halves up, whatever Python's round does with them
    card = await _card(client, f"/embed/commitments/{commitment_id}?lang=fr")
    assert f'<progress id="progress" max="100" value="{whole}">' in card
    assert f"Avancement\u00a0: {whole}\u00a0%" in card


async def test_the_commitment_card_counts_its_overdue_milestones(client: Client, db: Database) -> None:
    place = await place_with_body(db)  # one milestone, due on 30 June 2024
    card = await _card(client, f"/embed/commitments/{place.commitment_id}?lang=fr")
    assert "1 jalon en retard" in card
    assert "Prochain jalon" not in card


async def test_the_commitment_card_names_its_next_due_milestone(client: Client, db: Database) -> None:
    _, made = await small_plan(db, due_on=date(2099, 3, 31), period=(date(2024, 1, 1), date(2099, 12, 31)))
    card = await _card(client, f"/embed/commitments/{encode_id('Commitment', made[0].id)}?lang=fr")
    assert re.search(r"Prochain jalon\u00a0: <bdi>Étape</bdi>, prévu le <bdi class=\"date\">31 mars 2099</bdi>", card)
    assert "en retard" not in card


async def test_the_commitment_card_says_all_milestones_are_done_beside_100_percent(
    client: Client, db: Database
) -> None:
    place = await place_with_body(db)
    await client.data(COMPLETE, {"id": place.milestone_id}, admin=True)
    card = await _card(client, f"/embed/commitments/{place.commitment_id}?lang=fr")
    assert "Tous les jalons sont réalisés, en attente de confirmation" in card
    assert 'value="100"' in card
    assert "Aucun jalon à venir" in card


async def test_a_draft_plan_s_commitment_card_is_not_found_like_its_page(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    card = await client.http.get(f"/embed/commitments/{place.commitment_id}?lang=fr")
    page = await client.http.get(f"/commitments/{place.commitment_id}?lang=fr")
    assert card.status_code == page.status_code == 404
    assert "Engagement inconnu" in card.text
    assert "Engagement 0" not in card.text


async def test_garbage_commitment_ids_give_a_card_that_is_not_found(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    for garbage in ("x", "%FF%FE", "A" * 500, place.milestone_id):
        response = await client.http.get(f"/embed/commitments/{garbage}?lang=fr")
        assert response.status_code == 404, garbage
        assert "Engagement inconnu" in response.text


async def test_the_collectivity_card_shows_its_current_plan_and_commitments_by_status(
    client: Client, db: Database
) -> None:
    await ait_melloul(db)
    data = await client.data(
        'query { collectivity(slug: "ait-melloul") { overdueMilestoneCount currentPlan { title(lang: "fr") '
        "progress commitments(first: 100) { totalCount nodes { status } } } } }"
    )
    place = data["collectivity"]
    plan = place["currentPlan"]
    card = await _card(client, "/embed/c/ait-melloul?lang=fr")
    assert plan["title"].replace("'", "&#39;") in card
    assert f'value="{int(plan["progress"] + 0.5)}"' in card
    counts = dict(re.findall(r"<div[^>]*><dt[^>]*>([^<]+)</dt><dd>([^<]+)</dd></div>", card))
    assert counts["Engagements"] == str(plan["commitments"]["totalCount"])
    assert counts["Jalons en retard"] == str(place["overdueMilestoneCount"])
    statuses = [node["status"] for node in plan["commitments"]["nodes"]]
    assert statuses
    for status in ("NOT_STARTED", "IN_PROGRESS", "DELAYED", "COMPLETED", "CANCELLED"):
        word = wording.for_language("fr").status(status)
        if statuses.count(status):
            assert counts[word] == str(statuses.count(status)), status
        else:
            assert word not in counts, status
    assert 'href="/c/ait-melloul?lang=fr"' in card


async def test_a_collectivity_without_a_published_plan_says_so_on_its_card(client: Client, db: Database) -> None:
    await small_plan(db, slug="tiznit", status=PlanStatus.DRAFT)
    card = await _card(client, "/embed/c/tiznit?lang=fr")
    assert "Aucun plan publié" in card
    assert "<progress" not in card


async def test_an_unknown_or_malformed_slug_gives_a_card_that_is_not_found(client: Client, db: Database) -> None:
    for slug in ("nowhere", "%FF", "a" * 200):
        response = await client.http.get(f"/embed/c/{slug}?lang=ar")
        assert response.status_code == 404, slug
        assert '<html lang="ar" dir="rtl">' in response.text


async def test_the_commitment_and_collectivity_pages_link_their_oembed_answer(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    base = client.app.state.settings.base_url
    for path in (f"/commitments/{commitment_id}", "/c/ait-melloul"):
        page = await _card(client, f"{path}?lang=fr")
        link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', page)
        assert link is not None, path
        answer = await client.http.get(link.group(1).replace("&amp;", "&"))
        assert answer.status_code == 200
        assert f"{base}/embed{path}" in answer.json()["html"]


async def test_the_collectivity_card_reads_as_many_statements_whatever_its_plan_s_length(
    client: Client, db: Database
) -> None:
    await small_plan(db, slug="tata", commitments_count=1)
    await small_plan(db, slug="tiznit", commitments_count=8)
    with count_statements(db) as few:
        assert (await client.http.get("/embed/c/tata")).status_code == 200
    with count_statements(db) as many:
        card = await _card(client, "/embed/c/tiznit?lang=fr")
    assert re.search(r"<dt>Engagements</dt><dd>8</dd>", card)
    assert many.count == few.count
