"""A commitment's permalink, `/commitments/{id}`: everything an anonymous reader may see of it."""

from __future__ import annotations

import base64
import re
import uuid

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul
from tests.support.graphql import Client
from tests.support.sql import count_statements
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import PlanStatus

FIRST_COMMITMENT = """
query { collectivity(slug: "ait-melloul") { currentPlan { commitments(first: 1) { nodes { id } } } } }
"""


async def _demo_commitment(client: Client, db: Database) -> str:
    await ait_melloul(db)
    data = await client.data(FIRST_COMMITMENT)
    return str(data["collectivity"]["currentPlan"]["commitments"]["nodes"][0]["id"])


async def _page(client: Client, commitment_id: str, lang: str = "fr") -> str:
    response = await client.http.get(f"/commitments/{commitment_id}?lang={lang}")
    assert response.status_code == 200, response.text
    return response.text


def _first_number(pattern: str, page: str) -> float:
    match = re.search(pattern, page)
    assert match is not None, pattern
    return float(match.group(1))


async def test_the_demo_commitment_shows_every_section(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    assert '<html lang="fr" dir="ltr">' in page
    for heading in (
        "À propos de cet engagement",
        "Jalons",
        "Indicateurs",
        "Preuves",
        "Commentaires",
        "Évaluations indépendantes",
        "Historique des modifications",
    ):
        assert f">{heading}</h3>" in page, heading
    assert "AM-1" in page
    assert "Renforcement du droit d&#39;accès à l&#39;information" in page
    assert 'href="/c/ait-melloul?lang=fr"' in page
    assert "Bureau de la communication" in page  # lead unit
    assert "Tafra" in page  # partner
    assert "Accès à l&#39;information" in page  # OGP value


async def test_the_progress_bar_has_an_accessible_name(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    assert 'role="progressbar" aria-label="Avancement\u00a0: AM-1"' in page


async def test_a_commitment_whose_milestones_are_all_completed_says_it_awaits_confirmation(
    client: Client, db: Database
) -> None:
    place = await place_with_body(db)
    await client.data(
        'mutation($id: ID!) { updateMilestone(input: {id: $id, status: COMPLETED, completedOn: "2024-06-20"}) '
        "{ milestone { id } } }",
        {"id": place.milestone_id},
        admin=True,
    )
    page = await _page(client, place.commitment_id)
    assert "Tous les jalons sont réalisés, en attente de confirmation" in page
    assert 'aria-valuenow="100"' in page


async def test_milestones_are_drawn_on_a_timeline_and_listed_as_text(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    assert '<svg class="timeline"' in page
    assert 'aria-hidden="true"' in page
    assert '<line class="now"' in page
    assert page.count('<circle class="done mark"') == 4  # where the four completed milestones were completed
    assert page.count('<rect class="late"') == 1  # the demo's open milestone was due in September 2025
    assert "31 mars 2024" in page  # the first due date, in words
    assert "réalisé le 21 mars 2024" in page


async def test_time_runs_right_to_left_on_an_arabic_page(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    for lang, later_is_right in (("fr", True), ("ar", False)):
        page = await _page(client, commitment_id, lang)
        today = _first_number(r'<line class="now" x1="([0-9.]+)"', page)
        first_due = _first_number(r'<circle class="done" cx="([0-9.]+)"', page)
        assert (today > first_due) is later_is_right, lang


async def test_each_indicator_has_a_chart_and_its_direction_spelled_out(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    assert page.count('<svg class="chart"') == 2
    assert "Cible\u00a0: au plus 10 jours (plus bas, c\u2019est mieux)" in page
    assert "Cible\u00a0: au moins 120 documents (plus haut, c\u2019est mieux)" in page
    assert "Valeur de départ\u00a0: 18 jours" in page
    assert "Juillet à novembre 2025" in page  # a measurement's note


async def test_evidence_shows_its_provenance(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    assert 'href="https://tafra.ma/"' in page
    assert "Source\u00a0: tafra.ma" in page
    assert "publiée le 12 novembre 2024" in page
    assert "recueillie le" in page
    assert "Import depuis le fichier du plan" in page  # neither typed in nor pulled by a source


async def test_the_published_assessment_shows_ogp_scales(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    assert '<li aria-current="true">Substantiel</li>' in page
    assert '<li aria-current="true">Modéré</li>' in page
    assert '<li aria-current="true">Marginal</li>' in page
    assert "La publication proactive a nettement progressé" in page


async def test_comments_are_threaded(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    question = page.index("<strong>ventilées par sexe</strong>")
    replies = page.index('<ol aria-label="Réponses">')
    answer = page.index("Le prochain rapport annuel présentera cette ventilation.")
    assert question < replies < answer


async def test_the_history_lists_public_changes(client: Client, db: Database) -> None:
    page = await _page(client, await _demo_commitment(client, db))
    history = page[page.index('id="history"') :]
    assert "L&#39;engagement «\u00a0Renforcement du droit d&#39;accès" in history
    assert "a été ajouté." in history


async def test_a_comment_posted_through_the_api_appears_on_the_page(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    await client.data(
        'mutation($id: ID!) { postComment(input: {subjectId: $id, body: "Où en est **le registre** ?"}) '
        "{ comment { id } } }",
        {"id": place.commitment_id},
        headers=client.bearer(place.monitor),
    )
    page = await _page(client, place.commitment_id)
    assert "Où en est <strong>le registre</strong> ?" in page
    assert "Instance de l&#39;égalité" in page


async def test_a_hidden_comment_does_not_show_its_text(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    posted = await client.data(
        'mutation($id: ID!) { postComment(input: {subjectId: $id, body: "Texte injurieux"}) { comment { id } } }',
        {"id": place.commitment_id},
        headers=client.bearer(place.monitor),
    )
    await client.data(
        'mutation($id: ID!) { hideComment(input: {id: $id, reason: "Propos injurieux"}) { comment { id } } }',
        {"id": posted["postComment"]["comment"]["id"]},
        admin=True,
    )
    page = await _page(client, place.commitment_id)
    assert "Texte injurieux" not in page
    assert "Masqué par la modération\u00a0: Propos injurieux" in page


async def test_a_draft_plan_s_commitment_is_not_found(client: Client, db: Database) -> None:
    place = await place_with_body(db, status=PlanStatus.DRAFT)
    response = await client.http.get(f"/commitments/{place.commitment_id}?lang=fr")
    assert response.status_code == 404
    assert "Engagement inconnu" in response.text
    assert "Engagement 0" not in response.text


async def test_an_unknown_commitment_is_not_found_in_the_reader_s_language(client: Client, db: Database) -> None:
    response = await client.http.get(f"/commitments/{encode_id('Commitment', uuid.uuid4())}?lang=ar")
    assert response.status_code == 404
    assert '<html lang="ar" dir="rtl">' in response.text


async def test_garbage_and_other_types_ids_are_not_found(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    collectivity = base64.urlsafe_b64encode(b"Collectivity:" + uuid.uuid4().hex.encode()).decode().rstrip("=")
    for garbage in ("x", "%FF%FE", "=" * 5, "A" * 500, collectivity, place.milestone_id, "Q29tbWl0bWVudDp4"):
        response = await client.http.get(f"/commitments/{garbage}?lang=fr")
        assert response.status_code == 404, garbage
        assert response.headers["content-type"].startswith("text/html")
        assert "Engagement inconnu" in response.text


async def test_the_plan_page_links_each_commitment(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    plan = (await client.data('query { collectivity(slug: "ait-melloul") { currentPlan { id } } }'))["collectivity"]
    response = await client.http.get(f"/c/ait-melloul/plans/{plan['currentPlan']['id']}?lang=fr")
    assert f'<a href="/commitments/{commitment_id}?lang=fr">' in response.text


async def test_the_page_reads_a_bounded_number_of_sql_statements(client: Client, db: Database) -> None:
    commitment_id = await _demo_commitment(client, db)
    await _page(client, commitment_id)  # warm caches that are not per request
    with count_statements(db) as small:
        await _page(client, commitment_id)
    for _ in range(15):
        reply = await client.data(
            'mutation($id: ID!) { postComment(input: {subjectId: $id, body: "Une question"}) { comment { id } } }',
            {"id": commitment_id},
            admin=True,
        )
        await client.data(
            'mutation($id: ID!, $to: ID!) { postComment(input: {subjectId: $id, body: "Une réponse", replyToId: $to}) '
            "{ comment { id } } }",
            {"id": commitment_id, "to": reply["postComment"]["comment"]["id"]},
            admin=True,
        )
    with count_statements(db) as large:
        await _page(client, commitment_id)
    assert large.count == small.count
