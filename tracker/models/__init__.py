"""SQLModel tables. Importing this package registers every table on the metadata."""

from __future__ import annotations

from sqlmodel import SQLModel

from tracker.models.access import ApiToken, ConsultativeBody
from tracker.models.access_requests import AccessRequest
from tracker.models.accountability import Assessment, Comment
from tracker.models.audit import AuditEntry
from tracker.models.collectivity import Collectivity
from tracker.models.enums import (
    AccessRequestStatus,
    AssessmentStatus,
    AttemptOutcome,
    BodyKind,
    CollectivityKind,
    CompletionLevel,
    DeliveryStatus,
    Direction,
    EvidenceKind,
    MeasurementOrigin,
    OgpValue,
    OpenedGovernment,
    PlanStatus,
    PotentialImpact,
    ProposalStatus,
    Role,
    RunOutcome,
    SourceKind,
    SourceState,
    WebhookFormat,
    WorkStatus,
)
from tracker.models.evidence import Evidence
from tracker.models.idempotency import IdempotencyKey
from tracker.models.indicator import Indicator, Measurement
from tracker.models.network import NetworkStats
from tracker.models.outbox import OutboxEvent
from tracker.models.people import Invitation, Person, PersonRole
from tracker.models.plan import ActionPlan, Commitment, Milestone, MilestoneReminder
from tracker.models.rate_limits import RateLimitCounter
from tracker.models.sources import EvidenceSource, MilestoneProposal, SourceRun
from tracker.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription

metadata = SQLModel.metadata

__all__ = [
    "AccessRequest",
    "AccessRequestStatus",
    "ActionPlan",
    "ApiToken",
    "Assessment",
    "AssessmentStatus",
    "AttemptOutcome",
    "AuditEntry",
    "BodyKind",
    "Collectivity",
    "CollectivityKind",
    "Comment",
    "Commitment",
    "CompletionLevel",
    "ConsultativeBody",
    "DeliveryStatus",
    "Direction",
    "Evidence",
    "EvidenceKind",
    "EvidenceSource",
    "IdempotencyKey",
    "Indicator",
    "Invitation",
    "Measurement",
    "MeasurementOrigin",
    "Milestone",
    "MilestoneProposal",
    "MilestoneReminder",
    "NetworkStats",
    "OgpValue",
    "OpenedGovernment",
    "OutboxEvent",
    "Person",
    "PersonRole",
    "PlanStatus",
    "PotentialImpact",
    "ProposalStatus",
    "RateLimitCounter",
    "Role",
    "RunOutcome",
    "SourceKind",
    "SourceRun",
    "SourceState",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookFormat",
    "WebhookSubscription",
    "WorkStatus",
    "metadata",
]
