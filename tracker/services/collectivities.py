"""Collectivities: created by network administrators."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker.access import Principal, ensure_admin
from tracker.errors import BadInput, Conflict
from tracker.events.outbox import camel_changes, emit
from tracker.events.types import EventType
from tracker.i18n import clean_translations
from tracker.models import Collectivity, CollectivityKind
from tracker.services.common import UNSET, _Unset, camel_snapshot, enum_value, get_or_404, touch

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELDS = ("slug", "kind", "name", "parent_id")


def clean_slug(value: str, *, field: str = "slug") -> str:
    slug = value.strip()
    if not SLUG.match(slug) or len(slug) > 80:
        raise BadInput(f"{field} must be lowercase letters, digits and single dashes (at most 80)", field=field)
    return slug


async def _ensure_slug_free(session: AsyncSession, slug: str, *, field: str = "slug") -> None:
    taken = await session.exec(select(Collectivity.id).where(Collectivity.slug == slug))
    if taken.first() is not None:
        raise Conflict(f"a collectivity with slug {slug!r} exists already", field=field)


async def create_collectivity(
    session: AsyncSession,
    *,
    actor: Principal,
    slug: str,
    kind: CollectivityKind | str,
    name: Mapping[str, str | None],
    parent_id: uuid.UUID | None = None,
) -> Collectivity:
    ensure_admin(actor)
    row = Collectivity(
        slug=clean_slug(slug),
        kind=enum_value(CollectivityKind, kind, field="kind"),
        name=clean_translations(name, field="name", required=True),
        parent_id=parent_id,
    )
    await _ensure_slug_free(session, row.slug)
    if parent_id is not None:
        await get_or_404(session, Collectivity, parent_id, field="parentId")
    session.add(row)
    await session.flush()
    emit(
        session,
        type=EventType.COLLECTIVITY_CREATED,
        actor=actor,
        subject_type="Collectivity",
        subject_id=row.id,
        collectivity_id=row.id,
        data={"collectivity": camel_snapshot(row, FIELDS)},
    )
    return row


async def update_collectivity(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    slug: str | _Unset = UNSET,
    name: Mapping[str, str | None] | _Unset = UNSET,
    parent_id: uuid.UUID | _Unset | None = UNSET,
) -> Collectivity:
    ensure_admin(actor)
    row = await get_or_404(session, Collectivity, id)
    before = camel_snapshot(row, FIELDS)
    if not isinstance(slug, _Unset):
        new_slug = clean_slug(slug)
        if new_slug != row.slug:
            await _ensure_slug_free(session, new_slug)
        row.slug = new_slug
    if not isinstance(name, _Unset):
        row.name = clean_translations(name, field="name", required=True)
    if not isinstance(parent_id, _Unset):
        if parent_id == row.id:
            raise BadInput("a collectivity cannot be its own parent", field="parentId")
        if parent_id is not None:
            await get_or_404(session, Collectivity, parent_id, field="parentId")
        row.parent_id = parent_id
    changed = camel_changes(before, camel_snapshot(row, FIELDS))
    if changed:
        touch(row)
        session.add(row)
        emit(
            session,
            type=EventType.COLLECTIVITY_UPDATED,
            actor=actor,
            subject_type="Collectivity",
            subject_id=row.id,
            collectivity_id=row.id,
            data={"changes": changed},
        )
    return row
