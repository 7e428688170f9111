"""Every mutation against every role: who may, who is refused, and how.

Roles: an administrator, an editor and a monitor of the collectivity that owns the target,
the same of another collectivity, and an anonymous client. After each, `tracker verify`'s check
runs: the progress and counts kept on write must still be what the rule computes from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from tests.support.accountability import Place, place_with_body
from tests.support.derived import assert_no_drift
from tests.support.graphql import Client, error_codes
from tracker.access import Principal
from tracker.api.core.relay import decode_id, encode_id
from tracker.api.schema import build_schema
from tracker.db import Database
from tracker.models import (
    AccessRequest,
    ActionPlan,
    Commitment,
    ConsultativeBody,
    DeliveryStatus,
    MilestoneProposal,
    Role,
)
from tracker.services.assessments import draft_assessment
from tracker.services.comments import post_comment
from tracker.services.evidence import add_evidence
from tracker.services.indicators import create_indicator
from tracker.services.sources import create_source
from tracker.services.webhooks import create_subscription, ping
from tracker.settings import Settings

ROLES = ("ADMIN", "EDITOR_OWN", "EDITOR_OTHER", "MONITOR_OWN", "MONITOR_OTHER", "ANONYMOUS")
STAFF = {"ADMIN", "EDITOR_OWN"}


@dataclass(frozen=True)
class World:
    own: Place
    other: Place
    collectivity: str
    plan: str
    body: str
    indicator: str
    evidence: str
    comment: str
    assessment: str
    subscription: str
    delivery: str
    source: str
    proposal: str
    access_request: str


async def build_world(db: Database) -> World:
    """Two collectivities with a body each; the own one has one record of every kind."""
    own = await place_with_body(db, slug="tiznit")
    other = await place_with_body(db, slug="agadir")
    commitment_id = decode_id(own.commitment_id)[1]
    async with db.transaction() as session:
        commitment = await session.get(Commitment, commitment_id)
        assert commitment is not None
        plan = await session.get(ActionPlan, commitment.plan_id)
        assert plan is not None
        body = (await session.exec(select(ConsultativeBody).where(ConsultativeBody.slug == "tiznit-equality"))).one()
        admin = Principal(role=Role.ADMIN, name="seed")
        monitor = Principal(role=Role.MONITOR, name="seed", collectivity_id=plan.collectivity_id, body_id=body.id)
        indicator = await create_indicator(
            session, actor=admin, commitment_id=commitment_id, name={"fr": "Jeux"}, unit="jeux", baseline=0, target=10
        )
        evidence = await add_evidence(
            session, actor=admin, commitment_id=commitment_id, url="https://data.gov.ma/", title={"fr": "Portail"}
        )
        comment = await post_comment(session, actor=monitor, commitment_id=commitment_id, text="Question")
        assessment = await draft_assessment(
            session,
            actor=monitor,
            commitment_id=commitment_id,
            completion="LIMITED",
            potential_impact="MINOR",
            opened_government="MARGINAL",
            rationale="Début.",
        )
        subscription, _secret = await create_subscription(
            session,
            actor=admin,
            url="http://127.0.0.1:9/hook",
            format="STANDARD",
            scope_type="Collectivity",
            scope_id=plan.collectivity_id,
            allow_private=True,
        )
        delivery = await ping(session, actor=admin, id=subscription.id)
        source = await create_source(
            session,
            actor=admin,
            kind="DOCUMENT",
            url="http://127.0.0.1:9/report",
            schedule="PT6H",
            target_type="Commitment",
            target_id=commitment_id,
            allow_private=True,
        )
        milestone_key = decode_id(own.milestone_id)[1]
        proposal = MilestoneProposal(milestone_id=milestone_key, source_id=source.id, reason="seed", value=1.0)
        session.add(proposal)
        access_request = AccessRequest(
            collectivity_id=plan.collectivity_id, reference="DI-0", received_on=datetime(2025, 2, 3, tzinfo=UTC).date()
        )
        session.add(access_request)
        delivery.status = DeliveryStatus.FAILED
        session.add(delivery)
    return World(
        own=own,
        other=other,
        collectivity=encode_id("Collectivity", plan.collectivity_id),
        plan=encode_id("ActionPlan", plan.id),
        body=encode_id("ConsultativeBody", body.id),
        indicator=encode_id("Indicator", indicator.id),
        evidence=encode_id("Evidence", evidence.id),
        comment=encode_id("Comment", comment.id),
        assessment=encode_id("Assessment", assessment.id),
        subscription=encode_id("WebhookSubscription", subscription.id),
        delivery=encode_id("WebhookDelivery", delivery.id),
        source=encode_id("EvidenceSource", source.id),
        proposal=encode_id("MilestoneProposal", proposal.id),
        access_request=encode_id("AccessRequest", access_request.id),
    )


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    allowed: frozenset[str]

    def variables(self, world: World) -> dict[str, Any]:
        return {"input": INPUTS[self.name](world)}


def _mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename }} }}"


INPUTS: dict[str, Any] = {
    "createCollectivity": lambda w: {"slug": "inezgane", "kind": "COMMUNE", "name": {"fr": "Inezgane"}},
    "updateCollectivity": lambda w: {"id": w.collectivity, "name": {"fr": "Tiznit!"}},
    "createPlan": lambda w: {
        "collectivityId": w.collectivity,
        "title": {"fr": "Plan 2026"},
        "period": {"start": "2026-01-01", "end": "2027-12-31"},
    },
    "updatePlan": lambda w: {"id": w.plan, "status": "IN_IMPLEMENTATION"},
    "deletePlan": lambda w: {"id": w.plan},
    "createCommitment": lambda w: {"planId": w.plan, "reference": "N-1", "title": {"fr": "Nouveau"}},
    "updateCommitment": lambda w: {"id": w.own.commitment_id, "status": "IN_PROGRESS"},
    "deleteCommitment": lambda w: {"id": w.own.commitment_id},
    "createMilestone": lambda w: {"commitmentId": w.own.commitment_id, "title": {"fr": "Étape"}, "dueOn": "2025-01-31"},
    "updateMilestone": lambda w: {"id": w.own.milestone_id, "status": "COMPLETED", "completedOn": "2024-06-01"},
    "deleteMilestone": lambda w: {"id": w.own.milestone_id},
    "createIndicator": lambda w: {
        "commitmentId": w.own.commitment_id,
        "name": {"fr": "Taux"},
        "unit": "%",
        "baseline": 0,
        "target": 100,
    },
    "updateIndicator": lambda w: {"id": w.indicator, "target": 20},
    "deleteIndicator": lambda w: {"id": w.indicator},
    "recordMeasurement": lambda w: {
        "indicatorId": w.indicator,
        "value": 4,
        "observedAt": datetime(2025, 1, 1, tzinfo=UTC).isoformat(),
    },
    "addEvidence": lambda w: {
        "commitmentId": w.own.commitment_id,
        "url": "https://example.org/x",
        "title": {"fr": "X"},
    },
    "deleteEvidence": lambda w: {"id": w.evidence},
    "createConsultativeBody": lambda w: {
        "collectivityId": w.collectivity,
        "slug": "tiznit-youth",
        "kind": "YOUTH_COUNCIL",
        "name": {"fr": "Jeunes"},
    },
    "updateConsultativeBody": lambda w: {"id": w.body, "name": {"fr": "Égalité"}},
    "postComment": lambda w: {"subjectId": w.own.commitment_id, "body": "Avis"},
    "hideComment": lambda w: {"id": w.comment, "reason": "Hors sujet"},
    "createAssessment": lambda w: {
        "commitmentId": w.own.commitment_id,
        "completion": "LIMITED",
        "potentialImpact": "MINOR",
        "openedGovernment": "MARGINAL",
        "rationale": "Avis",
    },
    "updateAssessment": lambda w: {"id": w.assessment, "rationale": "Avis revu"},
    "publishAssessment": lambda w: {"id": w.assessment},
    "createWebhookSubscription": lambda w: {
        "url": "http://127.0.0.1:9/other",
        "format": "SLACK",
        "scopeId": w.collectivity,
    },
    "updateWebhookSubscription": lambda w: {"id": w.subscription, "eventTypes": ["milestone.*"]},
    "deleteWebhookSubscription": lambda w: {"id": w.subscription},
    "rotateWebhookSecret": lambda w: {"id": w.subscription},
    "pingWebhook": lambda w: {"id": w.subscription},
    "redeliverWebhook": lambda w: {"deliveryId": w.delivery},
    "createEvidenceSource": lambda w: {
        "kind": "FEED",
        "url": "http://127.0.0.1:9/feed.xml",
        "schedule": "PT6H",
        "targetId": w.own.commitment_id,
    },
    "updateEvidenceSource": lambda w: {"id": w.source, "paused": True},
    "deleteEvidenceSource": lambda w: {"id": w.source},
    "runSourceNow": lambda w: {"id": w.source},
    "acceptMilestoneProposal": lambda w: {"id": w.proposal, "completedOn": "2024-06-01"},
    "rejectMilestoneProposal": lambda w: {"id": w.proposal, "note": "Pas encore"},
    "recordAccessRequest": lambda w: {
        "collectivityId": w.collectivity,
        "reference": "DI-9",
        "receivedOn": "2025-02-04",
    },
    "updateAccessRequest": lambda w: {"id": w.access_request, "status": "EXTENDED"},
    "recoverWebhookDeliveries": lambda w: {
        "subscriptionId": w.subscription,
        "since": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
    },
}


CASES = [
    Case("createCollectivity", _mutation("createCollectivity", "CreateCollectivityInput"), frozenset({"ADMIN"})),
    Case("updateCollectivity", _mutation("updateCollectivity", "UpdateCollectivityInput"), frozenset({"ADMIN"})),
    *(
        Case(name, _mutation(name, input_type), frozenset(STAFF))
        for name, input_type in [
            ("createPlan", "CreatePlanInput"),
            ("updatePlan", "UpdatePlanInput"),
            ("deletePlan", "DeleteInput"),
            ("createCommitment", "CreateCommitmentInput"),
            ("updateCommitment", "UpdateCommitmentInput"),
            ("deleteCommitment", "DeleteInput"),
            ("createMilestone", "CreateMilestoneInput"),
            ("updateMilestone", "UpdateMilestoneInput"),
            ("deleteMilestone", "DeleteInput"),
            ("createIndicator", "CreateIndicatorInput"),
            ("updateIndicator", "UpdateIndicatorInput"),
            ("deleteIndicator", "DeleteInput"),
            ("recordMeasurement", "RecordMeasurementInput"),
            ("addEvidence", "AddEvidenceInput"),
            ("deleteEvidence", "DeleteInput"),
            ("createConsultativeBody", "CreateConsultativeBodyInput"),
            ("updateConsultativeBody", "UpdateConsultativeBodyInput"),
            ("hideComment", "HideCommentInput"),
            ("createWebhookSubscription", "CreateWebhookSubscriptionInput"),
            ("updateWebhookSubscription", "UpdateWebhookSubscriptionInput"),
            ("deleteWebhookSubscription", "WebhookSubscriptionIdInput"),
            ("rotateWebhookSecret", "WebhookSubscriptionIdInput"),
            ("pingWebhook", "WebhookSubscriptionIdInput"),
            ("redeliverWebhook", "RedeliverWebhookInput"),
            ("recoverWebhookDeliveries", "RecoverWebhookDeliveriesInput"),
            ("createEvidenceSource", "CreateEvidenceSourceInput"),
            ("updateEvidenceSource", "UpdateEvidenceSourceInput"),
            ("deleteEvidenceSource", "EvidenceSourceIdInput"),
            ("runSourceNow", "EvidenceSourceIdInput"),
            ("acceptMilestoneProposal", "AcceptMilestoneProposalInput"),
            ("rejectMilestoneProposal", "RejectMilestoneProposalInput"),
            ("recordAccessRequest", "RecordAccessRequestInput"),
            ("updateAccessRequest", "UpdateAccessRequestInput"),
        ]
    ),
    Case("postComment", _mutation("postComment", "PostCommentInput"), frozenset({*STAFF, "MONITOR_OWN"})),
    Case("createAssessment", _mutation("createAssessment", "CreateAssessmentInput"), frozenset({"MONITOR_OWN"})),
    Case("updateAssessment", _mutation("updateAssessment", "UpdateAssessmentInput"), frozenset({"MONITOR_OWN"})),
    Case("publishAssessment", _mutation("publishAssessment", "PublishAssessmentInput"), frozenset({"MONITOR_OWN"})),
]


def _headers(client: Client, world: World, role: str) -> dict[str, str]:
    tokens = {
        "ADMIN": client.admin_token,
        "EDITOR_OWN": world.own.editor,
        "EDITOR_OTHER": world.other.editor,
        "MONITOR_OWN": world.own.monitor,
        "MONITOR_OTHER": world.other.monitor,
    }
    return client.bearer(tokens[role]) if role in tokens else {}


def test_the_matrix_covers_every_mutation() -> None:
    mutations = set(build_schema(Settings())._schema.mutation_type.fields)  # type: ignore[union-attr]
    assert mutations == {case.name for case in CASES}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_role_may_or_may_not_run_mutation(client: Client, db: Database, case: Case, role: str) -> None:
    world = await build_world(db)
    body_json = await client.execute(case.document, case.variables(world), headers=_headers(client, world, role))
    if role in case.allowed:
        assert "errors" not in body_json, body_json
    elif role == "ANONYMOUS":
        assert error_codes(body_json) == [("UNAUTHENTICATED", None)]
    else:
        assert error_codes(body_json) == [("FORBIDDEN", None)]
    await assert_no_drift(db)  # the values kept on write moved with the change, or stayed with the refusal
