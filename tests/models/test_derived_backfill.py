"""Migration 0014 fills the derived values of rows written before it, by the progress rule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command

from tests.support.derived import assert_no_drift
from tracker import migrate
from tracker.db import Database, create_sync_engine_for
from tracker.models import ActionPlan, Commitment, Indicator, NetworkStats

BEFORE = "0013"

# The tables as revision 0013 has them (the models describe the later schema).
_META = sa.MetaData()


def _table(name: str, *columns: sa.Column[object]) -> sa.Table:
    """Every table has these three columns (tracker.models.base.Row) besides its own."""
    return sa.Table(
        name,
        _META,
        sa.Column("id", sa.Uuid),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        *columns,
    )


_COLLECTIVITY = _table(
    "collectivity",
    sa.Column("slug", sa.String),
    sa.Column("kind", sa.String),
    sa.Column("name", sa.JSON),
)
_PLAN = _table(
    "action_plan",
    sa.Column("collectivity_id", sa.Uuid),
    sa.Column("title", sa.JSON),
    sa.Column("description", sa.JSON),
    sa.Column("period_start", sa.Date),
    sa.Column("period_end", sa.Date),
    sa.Column("status", sa.String),
)
_COMMITMENT = _table(
    "commitment",
    sa.Column("plan_id", sa.Uuid),
    sa.Column("position", sa.Integer),
    sa.Column("reference", sa.String),
    sa.Column("title", sa.JSON),
    sa.Column("description", sa.JSON),
    sa.Column("ogp_values", sa.JSON),
    sa.Column("lead_unit", sa.JSON),
    sa.Column("partners", sa.JSON),
    sa.Column("status", sa.String),
)
_MILESTONE = _table(
    "milestone",
    sa.Column("commitment_id", sa.Uuid),
    sa.Column("position", sa.Integer),
    sa.Column("title", sa.JSON),
    sa.Column("due_on", sa.Date),
    sa.Column("status", sa.String),
    sa.Column("weight", sa.Float),
)
_INDICATOR = _table(
    "indicator",
    sa.Column("commitment_id", sa.Uuid),
    sa.Column("position", sa.Integer),
    sa.Column("name", sa.JSON),
    sa.Column("unit", sa.String),
    sa.Column("baseline", sa.Float),
    sa.Column("target", sa.Float),
    sa.Column("direction", sa.String),
)
_MEASUREMENT = _table(
    "measurement",
    sa.Column("indicator_id", sa.Uuid),
    sa.Column("value", sa.Float),
    sa.Column("observed_at", sa.DateTime(timezone=True)),
    sa.Column("origin", sa.String),
)

STAMP = datetime(2024, 1, 1, tzinfo=UTC)
PLAN = uuid.uuid4()
EMPTY_PLAN = uuid.uuid4()
BY_MILESTONES, BY_INDICATORS, DONE, CANCELLED = (uuid.uuid4() for _ in range(4))
RISING, FALLING, UNMEASURED = (uuid.uuid4() for _ in range(3))
LATEST = uuid.uuid4()


def _rows_of_revision_0013(url: str) -> None:
    stamp = {"created_at": STAMP, "updated_at": STAMP}
    place = uuid.uuid4()
    engine = create_sync_engine_for(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                _COLLECTIVITY.insert(),
                [{"id": place, "slug": "tiznit", "kind": "COMMUNE", "name": {"fr": "T"}, **stamp}],
            )
            connection.execute(
                _PLAN.insert(),
                [
                    {
                        "id": key,
                        "collectivity_id": place,
                        "title": {"fr": "Plan"},
                        "description": {},
                        "period_start": date(2024, 1, 1),
                        "period_end": date(2025, 12, 31),
                        "status": "ADOPTED",
                        **stamp,
                    }
                    for key in (PLAN, EMPTY_PLAN)
                ],
            )
            connection.execute(
                _COMMITMENT.insert(),
                [
                    {
                        "id": key,
                        "plan_id": PLAN,
                        "position": position,
                        "reference": f"C-{position}",
                        "title": {"fr": "C"},
                        "description": {},
                        "ogp_values": [],
                        "lead_unit": {},
                        "partners": [],
                        "status": status,
                        **stamp,
                    }
                    for position, (key, status) in enumerate(
                        [
                            (BY_MILESTONES, "IN_PROGRESS"),
                            (BY_INDICATORS, "IN_PROGRESS"),
                            (DONE, "COMPLETED"),
                            (CANCELLED, "CANCELLED"),
                        ]
                    )
                ],
            )
            connection.execute(
                _MILESTONE.insert(),
                [
                    {
                        "id": uuid.uuid4(),
                        "commitment_id": BY_MILESTONES,
                        "position": position,
                        "title": {"fr": "M"},
                        "due_on": date(2024, 6, 1),
                        "status": status,
                        "weight": weight,
                        **stamp,
                    }
                    for position, (status, weight) in enumerate(
                        [("COMPLETED", 1.0), ("IN_PROGRESS", 3.0), ("CANCELLED", 5.0)]
                    )
                ],
            )
            connection.execute(
                _INDICATOR.insert(),
                [
                    {
                        "id": key,
                        "commitment_id": BY_INDICATORS,
                        "position": position,
                        "name": {"fr": "I"},
                        "unit": "%",
                        "baseline": baseline,
                        "target": target,
                        "direction": "INCREASE" if target > baseline else "DECREASE",
                        **stamp,
                    }
                    for position, (key, baseline, target) in enumerate(
                        [(RISING, 0.0, 10.0), (FALLING, 50.0, 10.0), (UNMEASURED, 0.0, 4.0)]
                    )
                ],
            )
            connection.execute(
                _MEASUREMENT.insert(),
                [
                    {
                        "id": key,
                        "indicator_id": indicator,
                        "value": value,
                        "observed_at": observed,
                        "origin": "MANUAL",
                        **stamp,
                    }
                    for key, indicator, value, observed in [
                        (uuid.uuid4(), RISING, 9.0, datetime(2024, 3, 1, tzinfo=UTC)),
                        (LATEST, RISING, 4.0, datetime(2024, 5, 1, tzinfo=UTC)),  # the later observation
                        (uuid.uuid4(), FALLING, 40.0, datetime(2024, 5, 1, tzinfo=UTC)),
                    ]
                ],
            )
    finally:
        engine.dispose()


async def test_the_migration_fills_progress_latest_values_and_counts_from_the_rows(empty_url: str) -> None:
    migrate.upgrade(empty_url, BEFORE)
    _rows_of_revision_0013(empty_url)
    migrate.upgrade(empty_url)
    db = Database(empty_url)
    try:
        async with db.reader() as session:
            rising = await session.get(Indicator, RISING)
            falling = await session.get(Indicator, FALLING)
            unmeasured = await session.get(Indicator, UNMEASURED)
            commitments = {key: await session.get(Commitment, key) for key in (BY_MILESTONES, BY_INDICATORS, DONE)}
            plan = await session.get(ActionPlan, PLAN)
            empty = await session.get(ActionPlan, EMPTY_PLAN)
            stats = await session.get(NetworkStats, PLAN)
            empty_stats = await session.get(NetworkStats, EMPTY_PLAN)
        assert rising is not None and falling is not None and unmeasured is not None
        assert (rising.progress, rising.latest_value, rising.latest_measurement_id) == (40.0, 4.0, LATEST)
        assert rising.latest_observed_at == datetime(2024, 5, 1, tzinfo=UTC)
        assert falling.progress == 25.0
        assert (unmeasured.progress, unmeasured.latest_value, unmeasured.latest_observed_at) == (0.0, None, None)
        progress = {key: row.progress for key, row in commitments.items() if row is not None}
        # 1 of 4 counted weight; the mean of 40, 25 and 0; completed without milestones or indicators.
        assert progress == {BY_MILESTONES: 25.0, BY_INDICATORS: (40.0 + 25.0 + 0.0) / 3, DONE: 100.0}
        assert plan is not None and plan.progress == (25.0 + (40.0 + 25.0 + 0.0) / 3 + 100.0) / 3
        assert empty is not None and empty.progress == 0.0
        assert stats is not None
        assert (stats.commitments_in_progress, stats.commitments_completed, stats.commitments_cancelled) == (2, 1, 1)
        assert (stats.milestones_completed, stats.milestones_in_progress, stats.milestones_cancelled) == (1, 1, 1)
        assert stats.milestones_not_started == stats.commitments_not_started == 0
        assert empty_stats is not None and empty_stats.commitments_in_progress == 0
        await assert_no_drift(db)
    finally:
        await db.dispose()


def test_going_back_to_0013_keeps_every_row(empty_url: str) -> None:
    migrate.upgrade(empty_url, BEFORE)
    _rows_of_revision_0013(empty_url)
    migrate.upgrade(empty_url)
    command.downgrade(migrate.alembic_config(empty_url), BEFORE)
    engine = create_sync_engine_for(empty_url)
    try:
        with engine.connect() as connection:
            counts = {
                table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in (_PLAN, _COMMITMENT, _MILESTONE, _INDICATOR, _MEASUREMENT)
            }
            columns = {column["name"] for column in sa.inspect(connection).get_columns("indicator")}
    finally:
        engine.dispose()
    assert counts == {"action_plan": 2, "commitment": 4, "milestone": 3, "indicator": 3, "measurement": 3}
    assert "progress" not in columns
