"""Who is acting, and what they may see and change. Every service receives the acting principal.

The rules live here once, each beside its SQL spelling where a query must filter by it (as
netbox's `restrict()`): the events query, the Atom feed and the subscriptions all call
`readable_events`, the API's field resolvers call `can_manage` and `shown_event_data`, the read
planner (tracker/api/core/planner) spells `can_read_plan` with `plan_visibility` and
`readable_plan_sql`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, exists, not_, or_, true
from sqlmodel import col

from tracker.errors import Forbidden, Unauthenticated
from tracker.models import ActionPlan, OutboxEvent
from tracker.models.enums import PlanStatus, Role


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    name: str
    collectivity_id: uuid.UUID | None = None
    body_id: uuid.UUID | None = None

    @property
    def label(self) -> str:
        """How the principal appears in events and history (never a token)."""
        return self.role.value.lower() if self.role is Role.ANONYMOUS else f"{self.role.value.lower()}:{self.name}"

    @property
    def is_authenticated(self) -> bool:
        return self.role is not Role.ANONYMOUS


ANONYMOUS = Principal(role=Role.ANONYMOUS, name="anonymous")
SYSTEM = Principal(role=Role.ADMIN, name="system")


def can_edit(actor: Principal, collectivity_id: uuid.UUID | None) -> bool:
    """Admins change anything; editors change their own collectivity only (nothing network-wide)."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.EDITOR and collectivity_id is not None and actor.collectivity_id == collectivity_id


def ensure_can_edit(actor: Principal, collectivity_id: uuid.UUID | None) -> None:
    if not actor.is_authenticated:
        raise Unauthenticated("sign in with a bearer token to change plans")
    if not can_edit(actor, collectivity_id):
        raise Forbidden("your role does not allow changing this collectivity")


# Webhook subscriptions and evidence sources are how a collectivity is wired to the outside:
# their URLs carry credentials (chat webhooks keep a token in the path) and their errors name
# internal addresses. Reading them is part of managing them, which is editing.
can_manage = can_edit


def ensure_admin(actor: Principal) -> None:
    if not actor.is_authenticated:
        raise Unauthenticated("sign in with a bearer token")
    if actor.role is not Role.ADMIN:
        raise Forbidden("only network administrators may do this")


def can_read_drafts(actor: Principal, collectivity_id: uuid.UUID) -> bool:
    """Drafts are for the collectivity's own people and the network's administrators."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role in (Role.EDITOR, Role.MONITOR) and actor.collectivity_id == collectivity_id


def can_read_plan(actor: Principal, *, status: str, collectivity_id: uuid.UUID) -> bool:
    return status != "DRAFT" or can_read_drafts(actor, collectivity_id)


class PlanVisibility(Enum):
    """Which plans a principal reads, as far as it changes the text of a query (`can_read_plan`)."""

    ALL = "all"  # administrators: every draft
    PUBLIC = "public"  # anonymous readers, and anyone without a collectivity: no draft
    OWN = "own"  # editors and monitors: the drafts of their own collectivity


def plan_visibility(actor: Principal) -> PlanVisibility:
    if actor.role is Role.ADMIN:
        return PlanVisibility.ALL
    if actor.role in (Role.EDITOR, Role.MONITOR) and actor.collectivity_id is not None:
        return PlanVisibility.OWN
    return PlanVisibility.PUBLIC


def readable_plan_sql(plan: str, visibility: PlanVisibility, own: str) -> str:
    """`can_read_plan` of the action_plan row aliased `plan`, in SQL; `own` is SQL for the uuid of
    the principal's collectivity (read only for `PlanVisibility.OWN`)."""
    if visibility is PlanVisibility.ALL:
        return "true"
    published = f"{plan}.status <> '{PlanStatus.DRAFT.value}'"
    if visibility is PlanVisibility.PUBLIC:
        return published
    return f"({published} OR {plan}.collectivity_id = {own})"


def ensure_can_comment(actor: Principal, collectivity_id: uuid.UUID) -> None:
    """Monitors, the collectivity's editors (to answer) and administrators take part in discussions."""
    if not actor.is_authenticated:
        raise Unauthenticated("sign in with a bearer token to comment")
    if actor.role is Role.ADMIN or actor.collectivity_id == collectivity_id:
        return
    raise Forbidden("you may comment only on your own collectivity's plans")


