"""Networks whose reads are hard to get right, for tests comparing read paths.

`odd_network`: texts with empty or unknown languages, floats whose sums depend on the order they
are added in, measurements tied on their observation time, pages cut at 20 indicators and 100
milestones, plans without commitments, collectivities without parent, drafts newer than the
published plan. `read_world` adds the demo plan, a small synthetic network, evidence and the
drafts of a collectivity whose people read them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.support.builders import ait_melloul
from tracker import models
from tracker.db import Database
from tracker.demo.network import generate
from tracker.services import derived
from tracker.services.common import today

WorkStatus = models.WorkStatus


def _at(day: date, *, micro: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 30, 15, micro, tzinfo=UTC)


async def odd_network(db: Database) -> None:
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
    await order_sensitive_sums(db)
    async with db.transaction() as session:
        await derived.rebuild(session)  # rows made outside the services: their derived values, as `verify --fix`


async def order_sensitive_sums(db: Database) -> None:
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


@dataclass(frozen=True)
class World:
    """What a test needs to name in its queries."""

    slugs: list[str]
    ids: list[str]  # global IDs of every kind of node
    drafted: uuid.UUID  # a collectivity with a draft plan newer than its published one


async def read_world(db: Database) -> World:
    from sqlmodel import select

    from tracker.ids import encode_id

    await ait_melloul(db)
    await odd_network(db)
    async with db.transaction() as session:
        await generate(session, n=5, seed=7, measurements=3, slug_prefix="synthetic-")
    async with db.transaction() as session:
        place = (await session.exec(select(models.Collectivity).where(models.Collectivity.slug == "ait-melloul"))).one()
        published = (
            await session.exec(select(models.ActionPlan).where(models.ActionPlan.collectivity_id == place.id))
        ).first()
        assert published is not None
        draft = models.ActionPlan(
            collectivity_id=place.id,
            title={"fr": "Brouillon", "ar": "مسودة"},
            period_start=date(2026, 1, 1),
            period_end=date(2027, 12, 31),
            status=models.PlanStatus.DRAFT,
        )
        session.add(draft)
        await session.flush()
        hidden = models.Commitment(plan_id=draft.id, position=0, reference="D-1", title={"fr": "Caché"})
        session.add(hidden)
        await session.flush()
        session.add(
            models.Milestone(commitment_id=hidden.id, position=0, title={"fr": "Étape cachée"}, due_on=date(2026, 3, 1))
        )
        commitments = (
            await session.exec(select(models.Commitment).where(models.Commitment.plan_id == published.id))
        ).all()
        milestones = (
            await session.exec(select(models.Milestone).where(models.Milestone.commitment_id == commitments[0].id))
        ).all()
        stamp = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
        for number in range(4):
            session.add(
                models.Evidence(
                    commitment_id=commitments[number % 2].id,
                    milestone_id=milestones[0].id if number % 2 == 0 else None,
                    url=f"https://example.org/evidence/{number}",
                    title={"fr": f"Preuve {number}", "ar": f"دليل {number}"},
                    kind=models.EvidenceKind.DOCUMENT,
                    published_at=None if number == 3 else stamp + timedelta(days=number),
                    fingerprint=f"fp-{number}",
                    created_at=stamp + timedelta(minutes=number),
                )
            )
        await session.flush()
        await derived.rebuild(session)  # the draft's rows were made outside the services
    async with db.reader() as session:
        slugs = list((await session.exec(select(models.Collectivity.slug).order_by(models.Collectivity.slug))).all())
        ids: list[str] = []
        for model, name in (
            (models.Collectivity, "Collectivity"),
            (models.ActionPlan, "ActionPlan"),
            (models.Commitment, "Commitment"),
            (models.Milestone, "Milestone"),
            (models.Indicator, "Indicator"),
            (models.Measurement, "Measurement"),
            (models.Evidence, "Evidence"),
        ):
            keys = (await session.exec(select(model.id).order_by(model.id).limit(4))).all()  # type: ignore[attr-defined]
            ids.extend(encode_id(name, key) for key in keys)
        ids.append(encode_id("Commitment", hidden.id))
        ids.append(encode_id("ActionPlan", draft.id))
    return World(slugs=slugs, ids=ids, drafted=place.id)
