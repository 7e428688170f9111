"""Consultative bodies of a collectivity: the equality and gender body, citizen councils..."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput, Conflict
from tracker.events.outbox import camel_changes, emit
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import BodyKind, Collectivity, ConsultativeBody
from tracker.services.collectivities import clean_slug
from tracker.services.common import UNSET, _Unset, camel_snapshot, enum_value, get_or_404, touch

FIELDS = ("slug", "kind", "name", "description", "members")
MAX_MEMBERS = 200


def clean_members(members: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Members as the body publishes them: a role (rapporteur...) and optionally a name."""
    if len(members) > MAX_MEMBERS:
        raise BadInput(f"members: at most {MAX_MEMBERS}", field="members")
    cleaned = []
    for index, member in enumerate(members):
        role = str(member.get("role") or "").strip()
        name = str(member.get("name") or "").strip()
        if not role or len(role) > 120 or len(name) > 120:
            raise BadInput(
                "each member needs a role (and may have a name) of at most 120 characters", field=f"members[{index}]"
            )
        cleaned.append({"role": role, "name": name} if name else {"role": role})
    return cleaned


async def _ensure_slug_free(session: AsyncSession, slug: str) -> None:
    if (await session.exec(select(ConsultativeBody.id).where(ConsultativeBody.slug == slug))).first() is not None:
        raise Conflict(f"a consultative body with slug {slug!r} exists already", field="slug")


async def create_body(
    session: AsyncSession,
    *,
    actor: Principal,
    collectivity_id: uuid.UUID,
    slug: str,
    kind: BodyKind | str,
    name: Mapping[str, str | None],
    description: Mapping[str, str | None] | None = None,
    members: Sequence[Mapping[str, Any]] = (),
) -> ConsultativeBody:
    await get_or_404(session, Collectivity, collectivity_id, field="collectivityId")
    ensure_can_edit(actor, collectivity_id)
    body = ConsultativeBody(
        collectivity_id=collectivity_id,
        slug=clean_slug(slug),
        kind=enum_value(BodyKind, kind, field="kind"),
        name=clean_translations(name, field="name", required=True),
        description=clean_translations(description, field="description", required=False),
        members=clean_members(members),
    )
    await _ensure_slug_free(session, body.slug)
    session.add(body)
    await session.flush()
    emit(
        session,
        type=EventType.BODY_CREATED,
        actor=actor,
        subject_type="ConsultativeBody",
        subject_id=body.id,
        collectivity_id=collectivity_id,
        data={"body": camel_snapshot(body, FIELDS)},
    )
    return body


async def update_body(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    name: Mapping[str, str | None] | _Unset = UNSET,
    description: Mapping[str, str | None] | _Unset | None = UNSET,
    members: Sequence[Mapping[str, Any]] | _Unset = UNSET,
) -> ConsultativeBody:
    body = await get_or_404(session, ConsultativeBody, id)
    ensure_can_edit(actor, body.collectivity_id)
    before = camel_snapshot(body, FIELDS)
    if not isinstance(name, _Unset):
        body.name = clean_translations(name, field="name", required=True)
    if not isinstance(description, _Unset):
        body.description = clean_translations(description, field="description", required=False)
    if not isinstance(members, _Unset):
        body.members = clean_members(members)
    changed = camel_changes(before, camel_snapshot(body, FIELDS))
    if changed:
        touch(body)
        session.add(body)
        emit(
            session,
            type=EventType.BODY_UPDATED,
            actor=actor,
            subject_type="ConsultativeBody",
            subject_id=body.id,
            collectivity_id=body.collectivity_id,
            data={"changes": changed},
        )
    return body
