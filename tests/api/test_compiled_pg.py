"""The answers PostgreSQL builds as JSON equal the normal path's, down to the last bit of a float.

Cases the demo data does not have: texts with empty or unknown languages, floats whose sums
depend on the order they are added in, measurements tied on their observation time, pages cut
at 20 indicators and 100 milestones, plans without commitments, collectivities without parent,
drafts newer than the published plan. On SQLite the same comparisons run the Python path.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.support.graphql import Client, operation
from tests.support.tokens import token_for
from tracker import i18n, models
from tracker.access import ANONYMOUS
from tracker.api.compiled import Fallback, pg_network_summary, pg_plan_dashboard, pg_sql
from tracker.api.compiled.reads import Reader
from tracker.db import Database
from tracker.ids import encode_id
from tracker.models.enums import Role
from tracker.services import derived
from tracker.services.common import today
from tracker.settings import Settings

WorkStatus = models.WorkStatus


@pytest.fixture
async def normal(settings: Settings, db: Database) -> AsyncIterator[Client]:
    plain = Client(settings.model_copy(update={"compiled_reads": False, "read_cache_seconds": 0}), db)
    await plain.start()
    try:
        yield plain
    finally:
        await plain.close()


@pytest.fixture
async def uncached(settings: Settings, db: Database) -> AsyncIterator[Client]:
    """Compiled reads without the cache, so that every request runs them."""
    compiled = Client(settings.model_copy(update={"read_cache_seconds": 0}), db)
    await compiled.start()
    try:
        yield compiled
    finally:
        await compiled.close()


def _at(day: date, *, micro: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 30, 15, micro, tzinfo=UTC)


async def _odd_network(db: Database) -> None:
    """A few plans made directly as rows: the services would refuse some of these texts."""
    now = today()
    async with db.transaction() as session:
        orphan = models.Collectivity(
            slug="orphan", kind=models.CollectivityKind.REGION, name={"ar": "", "fr": "Orphéline ⵣ", "es": "x"}
        )
        odd = models.Collectivity(
            slug="odd-texts",
            kind=models.CollectivityKind.COMMUNE,
            name={"es": "España", "de": "", "zgh": ""},
            parent_id=orphan.id,
        )
        empty = models.Collectivity(slug="no-commitments", kind=models.CollectivityKind.COMMUNE, name={"en": "Empty"})
        session.add_all([orphan, odd, empty])
        await session.flush()
        session.add(
            models.ActionPlan(
                collectivity_id=empty.id,
                title={"fr": "Vide"},
                period_start=date(2024, 1, 1),
                period_end=date(2025, 12, 31),
                status=models.PlanStatus.ADOPTED,
            )
        )
        plan = models.ActionPlan(
            collectivity_id=odd.id,
            title={"zgh": "", "en": ""},
            period_start=date(2024, 1, 1),
            period_end=date(2026, 12, 31),
            status=models.PlanStatus.IN_IMPLEMENTATION,
            adopted_on=date(2023, 12, 5),
        )
        draft = models.ActionPlan(
            collectivity_id=odd.id,
            title={"ar": "مسودة"},
            period_start=date(2027, 1, 1),
            period_end=date(2028, 12, 31),
            status=models.PlanStatus.DRAFT,
        )
        # Same period as `plan`, made earlier: never the current one.
        older = models.ActionPlan(
            collectivity_id=odd.id,
            title={"fr": "Ancien"},
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            status=models.PlanStatus.CLOSED,
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
        session.add_all([plan, draft, older])
        await session.flush()

        def commitment(position: int, status: WorkStatus, **fields: Any) -> models.Commitment:
            row = models.Commitment(
                plan_id=plan.id,
                position=position,
                reference=f"O-{position:03}",
                title=fields.pop("title", {"fr": f"Engagement {position}"}),
                status=status,
                ogp_values=fields.pop("ogp_values", []),
                **fields,
            )
            session.add(row)
            return row

        weighted = commitment(1, WorkStatus.IN_PROGRESS, title={"ar": "", "fr": ""}, ogp_values=["CIVIC_PARTICIPATION"])
        measured = commitment(2, WorkStatus.NOT_STARTED, title={"ar": "التزام «مقيس»", "fr": "Mesuré"})
        cancelled = commitment(3, WorkStatus.CANCELLED)
        closed = commitment(4, WorkStatus.COMPLETED)
        wide = commitment(5, WorkStatus.DELAYED, ogp_values=["ACCESS_TO_INFORMATION", "PUBLIC_ACCOUNTABILITY"])
        for position in range(6, 110):  # more than a page of commitments
            commitment(position, WorkStatus.NOT_STARTED if position % 3 else WorkStatus.COMPLETED)
        await session.flush()

        def milestone(owner: models.Commitment, position: int, status: WorkStatus, weight: float, due: date) -> None:
            session.add(
                models.Milestone(
                    commitment_id=owner.id,
                    position=position,
                    title={"fr": f"Étape {position}", "en": f"Step {position}"},
                    due_on=due,
                    status=status,
                    weight=weight,
                    completed_on=due - timedelta(days=3) if status == WorkStatus.COMPLETED else None,
                )
            )

        for position, (status, weight, days) in enumerate(
            [
                (WorkStatus.COMPLETED, 0.1, -40),
                (WorkStatus.IN_PROGRESS, 0.2, -1),
                (WorkStatus.COMPLETED, 0.3, 0),
                (WorkStatus.CANCELLED, 0.7, -5),
                (WorkStatus.DELAYED, 1.1, 30),
                (WorkStatus.NOT_STARTED, 0.3, -1),  # same due date as position 1: position decides
            ]
        ):
            milestone(weighted, position, status, weight, now + timedelta(days=days))
        milestone(cancelled, 0, WorkStatus.COMPLETED, 1.0, now)
        milestone(closed, 0, WorkStatus.CANCELLED, 2.0, now - timedelta(days=2))
        for position in range(103):  # more than a page of milestones
            status = (WorkStatus.COMPLETED, WorkStatus.NOT_STARTED, WorkStatus.DELAYED)[position % 3]
            milestone(wide, position, status, 0.1 * (position % 7 + 1), now + timedelta(days=position - 50))

        def indicator(owner: models.Commitment, position: int, baseline: float, target: float) -> models.Indicator:
            row = models.Indicator(
                commitment_id=owner.id,
                position=position,
                name={"fr": f"Indicateur {position}", "zgh": "ⴰⵎⵙⴽⴰⵏ"},
                unit="%",
                baseline=baseline,
                target=target,
                direction=models.Direction.INCREASE if target >= baseline else models.Direction.DECREASE,
            )
            session.add(row)
            return row

        # Progress values whose mean depends on the order of the sum.
        thirds = indicator(measured, 0, 0.0, 3.0)
        sevenths = indicator(measured, 1, 0.0, 7.0)
        falling = indicator(measured, 2, 50.0, 20.0)
        overshoot = indicator(measured, 3, 1.0, 2.0)
        wrong_way = indicator(measured, 4, 10.0, 20.0)
        flat = indicator(measured, 5, 4.0, 4.0)
        unmeasured = indicator(measured, 6, 0.0, 9.0)
        many = [indicator(wide, position, 0.0, 11.0) for position in range(23)]  # more than a page
        await session.flush()

        def measurement(owner: models.Indicator, value: float, observed: datetime, recorded: datetime) -> None:
            session.add(
                models.Measurement(indicator_id=owner.id, value=value, observed_at=observed, created_at=recorded)
            )

        first = datetime(2024, 3, 1, tzinfo=UTC)
        measurement(thirds, 1.0, _at(date(2024, 5, 1)), first)
        measurement(thirds, 2.0, _at(date(2024, 5, 1)), first + timedelta(hours=1))  # same time, recorded later
        measurement(sevenths, 3.0, _at(date(2024, 6, 2), micro=120), first)  # microseconds
        measurement(sevenths, 6.0, _at(date(2024, 1, 2)), first + timedelta(days=9))  # older observation
        measurement(falling, 27.0, _at(date(2024, 7, 3), micro=500000), first)
        measurement(overshoot, 5.0, _at(date(2024, 7, 3)), first)
        measurement(wrong_way, 3.0, _at(date(2024, 7, 3)), first)
        measurement(flat, 9.0, _at(date(2024, 7, 3)), first)
        for number, row in enumerate(many):
            measurement(row, number * 0.7, _at(date(2024, 8, 1 + number % 20)), first)
        assert unmeasured.id
    await _order_sensitive_sums(db)
    async with db.transaction() as session:
        await derived.rebuild(session)  # rows made outside the services: their derived values, as `verify --fix`


async def _order_sensitive_sums(db: Database) -> None:
    """Progress values 0.1, 0.2, 0.3, whose sum depends on the order they are added in
    ((0.1 + 0.2) + 0.3 is 0.6000000000000001, (0.3 + 0.2) + 0.1 is 0.6): among the indicators of a
    commitment, the commitments of a plan, and the plans of the network (ids 1, 2, 3: first)."""
    kinds = models.CollectivityKind
    # The only plans of their kind: the network's mean progress of the kind is theirs.
    shapes: list[tuple[str, models.CollectivityKind, uuid.UUID | None, list[list[float]]]] = [
        ("by-indicators", kinds.PREFECTURE_PROVINCE, None, [[0.1, 0.2, 0.3]]),
        ("by-commitments", kinds.REGION, None, [[0.1], [0.2], [0.3]]),
        ("plan-1", kinds.COMMUNE, uuid.UUID(int=1), [[0.1]]),
        ("plan-2", kinds.COMMUNE, uuid.UUID(int=2), [[0.2]]),
        ("plan-3", kinds.COMMUNE, uuid.UUID(int=3), [[0.3]]),
    ]
    async with db.transaction() as session:
        for slug, kind, plan_id, commitments in shapes:
            place = models.Collectivity(slug=slug, kind=kind, name={"fr": slug})
            session.add(place)
            await session.flush()
            plan = models.ActionPlan(
                id=plan_id or uuid.uuid4(),
                collectivity_id=place.id,
                title={"fr": slug},
                period_start=date(2024, 1, 1),
                period_end=date(2025, 12, 31),
                status=models.PlanStatus.ADOPTED,
            )
            session.add(plan)
            await session.flush()
            for position, values in enumerate(commitments):
                commitment = models.Commitment(
                    plan_id=plan.id, position=position, reference=f"S-{position}", title={"fr": "Somme"}
                )
                session.add(commitment)
                await session.flush()
                for number, value in enumerate(values):
                    indicator = models.Indicator(
                        commitment_id=commitment.id,
                        position=number,
                        name={"fr": "Part"},
                        unit="%",
                        baseline=0.0,
                        target=100.0,
                        direction=models.Direction.INCREASE,
                    )
                    session.add(indicator)
                    await session.flush()
                    session.add(
                        models.Measurement(indicator_id=indicator.id, value=value, observed_at=_at(date(2024, 9, 1)))
                    )


async def _readers(db: Database) -> list[dict[str, str]]:
    admin = await token_for(db, Role.ADMIN)
    editor = await token_for(db, Role.EDITOR, collectivity="odd-texts")
    outsider = await token_for(db, Role.EDITOR, collectivity="orphan")
    return [
        {},
        {"Accept-Language": "es, de;q=0.5"},
        {"Authorization": f"Bearer {admin}", "Accept-Language": "en"},
        {"Authorization": f"Bearer {editor}"},
        {"Authorization": f"Bearer {outsider}", "Accept-Language": "zgh"},
    ]


async def _same(client: Client, normal: Client, name: str, variables: dict[str, Any], headers: Any) -> None:
    answers = client.app.state.persisted.answers
    before = answers["compiled"]
    compiled = await client.post(operation(name), variables, headers=headers)
    assert answers["compiled"] == before + 1, "the compiled path did not answer"
    assert answers["failed"] == 0
    expected = await normal.post(operation(name), variables, headers=headers)
    assert compiled.status_code == expected.status_code == 200
    assert "errors" not in expected.json(), expected.json()
    assert compiled.json() == expected.json(), (name, variables, headers)


async def test_odd_plans_read_the_same_on_both_paths(uncached: Client, normal: Client, db: Database) -> None:
    await _odd_network(db)
    for headers in await _readers(db):
        for slug in ("odd-texts", "orphan", "no-commitments", "by-indicators", "by-commitments", "nowhere"):
            for lang in (None, "ar", "fr-CA", "en", "zgh"):
                await _same(uncached, normal, "PlanDashboard", {"slug": slug, "lang": lang}, headers)
        await _same(uncached, normal, "NetworkSummary", {}, headers)


async def test_the_pages_and_texts_come_out_as_expected(uncached: Client, db: Database) -> None:
    """Not only equal to the normal path: what the fixture was made to exercise is there."""
    await _odd_network(db)
    data = (await uncached.post(operation("PlanDashboard"), {"slug": "odd-texts", "lang": "ar"})).json()["data"]
    place = data["collectivity"]
    assert place["name"] == "España"  # no supported language has a text: the first non-empty one
    assert place["parent"] == {"slug": "orphan", "name": "Orphéline ⵣ"}
    plan = place["currentPlan"]
    assert plan["title"] == "" and plan["status"] == "IN_IMPLEMENTATION" and plan["adoptedOn"] == "2023-12-05"
    commitments = plan["commitments"]
    assert commitments["totalCount"] == 109 and len(commitments["edges"]) == 100
    first, measured, _, closed, wide = (edge["node"] for edge in commitments["edges"][:5])
    assert first["title"] == "" and first["ogpValues"] == ["CIVIC_PARTICIPATION"]
    assert first["progress"] == pytest.approx(0.4 / 2.0 * 100)  # completed over non-cancelled weight
    assert measured["title"] == "التزام «مقيس»"
    assert closed["progress"] == 100
    latest = [edge["node"]["latest"] for edge in measured["indicators"]["edges"]]
    assert latest[0] == {"value": 2.0, "observedAt": "2024-05-01T08:30:15+00:00"}
    assert latest[1] == {"value": 3.0, "observedAt": "2024-06-02T08:30:15.000120+00:00"}
    assert latest[6] is None
    assert wide["milestones"]["totalCount"] == 103 and len(wide["milestones"]["edges"]) == 100
    assert len(wide["indicators"]["edges"]) == 20
    sums = {}
    for slug in ("by-indicators", "by-commitments"):
        answer = await uncached.post(operation("PlanDashboard"), {"slug": slug})
        sums[slug] = answer.json()["data"]["collectivity"]["currentPlan"]["progress"]
    assert sums == {"by-indicators": 0.6000000000000001 / 3, "by-commitments": 0.6000000000000001 / 3}
    network = (await uncached.post(operation("NetworkSummary"))).json()["data"]["network"]
    assert network["planCount"] == 8  # the draft left out
    means = {item["kind"]: item["meanProgress"] for item in network["byKind"]}
    assert means["PREFECTURE_PROVINCE"] == means["REGION"] == 0.6000000000000001 / 3
    editor = await token_for(db, Role.EDITOR, collectivity="odd-texts")
    seen = await uncached.post(operation("PlanDashboard"), {"slug": "odd-texts"}, headers=uncached.bearer(editor))
    assert seen.json()["data"]["collectivity"]["currentPlan"]["status"] == "DRAFT"


async def test_an_empty_network_reads_the_same(uncached: Client, normal: Client, db: Database) -> None:
    for headers in ({}, {"Authorization": f"Bearer {await token_for(db, Role.ADMIN)}"}):
        await _same(uncached, normal, "NetworkSummary", {}, headers)


async def test_the_sql_fragments_render_values_as_python_does(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL renders these")
    texts: list[dict[str, str]] = [
        {},
        {"ar": "", "fr": "français"},
        {"zgh": "", "es": "b", "de": "a"},
        {"en": "", "ar": ""},
        {"de": "", "fr": "", "xx": "z", "aa": "y"},
        {"fr": 'l\'été "chaud"\n', "ar": "صيف"},
    ]
    keys = [uuid.uuid4() for _ in range(20)] + [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    moments = [
        datetime(2024, 1, 28, tzinfo=UTC),
        datetime(2024, 1, 28, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1999, 12, 31, 0, 0, 0, 1, tzinfo=UTC),
    ]
    async with db.engine.connect() as connection:

        async def one(sql: str, **params: Any) -> Any:
            return (await connection.execute(text(sql), params)).one()

        for tag in (None, "ar", "fr", "en", "zgh"):
            languages = list(i18n.preference(tag, ()))
            for value in texts:
                # The Python path reads the jsonb back as a dict in the order PostgreSQL keeps its keys.
                stored, picked = await one(
                    f"SELECT CAST(:value AS jsonb), {pg_sql.pick('CAST(:value AS jsonb)')}",
                    value=json.dumps(value),
                    langs=languages,
                )
                assert picked == (i18n.pick(stored, languages) or ""), (value, tag)
        for type_name in ("Collectivity", "ActionPlan", "Commitment", "Milestone", "Indicator"):
            for key in keys:
                (rendered,) = await one(f"SELECT {pg_sql.global_id(type_name, 'CAST(:key AS uuid)')}", key=key)
                assert rendered == encode_id(type_name, key)
        for moment in moments:
            rendered = await one(
                f"SELECT {pg_sql.iso_datetime('CAST(:at AS timestamptz)')}, {pg_sql.iso_date('CAST(:day AS date)')}",
                at=moment,
                day=moment.date(),
            )
            assert tuple(rendered) == (moment.isoformat(), moment.date().isoformat())
        for number in (56.304855275443515, 100.0 / 3.0, 0.1 + 0.2, 1e-7, 123456789.123456789, 5e-324):
            (shown,) = await one("SELECT CAST(json_build_object('v', CAST(:v AS float8)) AS text)", v=number)
            assert json.loads(shown)["v"] == number


async def test_a_session_printing_floats_short_gets_the_normal_path(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL renders these")
    url = make_url(db.url)
    options = f"{url.query.get('options', '')} -c extra_float_digits=0".strip()
    short = Database(url.update_query_dict({"options": options}).render_as_string(hide_password=False))
    reader = Reader(principal=ANONYMOUS, languages=i18n.preference(None, ()), today=today())
    try:
        for run, variables in ((pg_network_summary.run, {}), (pg_plan_dashboard.run, {"slug": "nowhere"})):
            async with short.reader() as session:
                with pytest.raises(Fallback):
                    await run(session, reader, variables)
    finally:
        await short.dispose()
