"""Events that only some readers may see: a plan set back to draft, a disabled webhook, a failing source."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.support.graphql import Client
from tests.support.publisher import Publisher
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.models import ActionPlan, Collectivity, Commitment, PlanStatus, WebhookSubscription
from tracker.models.base import utcnow
from tracker.services import comments, plans, webhooks

DRAFT_TITLE = "Titre du brouillon secret"
# A chat platform's webhook URL: the path is the credential.
SECRET_HOOK = "http://127.0.0.1:9/services/T000/B000/s3cr3t-t0ken"
# What a source failing against an internal address reveals.
INTERNAL_SOURCE_PATH = "/internal/budget-10-0-0-7"


async def _plan_of(session: AsyncSession, slug: str) -> ActionPlan:
    place = (await session.exec(select(Collectivity).where(Collectivity.slug == slug))).one()
    return (await session.exec(select(ActionPlan).where(ActionPlan.collectivity_id == place.id))).one()


async def set_back_to_draft_and_retitle(db: Database, slug: str) -> None:
    """A published plan goes back to draft, then gets a title nobody outside may read yet."""
    async with db.transaction() as session:
        plan = await _plan_of(session, slug)
        await plans.update_plan(session, actor=SYSTEM, id=plan.id, status=PlanStatus.DRAFT)
    async with db.transaction() as session:
        await plans.update_plan(session, actor=SYSTEM, id=plan.id, title={"fr": DRAFT_TITLE, "ar": DRAFT_TITLE})


async def publish_with_a_new_title(db: Database, slug: str, title: str) -> None:
    """A draft plan adopted and retitled in one change: the event carries the draft title as `before`."""
    async with db.transaction() as session:
        plan = await _plan_of(session, slug)
        await plans.update_plan(session, actor=SYSTEM, id=plan.id, status=PlanStatus.ADOPTED, title={"fr": title})


async def posted_then_hidden_comment(db: Database, slug: str, text: str) -> None:
    """A comment on the plan's first commitment, then hidden by a moderator."""
    async with db.transaction() as session:
        plan = await _plan_of(session, slug)
        commitment = (await session.exec(select(Commitment).where(Commitment.plan_id == plan.id))).first()
        assert commitment is not None
        comment = await comments.post_comment(session, actor=SYSTEM, commitment_id=commitment.id, text=text)
    async with db.transaction() as session:
        await comments.hide_comment(session, actor=SYSTEM, id=comment.id, reason="Hors charte")


async def disabled_webhook(db: Database, slug: str) -> WebhookSubscription:
    """A collectivity's webhook disabled as the delivery job does it (webhook.disabled, with its URL)."""
    async with db.transaction() as session:
        place = (await session.exec(select(Collectivity).where(Collectivity.slug == slug))).one()
        subscription, _secret = await webhooks.create_subscription(
            session,
            actor=SYSTEM,
            url=SECRET_HOOK,
            format="SLACK",
            scope_type="Collectivity",
            scope_id=place.id,
            allow_private=True,
        )
        webhooks.disable(session, subscription, reason="410 Gone", now=utcnow())
    return subscription


CREATE_SOURCE = """
mutation($input: CreateEvidenceSourceInput!) { createEvidenceSource(input: $input) { source { id } } }
"""
RUN_SOURCE = "mutation($id: ID!) { runSourceNow(input: {id: $id}) { source { state } } }"


async def failing_source(client: Client, site: Publisher, commitment_id: str) -> str:
    """A source polled until it turns FAILING (source.failed, with its URL and error); its global ID."""
    site.pages[INTERNAL_SOURCE_PATH] = (500, "text/plain", "upstream 10.0.0.7 refused")
    variables = {
        "input": {
            "kind": "DOCUMENT",
            "url": f"{site.url}{INTERNAL_SOURCE_PATH}",
            "schedule": "PT6H",
            "targetId": commitment_id,
            "options": {"language": "fr"},
        }
    }
    source_id: str = (await client.data(CREATE_SOURCE, variables, admin=True))["createEvidenceSource"]["source"]["id"]
    for _ in range(3):
        state = (await client.data(RUN_SOURCE, {"id": source_id}, admin=True))["runSourceNow"]["source"]["state"]
    assert state == "FAILING"
    return source_id
