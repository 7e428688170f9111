"""Where a rule is spelled twice, in Python and in PostgreSQL for the read planner, both spellings
give the same answers on the same cases: language fallback (tracker.i18n), global IDs
(tracker.ids), plan visibility (tracker.access), cursors and dates (planner.sql), and the
progress rule and its precision (tracker.progress against tracker/api/core/planner/progress.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection

from tests.test_progress import PUBLISHED
from tracker import access, i18n, progress
from tracker.access import Principal, readable_plan_sql
from tracker.api.core.planner import progress as planned_progress
from tracker.api.core.planner import sql
from tracker.api.core.relay import cursor_of
from tracker.db import create_sync_engine_for
from tracker.ids import encode_id, encode_id_sql
from tracker.models import PlanStatus, Role, WorkStatus


@pytest.fixture(scope="module")
def connection(postgres_url: str) -> Iterator[Connection]:
    engine = create_sync_engine_for(postgres_url)
    with engine.connect() as opened:
        yield opened
    engine.dispose()


def _value(connection: Connection, expression: str, **parameters: Any) -> Any:
    return connection.exec_driver_sql(f"SELECT {expression}", parameters).scalar_one()


TEXTS: list[dict[str, str] | None] = [
    {"ar": "خطة", "fr": "Plan"},
    {"fr": "Plan", "en": "Plan (en)"},
    {"ar": "", "fr": "", "zgh": "ⵜⴰⵖⴰⵡⵙⴰ"},
    {"es": "Plan", "de": ""},
    {"de": "", "es": ""},
    {},
    None,
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("tag", [None, "fr", "ar-MA", "zgh", "es"])
def test_language_fallback_picks_the_same_text_in_sql(connection: Connection, text: Any, tag: str | None) -> None:
    order = list(i18n.preference(tag, ("en",)))
    for required in (True, False):
        expected = i18n.pick(text, order)
        picked = _value(
            connection,
            i18n.pick_sql("CAST(%(text)s AS jsonb)", "CAST(%(order)s AS text[])", required=required),
            text=None if text is None else json.dumps(text),
            order=order,
        )
        assert picked == (expected or "" if required else expected)


def test_global_ids_and_cursors_are_spelled_alike(connection: Connection) -> None:
    for key in (uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)):
        assert _value(connection, encode_id_sql("Commitment", "CAST(%(key)s AS uuid)"), key=key) == encode_id(
            "Commitment", key
        )
    for offset in (0, 1, 99, 12345678901):
        assert _value(connection, sql.cursor("CAST(%(n)s AS bigint)"), n=offset) == cursor_of(offset)


def test_dates_and_times_print_as_isoformat(connection: Connection) -> None:
    for day in (date(2024, 2, 29), date(999, 1, 1)):
        assert _value(connection, sql.iso_date("CAST(%(day)s AS date)"), day=day) == day.isoformat()
    for moment in (datetime(2024, 5, 1, 8, 30, tzinfo=UTC), datetime(2024, 5, 1, 8, 30, 15, 120, tzinfo=UTC)):
        assert _value(connection, sql.iso_datetime("CAST(%(at)s AS timestamptz)"), at=moment) == moment.isoformat()


def test_plan_visibility_reads_the_same_plans_in_sql(connection: Connection) -> None:
    own, other = uuid.uuid4(), uuid.uuid4()
    readers = [
        access.ANONYMOUS,
        Principal(role=Role.ADMIN, name="a"),
        Principal(role=Role.EDITOR, name="e", collectivity_id=own),
        Principal(role=Role.MONITOR, name="m", collectivity_id=own),
        Principal(role=Role.EDITOR, name="lost"),
    ]
    for reader in readers:
        for status in PlanStatus:
            for place in (own, other):
                condition = readable_plan_sql("p", access.plan_visibility(reader), "CAST(%(own)s AS uuid)")
                found = _value(
                    connection,
                    f"{condition} FROM (SELECT CAST(%(status)s AS text) AS status,"
                    " CAST(%(place)s AS uuid) AS collectivity_id) AS p",
                    status=status.value,
                    place=place,
                    own=reader.collectivity_id,
                )
                assert found == access.can_read_plan(reader, status=status, collectivity_id=place)


def test_milestone_progress_and_lateness_are_spelled_alike(connection: Connection) -> None:
    today = date(2025, 6, 1)
    for status in WorkStatus:
        for due in (date(2025, 5, 31), today, date(2025, 6, 2)):
            row = "(SELECT CAST(%(status)s AS text) AS status, CAST(%(due)s AS date) AS due_on) AS m"
            late = _value(
                connection,
                f"{planned_progress.is_overdue('m', 'CAST(%(today)s AS date)')} FROM {row}",
                status=status.value,
                due=due,
                today=today,
            )
            assert late == progress.is_overdue(due_on=due, status=status, today=today)
            value = _value(
                connection, f"{planned_progress.milestone_progress('m')} FROM {row}", status=status.value, due=due
            )
            assert value == progress.milestone_progress(status)


@pytest.mark.parametrize("computed", [computed for computed, _ in PUBLISHED])
@pytest.mark.parametrize("places", [1, 0])
def test_published_progress_is_rounded_alike_in_sql(connection: Connection, computed: float, places: int) -> None:
    rounded = _value(connection, planned_progress.published("CAST(%(value)s AS float8)", places), value=computed)
    assert rounded == progress.published(computed, places)
    # Printed alike too: the JSON the planner builds holds the same number as the resolvers'.
    printed = _value(
        connection, f"CAST({planned_progress.published('CAST(%(value)s AS float8)')} AS text)", value=computed
    )
    assert float(printed) == progress.published(computed)
