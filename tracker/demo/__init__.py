"""Demo data: the Ait Melloul plan 2024-2025 and a synthetic network for scale tests."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import plan_files
from tracker.access import SYSTEM, Principal
from tracker.models import (
    ActionPlan,
    Collectivity,
    Commitment,
    ConsultativeBody,
    EvidenceSource,
    Indicator,
    Role,
)
from tracker.services import assessments, comments, sources

AIT_MELLOUL = Path(__file__).with_name("ait-melloul-2024-2025.yaml")
DEMO_SLUG = "ait-melloul"
EQUALITY_BODY = "ait-melloul-equality-gender"


async def load_ait_melloul(session: AsyncSession) -> bool:
    """Load the demo plan unless the commune is already there; says whether it loaded."""
    existing = (await session.exec(select(Collectivity.id).where(Collectivity.slug == DEMO_SLUG))).first()
    if existing is not None:
        return False
    plan = await plan_files.load(session, actor=SYSTEM, plan_file=plan_files.read(AIT_MELLOUL))
    await _seed_discussion(session, plan)
    await _seed_sources(session, plan)
    return True


async def _first_indicator(session: AsyncSession, plan: ActionPlan, reference: str) -> tuple[Commitment, Indicator]:
    commitment = (
        await session.exec(select(Commitment).where(Commitment.plan_id == plan.id, Commitment.reference == reference))
    ).one()
    indicator = (
        await session.exec(
            select(Indicator).where(Indicator.commitment_id == commitment.id).order_by(col(Indicator.position))
        )
    ).first()
    assert indicator is not None  # the demo file gives every commitment an indicator
    return commitment, indicator


async def _seed_sources(session: AsyncSession, plan: ActionPlan) -> None:
    """Where the commune really publishes, ready but paused: an editor switches them on."""
    am1, _ = await _first_indicator(session, plan, "AM-1")
    _, datasets = await _first_indicator(session, plan, "AM-3")
    await sources.create_source(
        session,
        actor=SYSTEM,
        kind="CKAN_SEARCH",
        url="https://data.gov.ma",
        schedule="P1D",
        target_type="Indicator",
        target_id=datasets.id,
        options={"q": "Ait Melloul"},
        paused=True,
        resolve_url=False,
    )
    await sources.create_source(
        session,
        actor=SYSTEM,
        kind="DOCUMENT",
        url="https://aitmelloul.ma/",
        schedule="P1D",
        target_type="Commitment",
        target_id=am1.id,
        paused=True,
        resolve_url=False,
    )


async def attach_dev_sources(session: AsyncSession, base_url: str) -> int:
    """Sources reading `tracker dev-sources` on loopback each time its publications change
    (`dev_sources.PERIOD`); returns how many were added."""
    from tracker.demo.dev_sources import SCHEDULE

    place = (await session.exec(select(Collectivity).where(Collectivity.slug == DEMO_SLUG))).first()
    if place is None:
        raise LookupError("load the demo first (tracker seed-demo)")
    plan = (await session.exec(select(ActionPlan).where(ActionPlan.collectivity_id == place.id))).one()
    am1, median_days = await _first_indicator(session, plan, "AM-1")
    _, datasets = await _first_indicator(session, plan, "AM-3")
    wanted: list[tuple[str, str, str, uuid.UUID, dict[str, Any]]] = [
        ("CKAN_SEARCH", base_url, "Indicator", datasets.id, {"q": "Ait Melloul"}),
        ("FEED", f"{base_url}/news.xml", "Commitment", am1.id, {"keywords": ["أيت ملول", "Aït Melloul"]}),
        (
            "JSON_API",
            f"{base_url}/stats.json",
            "Indicator",
            median_days.id,
            {"valuePath": "/accessRequests/medianDaysToAnswer"},
        ),
    ]
    existing = set((await session.exec(select(EvidenceSource.url))).all())
    added = 0
    for kind, url, target_type, target_id, options in wanted:
        if url in existing:
            continue
        await sources.create_source(
            session,
            actor=SYSTEM,
            kind=kind,
            url=url,
            schedule=SCHEDULE,
            target_type=target_type,
            target_id=target_id,
            options=options,
            allow_private=True,
        )
        added += 1
    return added


async def _seed_discussion(session: AsyncSession, plan: ActionPlan) -> None:
    """An illustrative exchange between the equality body and the commune, and one published
    assessment: what the consultation space looks like once in use (not reported facts)."""
    body = (await session.exec(select(ConsultativeBody).where(ConsultativeBody.slug == EQUALITY_BODY))).one()
    first = (
        await session.exec(select(Commitment).where(Commitment.plan_id == plan.id, Commitment.reference == "AM-1"))
    ).one()
    rapporteur = Principal(role=Role.MONITOR, name="rapporteur", collectivity_id=plan.collectivity_id, body_id=body.id)
    staff = Principal(role=Role.EDITOR, name="focal point", collectivity_id=plan.collectivity_id)
    question = await comments.post_comment(
        session,
        actor=rapporteur,
        commitment_id=first.id,
        text=(
            "تطلب الهيئة أن تُنشر إحصاءات طلبات الحصول على المعلومات مصنفة حسب النوع، "
            "لمعرفة مدى استفادة النساء من هذا الحق.\n\n"
            "L'instance demande que les statistiques des demandes d'accès à l'information soient "
            "publiées **ventilées par sexe**."
        ),
    )
    await comments.post_comment(
        session,
        actor=staff,
        commitment_id=first.id,
        parent_id=question.id,
        text=("سيتضمن التقرير السنوي المقبل هذا التصنيف.\n\nLe prochain rapport annuel présentera cette ventilation."),
    )
    draft = await assessments.draft_assessment(
        session,
        actor=rapporteur,
        commitment_id=first.id,
        completion="SUBSTANTIAL",
        potential_impact="MODERATE",
        opened_government="MARGINAL",
        rationale=(
            "النشر الاستباقي تقدم بشكل ملموس، لكن المعطيات المنشورة لا تتيح بعد تتبع استفادة النساء.\n\n"
            "La publication proactive a nettement progressé, mais les données publiées ne permettent "
            "pas encore de suivre l'accès des femmes à l'information."
        ),
    )
    await assessments.publish_assessment(session, actor=rapporteur, id=draft.id)
