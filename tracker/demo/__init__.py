"""Demo data: the Ait Melloul plan 2024-2025 and a synthetic network for scale tests."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import plan_files
from tracker.access import SYSTEM
from tracker.models import Collectivity

AIT_MELLOUL = Path(__file__).with_name("ait-melloul-2024-2025.yaml")
DEMO_SLUG = "ait-melloul"


async def load_ait_melloul(session: AsyncSession) -> bool:
    """Load the demo plan unless the commune is already there; says whether it loaded."""
    existing = (await session.exec(select(Collectivity.id).where(Collectivity.slug == DEMO_SLUG))).first()
    if existing is not None:
        return False
    await plan_files.load(session, actor=SYSTEM, plan_file=plan_files.read(AIT_MELLOUL))
    return True
