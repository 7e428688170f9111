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
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.support.graphql import Client, operation
from tests.support.read_world import odd_network
from tests.support.tokens import token_for
from tracker import i18n, models
from tracker.access import ANONYMOUS
from tracker.api.compiled import Fallback, pg_network_summary, pg_plan_dashboard, pg_sql
from tracker.api.compiled.reads import Reader
from tracker.api.core.planner import sql
from tracker.db import Database
from tracker.ids import encode_id, encode_id_sql
from tracker.models.enums import Role
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
    await odd_network(db)
    for headers in await _readers(db):
        for slug in ("odd-texts", "orphan", "no-commitments", "by-indicators", "by-commitments", "nowhere"):
            for lang in (None, "ar", "fr-CA", "en", "zgh"):
                await _same(uncached, normal, "PlanDashboard", {"slug": slug, "lang": lang}, headers)
        await _same(uncached, normal, "NetworkSummary", {}, headers)


async def test_the_pages_and_texts_come_out_as_expected(uncached: Client, db: Database) -> None:
    """Not only equal to the normal path: what the fixture was made to exercise is there."""
    await odd_network(db)
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
                (rendered,) = await one(f"SELECT {encode_id_sql(type_name, 'CAST(:key AS uuid)')}", key=key)
                assert rendered == encode_id(type_name, key)
        for moment in moments:
            rendered = await one(
                f"SELECT {sql.iso_datetime('CAST(:at AS timestamptz)')}, {sql.iso_date('CAST(:day AS date)')}",
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