def ensure_can_moderate(actor: Principal, collectivity_id: uuid.UUID) -> None:
    if not actor.is_authenticated:
        raise Unauthenticated("sign in with a bearer token to moderate")
    if actor.role is Role.ADMIN or (actor.role is Role.EDITOR and actor.collectivity_id == collectivity_id):
        return
    raise Forbidden("only the collectivity's editors and administrators moderate comments")


def ensure_can_assess(actor: Principal, collectivity_id: uuid.UUID) -> uuid.UUID:
    """Assessments are a consultative body's own voice: only its monitors write them. Returns the body."""
    if not actor.is_authenticated:
        raise Unauthenticated("sign in with a bearer token to assess")
    if actor.role is Role.MONITOR and actor.collectivity_id == collectivity_id and actor.body_id is not None:
        return actor.body_id
    raise Forbidden("only monitors of a consultative body of this collectivity write assessments")


def redacted_url(url: str) -> str:
    """`scheme://host/…`: where a URL points without what it carries (tokens in paths, queries)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # a port out of range, a bracket unclosed: nothing worth showing
        return "…"
    if not parts.scheme or not host:
        return "…"
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"


MANAGED_SUBJECTS = frozenset({"WebhookSubscription", "EvidenceSource"})


def readable_events(actor: Principal) -> ColumnElement[bool]:
    """SQL condition on `outbox_event`: the events `actor` may read.

    - Webhook and source events: to who may manage them (`can_manage`), whatever their flag.
    - Other events: to who reads the collectivity's drafts (`can_read_drafts`); to everyone
      else when emitted public (their plan was not a draft then: `public` is fixed at emit,
      so what was written about a draft never becomes public) and their plan is not a draft
      now (a plan set back to draft takes its history with it until published again).
      Events of a deleted plan stay as public as they were.
    """
    if actor.role is Role.ADMIN:
        return true()
    managed = col(OutboxEvent.subject_type).in_(MANAGED_SUBJECTS)
    plan_in_draft = exists().where(
        col(ActionPlan.id) == col(OutboxEvent.plan_id), col(ActionPlan.status) == PlanStatus.DRAFT
    )
    readable = [and_(col(OutboxEvent.public).is_(True), not_(managed), not_(plan_in_draft))]
    own = actor.collectivity_id
    if own is not None:
        in_own = col(OutboxEvent.collectivity_id) == own
        if can_manage(actor, own):
            readable.append(in_own)
        elif can_read_drafts(actor, own):
            readable.append(and_(in_own, not_(managed)))
    return or_(*readable)


def can_read_hidden_text(actor: Principal) -> bool:
    """A comment hidden by a moderator keeps its text for the network's administrators only."""
    return actor.role is Role.ADMIN


def shown_event_data(actor: Principal, event: OutboxEvent, *, comment_hidden: bool = False) -> dict[str, Any]:
    """An event's data as `actor` may read it, once `readable_events` let the event through.

    Webhook URLs show their host only, to everyone. The event that publishes a plan carries
    the values the plan had as a draft (`before`): only who reads drafts sees them. A comment
    hidden since it was posted (`comment_hidden`, known to the caller) takes its text out
    of its events as out of the thread.
    """
    data = dict(event.data)
    if event.subject_type == "WebhookSubscription" and isinstance(data.get("url"), str):
        data["url"] = redacted_url(data["url"])
    comment = data.get("comment")
    if comment_hidden and isinstance(comment, dict) and not can_read_hidden_text(actor):
        data["comment"] = {**comment, "text": None}
    changes = data.get("changes")
    if isinstance(changes, dict) and _publishes(changes) and not _reads_drafts_of(actor, event.collectivity_id):
        data["changes"] = {
            name: change if name == "status" or not isinstance(change, dict) else {**change, "before": None}
            for name, change in changes.items()
        }
    return data


def _publishes(changes: dict[str, Any]) -> bool:
    status = changes.get("status")
    return isinstance(status, dict) and status.get("before") == PlanStatus.DRAFT.value


def _reads_drafts_of(actor: Principal, collectivity_id: uuid.UUID | None) -> bool:
    return actor.role is Role.ADMIN or (collectivity_id is not None and can_read_drafts(actor, collectivity_id))
