"""A small network with places at every level, for the network list: a region with a province and
communes numbered past 9 (natural order), a commune without a published plan, one without a plan,
and plans with and without overdue milestones."""

from __future__ import annotations

import uuid
from datetime import date

from tracker import models
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.services import collectivities, commitments, milestones, plans

# Its collectivities by place: each region, its provinces, then the communes, in natural order.
IN_PLACE_ORDER = ["oriental", "berkane", "souss", "agadir", "commune-1", "commune-2", "commune-3", "commune-10"]


async def _place(
    db: Database, slug: str, kind: models.CollectivityKind, name: dict[str, str], parent: uuid.UUID | None
) -> uuid.UUID:
    async with db.transaction() as session:
        row = await collectivities.create_collectivity(
            session, actor=SYSTEM, slug=slug, kind=kind, name=name, parent_id=parent
        )
        return row.id


async def _plan(db: Database, place: uuid.UUID, *, status: models.PlanStatus, due: list[date], done: int = 0) -> None:
    """A plan with one commitment whose milestones fall due on `due`, the first `done` completed."""
    async with db.transaction() as session:
        plan = await plans.create_plan(
            session,
            actor=SYSTEM,
            collectivity_id=place,
            title={"fr": "Plan d'action", "ar": "خطة العمل"},
            period_start=date(2024, 1, 1),
            period_end=date(2099, 12, 31),
            status=status,
        )
        commitment = await commitments.create_commitment(
            session, actor=SYSTEM, plan_id=plan.id, reference="E-1", title={"fr": "Engagement", "ar": "التزام"}
        )
        for number, day in enumerate(due):
            completed = number < done
            await milestones.create_milestone(
                session,
                actor=SYSTEM,
                commitment_id=commitment.id,
                title={"fr": "Étape"},
                due_on=day,
                status=models.WorkStatus.COMPLETED if completed else models.WorkStatus.NOT_STARTED,
                completed_on=day if completed else None,
            )


# Arabic-Indic digits, as Arabic names may write their numbers.
INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + digit) for digit in range(10)))


def indic(number: int) -> str:
    return str(number).translate(INDIC)


PAST, FUTURE = date(2024, 3, 1), date(2099, 1, 1)
K = models.CollectivityKind


async def small_network(db: Database) -> None:
    """Souss (region) > Agadir (province) > Commune 2, Commune 10, Commune 1 (no plan), Commune 3
    (a draft); Oriental (region) > Berkane (province). Overdue: Commune 10 has 2, Commune 2 has 1,
    Agadir 0 (all done), Souss 0 (due later)."""
    souss = await _place(db, "souss", K.REGION, {"fr": "Souss", "ar": "سوس"}, None)
    oriental = await _place(db, "oriental", K.REGION, {"fr": "Oriental", "ar": "الشرق"}, None)
    agadir = await _place(db, "agadir", K.PREFECTURE_PROVINCE, {"fr": "Agadir", "ar": "أكادير"}, souss)
    await _place(db, "berkane", K.PREFECTURE_PROVINCE, {"fr": "Berkane", "ar": "بركان"}, oriental)
    two = await _place(db, "commune-2", K.COMMUNE, {"fr": "Commune 2", "ar": f"جماعة {indic(2)}"}, agadir)
    ten = await _place(db, "commune-10", K.COMMUNE, {"fr": "Commune 10", "ar": f"جماعة {indic(10)}"}, agadir)
    await _place(db, "commune-1", K.COMMUNE, {"fr": "Commune 1", "ar": f"جماعة {indic(1)}"}, agadir)
    three = await _place(db, "commune-3", K.COMMUNE, {"fr": "Commune 3", "ar": f"جماعة {indic(3)}"}, agadir)
    await _plan(db, souss, status=models.PlanStatus.ADOPTED, due=[FUTURE])
    await _plan(db, agadir, status=models.PlanStatus.IN_IMPLEMENTATION, due=[PAST, PAST], done=2)
    await _plan(db, two, status=models.PlanStatus.ADOPTED, due=[PAST, PAST, FUTURE], done=1)
    await _plan(db, ten, status=models.PlanStatus.ADOPTED, due=[PAST, PAST, FUTURE])
    await _plan(db, three, status=models.PlanStatus.DRAFT, due=[PAST])
