"""Who is acting, and what they may change. Every service receives the acting principal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tracker.errors import Forbidden, Unauthenticated
from tracker.models.enums import Role


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


def ensure_can_edit(actor: Principal, collectivity_id: uuid.UUID | None) -> None:
    """Admins change anything; editors change their own collectivity only."""
    if not actor.is_authenticated:
        raise Unauthenticated("sign in with a bearer token to change plans")
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.EDITOR and collectivity_id is not None and actor.collectivity_id == collectivity_id:
        return
    raise Forbidden("your role does not allow changing this collectivity")


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
