"""The domain enums as GraphQL enums, with descriptions (registered before the schema is built)."""

from __future__ import annotations

from enum import Enum

import strawberry

from tracker import models

DESCRIPTIONS: dict[type[Enum], str] = {
    models.CollectivityKind: "Kind of territorial collectivity.",
    models.PlanStatus: "Life cycle of an action plan.",
    models.OgpValue: "Open Government Partnership values.",
    models.WorkStatus: "Status of a commitment or a milestone.",
    models.Direction: "Which way an indicator should move.",
    models.MeasurementOrigin: "Where a value came from.",
    models.EvidenceKind: "What a piece of evidence is.",
    models.Role: "What a caller may do: network admin, editor of one collectivity, monitor, anonymous.",
    models.BodyKind: "Kind of consultative body.",
    models.AssessmentStatus: "DRAFT (private to its body) or PUBLISHED.",
    models.CompletionLevel: "How far a commitment was completed (OGP IRM scale).",
    models.PotentialImpact: "What a commitment could change if completed (OGP IRM scale).",
    models.OpenedGovernment: "Did it open government? (OGP IRM scale).",
    models.WebhookFormat: "Body format of a webhook: Standard Webhooks, CloudEvents, or a chat platform's.",
    models.DeliveryStatus: "PENDING while being attempted, then SUCCEEDED or FAILED.",
    models.AttemptOutcome: "What one try gave: success, worth retrying, or final failure.",
    models.SourceKind: "What kind of publication an evidence source reads.",
    models.SourceState: "ACTIVE, PAUSED by staff, or FAILING after repeated failures.",
    models.ProposalStatus: "PENDING until staff accept or reject what a source proposed.",
    models.AccessRequestStatus: "Where a request for information stands (law 31-13).",
    models.RunOutcome: "What a source run gave: new data, nothing new (304), or a failure.",
}


def describe_enums() -> None:
    for enum, description in DESCRIPTIONS.items():
        strawberry.enum(enum, description=description)
