"""People: invited by an administrator with a role, they set a password and sign in.

An invitation's token is 256 random bits shown once (in the link) and stored as its SHA-256, as
API tokens are. Passwords are hashed with argon2id (argon2-cffi's defaults). A person acts with
the principal of their role (tracker/access.py), the same checks as a token's.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal
from tracker.errors import BadInput, NotFound
from tracker.models import Collectivity, ConsultativeBody, Invitation, Person, PersonRole, Role
from tracker.models.base import utcnow
from tracker.services.tokens import scope_of

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
INVITATION_DAYS = 7
_HASHER = PasswordHasher()
# Verified when the email is unknown, so that the answer takes as long as for a wrong password.
_NOBODY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
# A role outranks those after it: a person holding several acts with the first.
_RANK = (Role.ADMIN, Role.EDITOR, Role.MONITOR)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str) -> str:
    address = normal_email(email)
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or len(address) > 254 or any(c.isspace() for c in address):
        raise BadInput("email must be an address such as name@example.org", field="email")
    return address


async def invite(
    session: AsyncSession,
    *,
    email: str,
    role: Role,
    collectivity_slug: str | None = None,
    body_slug: str | None = None,
    days: int = INVITATION_DAYS,
) -> tuple[Invitation, str]:
    """A new invitation and its token, which is never stored and cannot be shown again."""
    address = _check_email(email)
    if role is Role.ANONYMOUS:
        raise BadInput("an invitation cannot be anonymous", field="role")
    collectivity_id, body_id = await scope_of(session, role, collectivity_slug=collectivity_slug, body_slug=body_slug)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_digest(token),
        email=address,
        role=role,
        collectivity_id=collectivity_id,
        body_id=body_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


def invitation_path(token: str) -> str:
    return f"/invitations/{token}"


async def open_invitation(session: AsyncSession, token: str) -> Invitation:
    """The invitation `token` stands for while it may still be accepted; any other is NOT_FOUND."""
    found = (await session.exec(select(Invitation).where(Invitation.token_hash == _digest(token)))).first()
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        raise NotFound("this invitation is unknown, expired or already used", field="token")
    return found


def password_errors(password: str, confirmation: str) -> dict[str, str]:
    """What is wrong with a new password, by field: empty when it may be set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return {"password": "too_short"}
    if len(password) > MAX_PASSWORD_LENGTH:
        return {"password": "too_long"}
    if password != confirmation:
        return {"confirmation": "mismatch"}
    return {}


def name_errors(display_name: str) -> dict[str, str]:
    name = display_name.strip()
    return {} if 1 <= len(name) <= 120 else {"display_name": "length"}


async def accept(
    session: AsyncSession, invitation: Invitation, *, display_name: str, password: str, confirmation: str
) -> Person:
    """The invited person, with the invitation's role and a new password; the invitation is used.
    A person invited again (a second role) keeps their account and gets the new password."""
    errors = name_errors(display_name) | password_errors(password, confirmation)
    if errors:
        field = next(iter(errors))
        raise BadInput(f"{field} is not acceptable ({errors[field]})", field=field)
    # Used once only, even by two requests at the same moment: the second updates no row.
    used = await session.exec(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        raise NotFound("this invitation is unknown, expired or already used", field="token")
    person = (await session.exec(select(Person).where(Person.email == invitation.email))).first()
    if person is None:
        person = Person(email=invitation.email, display_name=display_name.strip())
    else:
        person.display_name = display_name.strip()
        person.session_version += 1
        person.updated_at = utcnow()
    person.password_hash = _HASHER.hash(password)
    session.add(person)
    await session.flush()
    session.add(
        PersonRole(
            person_id=person.id,
            role=invitation.role,
            collectivity_id=invitation.collectivity_id,
            body_id=invitation.body_id,
        )
    )
    await session.flush()
    return person


async def authenticate(session: AsyncSession, *, email: str, password: str) -> Person | None:
    """The person whose email and password these are; None for an unknown email or a wrong
    password alike, after the same work."""
    person = (await session.exec(select(Person).where(Person.email == normal_email(email)))).first()
    stored = person.password_hash if person is not None and person.password_hash else _NOBODY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return person if person is not None and person.password_hash else None


async def end_sessions(session: AsyncSession, person_id: uuid.UUID) -> None:
    """Every session cookie of the person stops being accepted (signing out)."""
    person = await session.get(Person, person_id)
    if person is not None:
        person.session_version += 1
        session.add(person)


@dataclass(frozen=True, slots=True)
class HeldRole:
    role: Role
    collectivity: str | None
    body: str | None


async def roles_of(session: AsyncSession, person_id: uuid.UUID) -> list[HeldRole]:
    rows = await session.exec(
        select(PersonRole.role, Collectivity.slug, ConsultativeBody.slug)
        .outerjoin(Collectivity, col(Collectivity.id) == col(PersonRole.collectivity_id))
        .outerjoin(ConsultativeBody, col(ConsultativeBody.id) == col(PersonRole.body_id))
        .where(PersonRole.person_id == person_id)
        .order_by(col(PersonRole.created_at))
    )
    return [HeldRole(Role(role), collectivity, body) for role, collectivity, body in rows.all()]


async def principal_of(session: AsyncSession, person_id: uuid.UUID, session_version: int) -> Principal | None:
    """The principal a signed-in person acts as; None when the session was ended or the person
    holds no role any more."""
    person = await session.get(Person, person_id)
    if person is None or person.session_version != session_version:
        return None
    held = (await session.exec(select(PersonRole).where(PersonRole.person_id == person_id))).all()
    if not held:
        return None
    first = min(held, key=lambda row: (_RANK.index(row.role), row.created_at))
    return Principal(role=first.role, name=person.email, collectivity_id=first.collectivity_id, body_id=first.body_id)
