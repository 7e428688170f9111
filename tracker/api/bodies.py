"""The ConsultativeBody type and its mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from tracker import models
from tracker.api.core.context import Info
from tracker.api.core.inputs import TranslatedTextInput, given, key, required, text
from tracker.api.core.lang import within
from tracker.api.core.relay import Node, encode_id
from tracker.api.core.writes import perform
from tracker.api.history import Audited
from tracker.services import bodies

if TYPE_CHECKING:
    from tracker.api.collectivities import Collectivity


@strawberry.type(description="A role held in a consultative body, with the name the body publishes.")
class BodyMember:
    role: str = strawberry.field(description="The role, e.g. rapporteur.")
    name: str | None = strawberry.field(description="The holder's name, if published.")


@strawberry.type(description="A consultative body that follows the plan: equality and gender body, citizen council...")
class ConsultativeBody(Node, Audited):
    row: strawberry.Private[models.ConsultativeBody]
    slug: str = strawberry.field(description="Stable short name.")
    kind: models.BodyKind = strawberry.field(description="What kind of body it is.")

    @classmethod
    def from_row(cls, row: models.ConsultativeBody) -> ConsultativeBody:
        return cls(id=strawberry.ID(encode_id("ConsultativeBody", row.id)), row=row, slug=row.slug, kind=row.kind)

    @strawberry.field(description="Name in the language asked for (see `lang`).")
    def name(self, info: Info, lang: str | None = None) -> str:
        return info.context.text(self.row.name, within(info, lang))

    @strawberry.field(description="Description in the language asked for, if there is one.")
    def description(self, info: Info, lang: str | None = None) -> str | None:
        return info.context.optional_text(self.row.description, within(info, lang))

    @strawberry.field(description="Roles in the body, as it publishes them.")
    def members(self) -> list[BodyMember]:
        return [BodyMember(role=member["role"], name=member.get("name")) for member in self.row.members]

    @strawberry.field(description="The collectivity the body advises.")
    async def collectivity(self, info: Info) -> Annotated[Collectivity, strawberry.lazy("tracker.api.collectivities")]:
        from tracker.api.collectivities import Collectivity

        row = await info.context.loaders.collectivity.load(self.row.collectivity_id)
        assert row is not None  # the foreign key guarantees it
        return Collectivity.from_row(row)


@strawberry.input(description="A role in a consultative body.")
class BodyMemberInput:
    role: str = strawberry.field(description="The role, e.g. rapporteur.")
    name: str | None = strawberry.field(default=None, description="The holder's name, if the body publishes it.")


@strawberry.input(description="A new consultative body of a collectivity.")
class CreateConsultativeBodyInput:
    collectivity_id: strawberry.ID = strawberry.field(description="The collectivity it advises.")
    slug: str = strawberry.field(description="Lowercase letters, digits and dashes.")
    kind: models.BodyKind = strawberry.field(description="What kind of body it is.")
    name: TranslatedTextInput = strawberry.field(description="Name in one or more languages.")
    description: TranslatedTextInput | None = strawberry.field(default=None, description="Description.")
    members: list[BodyMemberInput] = strawberry.field(default_factory=list, description="Roles in the body.")


@strawberry.input(description="Changes to a consultative body; fields left out stay as they are.")
class UpdateConsultativeBodyInput:
    id: strawberry.ID = strawberry.field(description="The body.")
    name: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New name.")
    description: TranslatedTextInput | None = strawberry.field(default=strawberry.UNSET, description="New description.")
    members: list[BodyMemberInput] | None = strawberry.field(default=strawberry.UNSET, description="New members.")


@strawberry.type(description="Result of createConsultativeBody.")
class CreateConsultativeBodyPayload:
    body: ConsultativeBody = strawberry.field(description="The new body.")


@strawberry.type(description="Result of updateConsultativeBody.")
class UpdateConsultativeBodyPayload:
    body: ConsultativeBody = strawberry.field(description="The body as changed.")


def _members(values: list[BodyMemberInput]) -> list[dict[str, str | None]]:
    return [{"role": member.role, "name": member.name} for member in values]


@strawberry.type
class BodyMutation:
    @strawberry.mutation(description="Register a consultative body of a collectivity.")
    async def create_consultative_body(
        self, info: Info, input: CreateConsultativeBodyInput
    ) -> CreateConsultativeBodyPayload:
        row = await perform(
            info,
            bodies.create_body,
            collectivity_id=key(input.collectivity_id, "Collectivity", field="collectivityId"),
            slug=input.slug,
            kind=input.kind,
            name=input.name.as_dict(),
            description=text(input.description),
            members=_members(input.members),
        )
        return CreateConsultativeBodyPayload(body=ConsultativeBody.from_row(row))

    @strawberry.mutation(description="Change a consultative body.")
    async def update_consultative_body(
        self, info: Info, input: UpdateConsultativeBodyInput
    ) -> UpdateConsultativeBodyPayload:
        members = required(input.members, "members")
        row = await perform(
            info,
            bodies.update_body,
            id=key(input.id, "ConsultativeBody", field="id"),
            name=required(input.name, "name"),
            description=given(input.description),
            members=members if not isinstance(members, list) else _members(members),
        )
        return UpdateConsultativeBodyPayload(body=ConsultativeBody.from_row(row))
