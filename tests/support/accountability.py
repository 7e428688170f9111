"""A collectivity with a plan and a consultative body, and tokens for its people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from tests.support.builders import small_plan
from tests.support.tokens import token_for
from tracker.access import SYSTEM
from tracker.api.core.relay import encode_id
from tracker.db import Database
from tracker.models import BodyKind, Milestone, PlanStatus, Role
from tracker.services.bodies import create_body


@dataclass(frozen=True)
class Place:
    slug: str
    commitment_id: str
    milestone_id: str
    editor: str
    monitor: str


async def place_with_body(db: Database, slug: str = "tiznit", status: PlanStatus = PlanStatus.ADOPTED) -> Place:
    plan, commitments = await small_plan(db, slug=slug, status=status)
    async with db.transaction() as session:
        await create_body(
            session,
            actor=SYSTEM,
            collectivity_id=plan.collectivity_id,
            slug=f"{slug}-equality",
            kind=BodyKind.EQUALITY_AND_GENDER,
            name={"fr": "Instance de l'égalité"},
        )
    async with db.reader() as session:
        milestone = (await session.exec(select(Milestone).where(Milestone.commitment_id == commitments[0].id))).one()
    return Place(
        slug=slug,
        commitment_id=encode_id("Commitment", commitments[0].id),
        milestone_id=encode_id("Milestone", milestone.id),
        editor=await token_for(db, Role.EDITOR, collectivity=slug),
        monitor=await token_for(db, Role.MONITOR, body=f"{slug}-equality"),
    )
