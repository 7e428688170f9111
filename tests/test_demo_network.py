"""The synthetic network (tracker/demo/network.py): its mix of kinds, its hierarchy, its reproducibility."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from tracker import migrate, models
from tracker.db import Database
from tracker.demo import network

Snapshot = list[tuple[str, uuid.UUID, str]]


async def _generate(db: Database, *, n: int, seed: int = 7) -> int:
    async with db.transaction() as session:
        return await network.generate(session, n=n, seed=seed, measurements=2)


async def test_generate_emits_no_warning(db: Database) -> None:
    # filterwarnings=error turns any warning into a failure here.
    async with db.transaction() as session:
        assert await network.generate(session, n=3, seed=7, measurements=2) == 3


async def _snapshot(db: Database) -> Snapshot:
    """Slug, id and plan status of every collectivity, in slug order."""
    async with db.reader() as session:
        rows = (
            await session.exec(
                select(models.Collectivity.slug, models.Collectivity.id, models.ActionPlan.status)
                .join(models.ActionPlan, col(models.ActionPlan.collectivity_id) == col(models.Collectivity.id))
                .order_by(col(models.Collectivity.slug))
            )
        ).all()
    return [(slug, row_id, str(status)) for slug, row_id, status in rows]


async def test_network_of_126_has_12_regions_7_provinces_and_107_communes(db: Database) -> None:
    assert await _generate(db, n=126) == 126
    async with db.reader() as session:
        kinds = Counter((await session.exec(select(models.Collectivity.kind))).all())
    assert kinds == {
        models.CollectivityKind.REGION: 12,
        models.CollectivityKind.PREFECTURE_PROVINCE: 7,
        models.CollectivityKind.COMMUNE: 107,
    }


def test_kind_counts_of_the_whole_network_are_12_75_and_1503() -> None:
    assert network.kind_counts(1590) == (12, 75, 1503)


def test_kind_counts_always_add_up_to_n() -> None:
    for n in (0, 1, 2, 5, 19, 126, 500, 1590, 5000):
        assert sum(network.kind_counts(n)) == n, n


async def test_same_seed_gives_the_same_slugs_ids_and_plan_statuses(db: Database, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'second.db'}"
    migrate.upgrade(url)
    second = Database(url)
    try:
        await _generate(db, n=40)
        await _generate(second, n=40)
        first_run, second_run = await _snapshot(db), await _snapshot(second)
    finally:
        await second.dispose()
    assert len(first_run) == 40
    assert first_run == second_run


async def test_another_seed_gives_other_ids(db: Database, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'second.db'}"
    migrate.upgrade(url)
    second = Database(url)
    try:
        await _generate(db, n=20, seed=7)
        await _generate(second, n=20, seed=8)
        first_ids = {row_id for _, row_id, _ in await _snapshot(db)}
        second_ids = {row_id for _, row_id, _ in await _snapshot(second)}
    finally:
        await second.dispose()
    assert first_ids.isdisjoint(second_ids)


async def _parent_kinds(db: Database, kind: models.CollectivityKind) -> list[models.CollectivityKind | None]:
    """The kind of the parent of every collectivity of `kind` (None for one without parent)."""
    async with db.reader() as session:
        kinds = dict((await session.exec(select(models.Collectivity.id, models.Collectivity.kind))).all())
        parents = (
            await session.exec(select(models.Collectivity.parent_id).where(models.Collectivity.kind == kind))
        ).all()
    return [kinds[parent] if parent is not None else None for parent in parents]


async def test_every_commune_has_a_prefecture_or_province_parent(db: Database) -> None:
    await _generate(db, n=126)
    parents = await _parent_kinds(db, models.CollectivityKind.COMMUNE)
    assert len(parents) == 107
    assert all(kind == models.CollectivityKind.PREFECTURE_PROVINCE for kind in parents)


async def test_every_province_has_a_region_parent(db: Database) -> None:
    await _generate(db, n=126)
    parents = await _parent_kinds(db, models.CollectivityKind.PREFECTURE_PROVINCE)
    assert len(parents) == 7
    assert all(kind == models.CollectivityKind.REGION for kind in parents)


async def test_every_milestone_is_due_inside_2024_and_2025(db: Database) -> None:
    await _generate(db, n=40)
    async with db.reader() as session:
        first, last, count = (
            await session.exec(
                select(func.min(models.Milestone.due_on), func.max(models.Milestone.due_on), func.count()).select_from(
                    models.Milestone
                )
            )
        ).one()
    assert count > 0
    assert date(2024, 1, 1) <= first
    assert last <= date(2025, 12, 31)
