"""Building data for tests through the services, as users would."""

from __future__ import annotations

from datetime import date

from tracker import demo, models
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.services import collectivities, commitments, milestones, plans


async def ait_melloul(db: Database) -> None:
    async with db.transaction() as session:
        await demo.load_ait_melloul(session)


async def small_plan(
    db: Database,
    *,
    slug: str = "tiznit",
    status: models.PlanStatus = models.PlanStatus.ADOPTED,
    commitments_count: int = 1,
    period: tuple[date, date] = (date(2024, 1, 1), date(2025, 12, 31)),
    due_on: date = date(2024, 6, 30),
) -> tuple[models.ActionPlan, list[models.Commitment]]:
    async with db.transaction() as session:
        place = await collectivities.create_collectivity(
            session,
            actor=SYSTEM,
            slug=slug,
            kind=models.CollectivityKind.COMMUNE,
            name={"fr": slug.title(), "ar": "تيزنيت"},
        )
        plan = await plans.create_plan(
            session,
            actor=SYSTEM,
            collectivity_id=place.id,
            title={"fr": "Plan", "ar": "خطة"},
            period_start=period[0],
            period_end=period[1],
            status=status,
        )
        made = []
        for number in range(commitments_count):
            commitment = await commitments.create_commitment(
                session,
                actor=SYSTEM,
                plan_id=plan.id,
                reference=f"T-{number + 1}",
                title={"fr": f"Engagement {number}"},
            )
            await milestones.create_milestone(
                session,
                actor=SYSTEM,
                commitment_id=commitment.id,
                title={"fr": "Étape"},
                due_on=due_on,
            )
            made.append(commitment)
    return plan, made
