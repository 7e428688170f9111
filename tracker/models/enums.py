"""Enumerations shared by the tables, the services and the GraphQL schema."""

from __future__ import annotations

from enum import StrEnum


class CollectivityKind(StrEnum):
    REGION = "REGION"
    PREFECTURE_PROVINCE = "PREFECTURE_PROVINCE"
    COMMUNE = "COMMUNE"


class PlanStatus(StrEnum):
    DRAFT = "DRAFT"
    ADOPTED = "ADOPTED"
    IN_IMPLEMENTATION = "IN_IMPLEMENTATION"
    CLOSED = "CLOSED"


class OgpValue(StrEnum):
    ACCESS_TO_INFORMATION = "ACCESS_TO_INFORMATION"
    CIVIC_PARTICIPATION = "CIVIC_PARTICIPATION"
    PUBLIC_ACCOUNTABILITY = "PUBLIC_ACCOUNTABILITY"
    TECHNOLOGY_AND_INNOVATION = "TECHNOLOGY_AND_INNOVATION"


class WorkStatus(StrEnum):
    """Status of a commitment or a milestone."""

    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    DELAYED = "DELAYED"
    CANCELLED = "CANCELLED"


class Direction(StrEnum):
    INCREASE = "INCREASE"
    DECREASE = "DECREASE"


class MeasurementOrigin(StrEnum):
    MANUAL = "MANUAL"
    SOURCE = "SOURCE"
    IMPORT = "IMPORT"


class EvidenceKind(StrEnum):
    DOCUMENT = "DOCUMENT"
    DATASET = "DATASET"
    NEWS = "NEWS"
    WEB_PAGE = "WEB_PAGE"
    AWARD = "AWARD"
    DECISION = "DECISION"
    OTHER = "OTHER"


class Role(StrEnum):
    ADMIN = "ADMIN"
    EDITOR = "EDITOR"
    MONITOR = "MONITOR"
    ANONYMOUS = "ANONYMOUS"


class BodyKind(StrEnum):
    EQUALITY_AND_GENDER = "EQUALITY_AND_GENDER"
    CITIZEN_COUNCIL = "CITIZEN_COUNCIL"
    YOUTH_COUNCIL = "YOUTH_COUNCIL"
    PRESS_AND_COMMUNICATION = "PRESS_AND_COMMUNICATION"
    ECONOMIC_PARTNERS = "ECONOMIC_PARTNERS"
    OTHER = "OTHER"


class AssessmentStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


class CompletionLevel(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    LIMITED = "LIMITED"
    SUBSTANTIAL = "SUBSTANTIAL"
    COMPLETE = "COMPLETE"


class PotentialImpact(StrEnum):
    NONE = "NONE"
    MINOR = "MINOR"
    MODERATE = "MODERATE"
    TRANSFORMATIVE = "TRANSFORMATIVE"


class OpenedGovernment(StrEnum):
    """OGP's "did it open government?"."""

    WORSENED = "WORSENED"
    DID_NOT_CHANGE = "DID_NOT_CHANGE"
    MARGINAL = "MARGINAL"
    MAJOR = "MAJOR"
    OUTSTANDING = "OUTSTANDING"


class WebhookFormat(StrEnum):
    STANDARD = "STANDARD"
    CLOUDEVENTS = "CLOUDEVENTS"
    SLACK = "SLACK"
    MATTERMOST = "MATTERMOST"
    DISCORD = "DISCORD"
    TEAMS = "TEAMS"
    ROCKETCHAT = "ROCKETCHAT"
    GOOGLE_CHAT = "GOOGLE_CHAT"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class AttemptOutcome(StrEnum):
    SUCCESS = "SUCCESS"
    RETRYABLE = "RETRYABLE"
    PERMANENT = "PERMANENT"


class SourceKind(StrEnum):
    CKAN_DATASET = "CKAN_DATASET"
    CKAN_SEARCH = "CKAN_SEARCH"
    FEED = "FEED"
    JSON_API = "JSON_API"
    DOCUMENT = "DOCUMENT"
    DECIDIM = "DECIDIM"
    ACCESS_REQUESTS = "ACCESS_REQUESTS"


class SourceState(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    FAILING = "FAILING"


class RunOutcome(StrEnum):
    SUCCESS = "SUCCESS"
    NOT_MODIFIED = "NOT_MODIFIED"
    FAILURE = "FAILURE"


class ProposalStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class AccessRequestStatus(StrEnum):
    RECEIVED = "RECEIVED"
    EXTENDED = "EXTENDED"
    ANSWERED = "ANSWERED"
    REFUSED = "REFUSED"
