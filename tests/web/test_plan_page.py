"""A plan's page, `/c/{slug}/plans/{planId}`: its progress (the contract's `data-plan-progress`),
its commitments, a timeline of its milestones with the same content as a list, recent events."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.support.accountability import place_with_body
from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client
from tests.support.pages import current_plan_id, plan_path
from tests.support.sql import count_statements
from tracker.db import Database
from tracker.ids import encode_id
from tracker.models import PlanStatus

PLAN = """
query($id: ID!) { node(id: $id) { ... on ActionPlan {
  progress
  commitments(first: 100) { nodes { id reference progress milestones(first: 100) { nodes { status isOverdue } } } }
} } }
"""


async def _plan(client: Client, slug: str) -> dict:  # type: ignore[type-arg]
    data = await client.data(PLAN, {"id": await current_plan_id(client, slug)})
    return dict(data["node"])


async def test_its_progress_figure_carries_the_apis_value(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get(await plan_path(client, "ait-melloul"))).text
    figures = re.findall(r'data-plan-progress="([^"]+)"', page)
    assert [float(figure) for figure in figures] == [(await _plan(client, "ait-melloul"))["progress"]]


async def test_each_commitment_shows_its_progress_and_links_its_own_page(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=fr")).text
    commitments = (await _plan(client, "ait-melloul"))["commitments"]["nodes"]
    assert page.count("<article") == len(commitments) == 7
    for commitment in commitments:
        assert f'<h4><a href="/commitments/{commitment["id"]}?lang=fr">' in page
        assert f'data-commitment-progress="{commitment["progress"]}"' in page
    assert len(re.findall(r'<div class="bar" role="progressbar"', page)) == 1 + len(commitments)


async def test_the_timeline_draws_each_milestone_by_its_state(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=fr")).text
    milestones = [
        milestone
        for commitment in (await _plan(client, "ait-melloul"))["commitments"]["nodes"]
        for milestone in commitment["milestones"]["nodes"]
    ]
    svg = re.findall(r"<svg viewBox=.*?</svg>", page, flags=re.S)
    assert len(svg) == 1
    drawn = re.findall(r'<g class="(\w+)">', svg[0])
    assert len(drawn) == len(milestones)
    assert drawn.count("done") == sum(m["status"] == "COMPLETED" for m in milestones) > 0
    assert drawn.count("cancelled") == sum(m["status"] == "CANCELLED" for m in milestones) > 0
    assert drawn.count("late") == sum(m["isOverdue"] for m in milestones) > 0


async def test_the_timeline_says_the_same_as_a_list(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=fr")).text
    listed = re.search(r'<ol class="milestones" data-live="milestones">(.*?)</ol>', page, flags=re.S)
    assert listed is not None
    assert listed.group(1).count("<li>") == len(re.findall(r'<g class="\w+">', page))
    assert "Visite d&#39;échange d&#39;expériences avec une commune membre du réseau" in listed.group(1)
    assert 'role="img" aria-labelledby="timeline-title"' in page


async def test_the_timeline_draws_todays_line_within_the_plans_period(client: Client, db: Database) -> None:
    today = date.today()
    await small_plan(db, period=(today - timedelta(days=200), today + timedelta(days=200)), due_on=today)
    page = (await client.http.get(f"{await plan_path(client, 'tiznit')}?lang=fr")).text
    assert 'stroke-dasharray="6 4"' in page
    assert "Aujourd'hui" in page


async def test_its_time_runs_right_to_left_in_arabic(client: Client, db: Database) -> None:
    today = date.today()
    await small_plan(db, period=(today - timedelta(days=100), today + timedelta(days=300)), due_on=today)
    path = await plan_path(client, "tiznit")
    french = (await client.http.get(f"{path}?lang=fr")).text
    arabic = (await client.http.get(f"{path}?lang=ar")).text
    x_fr = float(re.findall(r'<g class="\w+">\s*<circle cx="([\d.]+)"', french)[0])
    x_ar = float(re.findall(r'<g class="\w+">\s*<circle cx="([\d.]+)"', arabic)[0])
    assert x_fr < 500 < x_ar


async def test_it_lists_recent_events_in_a_sentence_each(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get(f"{await plan_path(client, 'ait-melloul')}?lang=fr")).text
    events = re.search(r'<ol class="events">(.*?)</ol>', page, flags=re.S)
    assert events is not None
    assert events.group(1).count("<li>") == 10
    assert "Le jalon « Visite d&#39;échange d&#39;expériences avec une commune membre du réseau » a été atteint" in (
        events.group(1).replace("\u202f", " ").replace("\u00a0", " ")
    )


async def test_it_prints_as_a_report(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get(await plan_path(client, "ait-melloul"))).text
    assert "@media print" in page
    assert re.search(r"@media print \{[^}]*header nav, \.links", page)


async def test_a_plan_of_another_collectivity_is_not_found_here(client: Client, db: Database) -> None:
    await ait_melloul(db)
    await small_plan(db)
    response = await client.http.get(f"/c/tiznit/plans/{await current_plan_id(client, 'ait-melloul')}?lang=fr")
    assert response.status_code == 404
    assert "Plan inconnu" in response.text


async def test_a_draft_plan_is_not_found(client: Client, db: Database) -> None:
    plan, _ = await small_plan(db, status=PlanStatus.DRAFT)
    response = await client.http.get(f"/c/tiznit/plans/{encode_id('ActionPlan', plan.id)}")
    assert response.status_code == 404


async def test_a_plan_of_an_unknown_collectivity_is_not_found(client: Client, db: Database) -> None:
    await ait_melloul(db)
    response = await client.http.get(f"/c/nowhere/plans/{await current_plan_id(client, 'ait-melloul')}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "plan_id",
    ["garbage", "x" * 5000, "QWN0aW9uUGxhbjpub3QtYS11dWlk", '"><img src=x onerror=alert(1)>'],
)
async def test_a_garbage_plan_id_is_a_404_page(client: Client, db: Database, plan_id: str) -> None:
    await ait_melloul(db)
    response = await client.http.get(f"/c/ait-melloul/plans/{plan_id}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<img src=x" not in response.text


async def test_the_id_of_another_kind_of_object_is_a_404_page(client: Client, db: Database) -> None:
    place = await place_with_body(db)
    response = await client.http.get(f"/c/{place.slug}/plans/{place.commitment_id}")
    assert response.status_code == 404


async def test_its_sql_statements_do_not_grow_with_its_commitments(client: Client, db: Database) -> None:
    await small_plan(db, slug="tata", commitments_count=2)
    await small_plan(db, slug="tiznit", commitments_count=12)
    few_path, many_path = await plan_path(client, "tata"), await plan_path(client, "tiznit")
    with count_statements(db) as few:
        assert (await client.http.get(few_path)).status_code == 200
    with count_statements(db) as many:
        assert (await client.http.get(many_path)).text.count("<article") == 12
    assert many.count == few.count
