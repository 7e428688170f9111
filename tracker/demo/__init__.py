"""Demo data: the Ait Melloul plan 2024-2025 and a synthetic network for scale tests."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import plan_files
from tracker.access import SYSTEM, Principal
from tracker.models import ActionPlan, Collectivity, Commitment, ConsultativeBody, Role
from tracker.services import assessments, comments

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
    return True


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
