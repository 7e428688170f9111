"""A collectivity's page, `/c/{slug}`: its plans (current first), its communes or provinces, its
consultative bodies, its feed and deadline calendar."""

from __future__ import annotations

import re
from datetime import date

from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client
from tests.support.sql import count_statements
from tracker import models
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.services import collectivities, plans


async def test_it_lists_the_demo_plan_with_its_status_period_progress_and_address(client: Client, db: Database) -> None:
    await ait_melloul(db)
    data = await client.data('{ collectivity(slug: "ait-melloul") { currentPlan { id progress } } }')
    plan = data["collectivity"]["currentPlan"]
    page = (await client.http.get("/c/ait-melloul?lang=fr")).text
    assert f'href="/c/ait-melloul/plans/{plan["id"]}?lang=fr"' in page
    assert "Plan d&#39;ouverture de la commune d&#39;Aït Melloul 2024-2025" in page
    assert "En cours de mise en œuvre" in page
    assert '<bdi class="date">1 janvier 2024</bdi> \u2013 <bdi class="date">31 décembre 2025</bdi>' in page
    assert f'aria-valuenow="{round(plan["progress"])}"' in page


async def test_its_current_plan_comes_first_and_is_named_so(client: Client, db: Database) -> None:
    current, _ = await small_plan(db)
    async with db.transaction() as session:
        await plans.create_plan(
            session,
            actor=SYSTEM,
            collectivity_id=current.collectivity_id,
            title={"fr": "Premier plan"},
            period_start=date(2021, 1, 1),
            period_end=date(2022, 12, 31),
            status=models.PlanStatus.CLOSED,
        )
    page = (await client.http.get("/c/tiznit?lang=fr")).text
    titles = re.findall(r'/plans/[^"]+"><bdi>([^<]+)</bdi>', page)
    assert titles == ["Plan", "Premier plan"]
    assert page.count("Plan en cours") == 1
    assert page.index("Plan en cours") < page.index("Premier plan")
    assert "Clôturé" in page


async def test_a_province_lists_its_communes_with_links(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get("/c/inezgane-ait-melloul?lang=fr")).text
    assert "Ses communes" in page
    assert '<a href="/c/ait-melloul?lang=fr"><bdi>Aït Melloul</bdi></a> · 80\u00a0%' in page


async def test_a_commune_links_its_province(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get("/c/ait-melloul?lang=fr")).text
    assert '<a href="/c/inezgane-ait-melloul?lang=fr"><bdi>Inezgane-Aït Melloul</bdi></a>' in page
    assert "Ses communes" not in page


async def test_it_lists_its_consultative_bodies(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get("/c/ait-melloul?lang=ar")).text
    assert "هيئة المساواة وتكافؤ الفرص ومقاربة النوع" in page
    assert "المجلس الاستشاري المحلي للصحافة والاتصال وصناعة المحتوى" in page


async def test_it_links_its_event_feed_and_deadline_calendar(client: Client, db: Database) -> None:
    await ait_melloul(db)
    page = (await client.http.get("/c/ait-melloul?lang=fr")).text
    assert 'href="/feeds/ait-melloul.atom?lang=fr" type="application/atom+xml"' in page
    assert 'href="/feeds/ait-melloul.ics?lang=fr" type="text/calendar"' in page


async def test_an_unknown_collectivity_is_a_404_page(client: Client, db: Database) -> None:
    response = await client.http.get("/c/nowhere?lang=fr")
    assert response.status_code == 404
    assert "Collectivité inconnue" in response.text


async def _province_with_communes(db: Database, slug: str, count: int) -> None:
    async with db.transaction() as session:
        province = await collectivities.create_collectivity(
            session, actor=SYSTEM, slug=slug, kind="PREFECTURE_PROVINCE", name={"fr": slug.title()}
        )
        for number in range(count):
            commune = await collectivities.create_collectivity(
                session,
                actor=SYSTEM,
                slug=f"{slug}-commune-{number}",
                kind="COMMUNE",
                name={"fr": f"Commune {number}"},
                parent_id=province.id,
            )
            await plans.create_plan(
                session,
                actor=SYSTEM,
                collectivity_id=commune.id,
                title={"fr": "Plan"},
                period_start=date(2024, 1, 1),
                period_end=date(2025, 12, 31),
                status=models.PlanStatus.ADOPTED,
            )


async def test_its_sql_statements_do_not_grow_with_its_communes(client: Client, db: Database) -> None:
    await _province_with_communes(db, "tata", 2)
    await _province_with_communes(db, "tiznit", 12)
    with count_statements(db) as few:
        assert (await client.http.get("/c/tata")).status_code == 200
    with count_statements(db) as many:
        page = (await client.http.get("/c/tiznit")).text
    assert page.count('href="/c/tiznit-commune-') == 12
    assert many.count == few.count
