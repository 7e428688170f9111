"""`viewer`: who the caller is, as the tracker sees them."""

from __future__ import annotations

import strawberry

from tracker.api.collectivities import Collectivity
from tracker.api.core.context import Info
from tracker.models.enums import Role


@strawberry.type(description="The caller.")
class Viewer:
    role: Role = strawberry.field(description="The caller's role; ANONYMOUS without a token.")
    name: str | None = strawberry.field(description="Name given to the caller's token.")

    @strawberry.field(description="The collectivity an editor or monitor belongs to.")
    async def collectivity(self, info: Info) -> Collectivity | None:
        collectivity_id = info.context.principal.collectivity_id
        if collectivity_id is None:
            return None
        row = await info.context.loaders.collectivity.load(collectivity_id)
        return Collectivity.from_row(row) if row else None


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="Who the caller is.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        return Viewer(role=principal.role, name=principal.name if principal.is_authenticated else None)
