"""Event type names: `<entity>.<past verb>`, as published in the contract."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    COLLECTIVITY_CREATED = "collectivity.created"
    COLLECTIVITY_UPDATED = "collectivity.updated"
    PLAN_CREATED = "plan.created"
    PLAN_UPDATED = "plan.updated"
    PLAN_STATUS_CHANGED = "plan.status_changed"
    PLAN_DELETED = "plan.deleted"
    COMMITMENT_CREATED = "commitment.created"
    COMMITMENT_UPDATED = "commitment.updated"
    COMMITMENT_STATUS_CHANGED = "commitment.status_changed"
    COMMITMENT_PROGRESS_CHANGED = "commitment.progress_changed"
    COMMITMENT_DELETED = "commitment.deleted"
    MILESTONE_CREATED = "milestone.created"
    MILESTONE_UPDATED = "milestone.updated"
    MILESTONE_STATUS_CHANGED = "milestone.status_changed"
    MILESTONE_COMPLETED = "milestone.completed"
    MILESTONE_DUE_SOON = "milestone.due_soon"
    MILESTONE_OVERDUE = "milestone.overdue"
    MILESTONE_DELETED = "milestone.deleted"
    MILESTONE_COMPLETION_PROPOSED = "milestone.completion_proposed"
    INDICATOR_CREATED = "indicator.created"
    INDICATOR_UPDATED = "indicator.updated"
    INDICATOR_DELETED = "indicator.deleted"
    INDICATOR_MEASURED = "indicator.measured"
    EVIDENCE_ADDED = "evidence.added"
    ACCESS_REQUEST_RECORDED = "access_request.recorded"
    ACCESS_REQUEST_UPDATED = "access_request.updated"
    EVIDENCE_REMOVED = "evidence.removed"
    SOURCE_FAILED = "source.failed"
    SOURCE_RECOVERED = "source.recovered"
    BODY_CREATED = "body.created"
    BODY_UPDATED = "body.updated"
    COMMENT_CREATED = "comment.created"
    COMMENT_HIDDEN = "comment.hidden"
    ASSESSMENT_PUBLISHED = "assessment.published"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_PING = "webhook.ping"


# Changes people make to records leave an audit entry. Derived events (progress, reminders) and
# the echoes of an update (status_changed, completed) do not: the update's entry holds them.
AUDITED = frozenset(
    {
        event
        for event in EventType
        if event.value.rsplit(".", 1)[1]
        in ("created", "updated", "deleted", "added", "removed", "measured", "published")
    }
)
