"""The compiled read path answers exactly as the normal GraphQL path does, for every reader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.builders import ait_melloul, small_plan
from tests.support.graphql import Client, operation
from tests.support.sql import count_statements
from tests.support.tokens import token_for
from tracker import models
from tracker.access import SYSTEM
from tracker.api.compiled import COMPILED
from tracker.db import Database
from tracker.demo import network
from tracker.models.enums import Role
from tracker.services import commitments, indicators
from tracker.settings import Settings


@pytest.fixture
async def normal(settings: Settings, db: Database) -> AsyncIterator[Client]:
    """The same application with neither compiled reads nor cache: strawberry answers all."""
    plain = Client(settings.model_copy(update={"compiled_reads": False, "read_cache_seconds": 0}), db)
    await plain.start()
    try:
        yield plain
    finally:
        await plain.close()


async def _indicator_only_commitment(db: Database) -> None:
    """A commitment measured by indicators alone: its progress comes from them."""
    plan, _ = await small_plan(db, slug="by-indicators", commitments_count=0)
    async with db.transaction() as session:
        commitment = await commitments.create_commitment(
            session, actor=SYSTEM, plan_id=plan.id, reference="I-1", title={"fr": "Mesuré"}
        )
        for baseline, target, latest in ((0.0, 10.0, 4.0), (50.0, 20.0, 35.0), (5.0, 9.0, None)):
            indicator = await indicators.create_indicator(
                session,
                actor=SYSTEM,
                commitment_id=commitment.id,
                name={"ar": "مؤشر", "fr": "Indicateur"},
                unit="%",
                baseline=baseline,
                target=target,
            )
            if latest is not None:
                for month, value in ((1, baseline), (3, latest)):
                    await indicators.record_measurement(
                        session,
                        actor=SYSTEM,
                        indicator_id=indicator.id,
                        value=value,
                        observed_at=datetime(2024, month, 28, tzinfo=UTC),
                    )


@pytest.fixture
async def varied(db: Database) -> None:
    """The demo plan, a draft, an indicator-only commitment and a small synthetic network."""
    await ait_melloul(db)
    await small_plan(db, slug="draft-town", status=models.PlanStatus.DRAFT, commitments_count=2)
    await _indicator_only_commitment(db)
    async with db.transaction() as session:
        await network.generate(session, n=9, seed=11, measurements=3)


async def _readers(db: Database) -> list[dict[str, str]]:
    admin = await token_for(db, Role.ADMIN)
    editor = await token_for(db, Role.EDITOR, collectivity="draft-town")
    return [
        {},
        {"Accept-Language": "fr-MA, ar;q=0.5"},
        {"Authorization": f"Bearer {admin}"},
        {"Authorization": f"Bearer {editor}", "Accept-Language": "en"},
    ]


async def _same_answer(client: Client, normal: Client, name: str, variables: dict[str, Any], headers: Any) -> None:
    answers = client.app.state.persisted.answers
    before = answers["compiled"]
    compiled = await client.post(operation(name), variables, headers=headers)
    cached = compiled.headers.get("etag") is not None and answers["compiled"] == before
    assert answers["compiled"] == before + 1 or cached, "the compiled path did not answer"
    assert answers["failed"] == 0
    expected = await normal.post(operation(name), variables, headers=headers)
    assert compiled.status_code == expected.status_code == 200
    assert "errors" not in expected.json(), expected.json()
    assert compiled.json() == expected.json(), (name, variables, headers)


async def _commitment_ids(normal: Client, slugs: list[str], headers: dict[str, str]) -> list[str]:
    ids = []
    for slug in slugs:
        data = (await normal.post(operation("PlanDashboard"), {"slug": slug}, headers=headers)).json()["data"]
        plan = (data["collectivity"] or {}).get("currentPlan")
        if plan:
            ids.extend(edge["node"]["id"] for edge in plan["commitments"]["edges"])
    return ids


SLUGS = ["ait-melloul", "draft-town", "by-indicators", "demo-region-1", "demo-province-1", "demo-commune-1", "nowhere"]


@pytest.mark.usefixtures("varied")
async def test_plan_dashboard_compiled_equals_the_normal_path(client: Client, normal: Client, db: Database) -> None:
    for headers in await _readers(db):
        for slug in SLUGS:
            for lang in (None, "ar", "fr", "zgh"):
                await _same_answer(client, normal, "PlanDashboard", {"slug": slug, "lang": lang}, headers)


@pytest.mark.usefixtures("varied")
async def test_commitment_detail_compiled_equals_the_normal_path(client: Client, normal: Client, db: Database) -> None:
    readers = await _readers(db)
    admin = readers[2]
    ids = await _commitment_ids(normal, SLUGS, admin)
    assert len(ids) > 20
    for headers in readers:
        for commitment_id in ids:
            await _same_answer(client, normal, "CommitmentDetail", {"id": commitment_id, "lang": "fr"}, headers)


@pytest.mark.usefixtures("varied")
async def test_collectivities_page_compiled_equals_the_normal_path(
    client: Client, normal: Client, db: Database
) -> None:
    for headers in await _readers(db):
        for variables in ({}, {"first": 4, "lang": "ar"}, {"first": 5, "after": "b2Zmc2V0OjM"}, {"first": 0}):
            await _same_answer(client, normal, "CollectivitiesPage", variables, headers)


@pytest.mark.usefixtures("varied")
async def test_network_summary_compiled_equals_the_normal_path(client: Client, normal: Client, db: Database) -> None:
    for headers in await _readers(db):
        await _same_answer(client, normal, "NetworkSummary", {}, headers)


async def test_every_compiled_operation_is_a_persisted_document() -> None:
    for name in COMPILED:
        assert operation(name).strip()


@pytest.mark.usefixtures("varied")
async def test_bad_arguments_get_the_normal_paths_errors(client: Client, normal: Client) -> None:
    cases = [
        ("PlanDashboard", {"slug": "ait-melloul", "lang": "not a tag!"}),
        ("CommitmentDetail", {"id": "not-an-id"}),
        ("CollectivitiesPage", {"first": 500}),
        ("CollectivitiesPage", {"after": "garbage"}),
        ("PlanDashboard", {"slug": 12}),
    ]
    for name, variables in cases:
        compiled = await client.post(operation(name), variables)
        expected = await normal.post(operation(name), variables)
        assert compiled.status_code == expected.status_code
        assert compiled.json() == expected.json()
        assert "errors" in compiled.json()


async def test_compiled_dashboard_runs_as_many_statements_for_5_and_500_commitments(
    client: Client, db: Database
) -> None:
    counts = []
    for slug, size in (("few", 5), ("many", 500)):
        await small_plan(db, slug=slug, commitments_count=size)
        with count_statements(db) as counter:
            data = await client.data(operation("PlanDashboard"), {"slug": slug}, admin=True)
        assert data["collectivity"]["currentPlan"]["commitments"]["totalCount"] == size
        counts.append(counter.count)
    assert counts[0] == counts[1]
