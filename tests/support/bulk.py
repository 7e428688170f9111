"""Plans and commitments with hundreds of rows, for tests comparing a small world with a large one.

The rows are the ones the services would write (same fields, positions and fingerprints), added
in one flush instead of one service call each: a call settles the progress of the whole plan, so
500 of them cost minutes on a loaded machine. Their derived values are then written by the
progress rule (`derived.rebuild`, as `tracker verify --fix`) and checked as `tracker verify` would.
No events are written for them: seed data, as the synthetic network's (tracker/demo/network.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlmodel import func, select

from tests.support.builders import small_plan
from tests.support.derived import assert_no_drift
from tracker import models
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.services import derived, indicators
from tracker.services.evidence import fingerprint_of


async def plan_of_commitments(db: Database, *, slug: str, count: int) -> models.ActionPlan:
    """What `small_plan(db, slug=slug, commitments_count=count)` makes: commitments T-1 to T-count,
    each with one milestone due on 2024-06-30."""
    plan, _none = await small_plan(db, slug=slug, commitments_count=0)
    async with db.transaction() as session:
        commitments = [
            models.Commitment(
                plan_id=plan.id, position=number, reference=f"T-{number + 1}", title={"fr": f"Engagement {number}"}
            )
            for number in range(count)
        ]
        session.add_all(commitments)
        await session.flush()
        session.add_all(
            models.Milestone(commitment_id=commitment.id, position=0, title={"fr": "Étape"}, due_on=date(2024, 6, 30))
            for commitment in commitments
        )
        await session.flush()
        await derived.rebuild(session)
    await assert_no_drift(db)
    return plan


async def grow_commitment(db: Database, commitment_id: uuid.UUID, rows: int) -> uuid.UUID:
    """Give the commitment `rows` more milestones, `rows` measurements of a new indicator and `rows`
    pieces of evidence; returns the indicator's id."""
    async with db.transaction() as session:
        indicator = await indicators.create_indicator(
            session,
            actor=SYSTEM,
            commitment_id=commitment_id,
            name={"fr": "Indicateur"},
            unit="%",
            baseline=0,
            target=100,
        )
        count = select(func.count()).where(models.Milestone.commitment_id == commitment_id)
        first = int((await session.exec(count)).one())
        rows_made: list[models.Milestone | models.Measurement | models.Evidence] = []
        for number in range(rows):
            url = f"https://example.org/{number}"
            rows_made.append(
                models.Milestone(
                    commitment_id=commitment_id,
                    position=first + number,
                    title={"fr": f"Étape {number}"},
                    due_on=date(2024, 1, 1) + timedelta(days=number),
                )
            )
            rows_made.append(
                models.Measurement(
                    indicator_id=indicator.id,
                    value=float(number),
                    observed_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=number),
                )
            )
            rows_made.append(
                models.Evidence(
                    commitment_id=commitment_id, url=url, title={"fr": "Preuve"}, fingerprint=fingerprint_of(url)
                )
            )
        session.add_all(rows_made)
        await session.flush()
        await derived.rebuild(session)
    await assert_no_drift(db)
    return indicator.id
