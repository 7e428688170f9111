"""The read planner side by side with strawberry's resolvers, in process, on one database."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import strawberry

from tracker.access import ANONYMOUS, Principal
from tracker.api.core.context import Context
from tracker.api.core.planner import PlanCache
from tracker.api.schema import build_schema
from tracker.db import Database
from tracker.models import Role
from tracker.settings import Settings


def principals(collectivity: uuid.UUID, other: uuid.UUID) -> dict[str, Principal]:
    """Who reads: every kind of visibility, and people of a collectivity that is not theirs."""
    return {
        "anonymous": ANONYMOUS,
        "admin": Principal(role=Role.ADMIN, name="admin"),
        "editor": Principal(role=Role.EDITOR, name="editor", collectivity_id=collectivity),
        "monitor": Principal(role=Role.MONITOR, name="monitor", collectivity_id=collectivity),
        "other-editor": Principal(role=Role.EDITOR, name="other", collectivity_id=other),
    }


def normalised(result: Any) -> dict[str, Any]:
    """The answer as a client parses it; errors in a stable order (resolvers finish in any)."""
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = sorted(
            (error.formatted for error in result.errors),
            key=lambda error: orjson.dumps(error, option=orjson.OPT_SORT_KEYS),
        )
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(body))
    return parsed


class Paths:
    """One database read by two schemas: the planner's and the resolvers' alone."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.settings = Settings(database_url=db.url)
        self.plans = PlanCache()
        self.planned = build_schema(self.settings, plans=self.plans)
        self.resolved = build_schema(self.settings.model_copy(update={"planned_reads": False}))
        self.ready_answers = 0

    async def run(
        self,
        schema: strawberry.Schema,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        principal: Principal = ANONYMOUS,
        languages: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        context = Context(
            db=self.db, settings=self.settings, principal=principal, accept_languages=languages, answer_as_json=True
        )
        return normalised(await schema.execute(query, variable_values=variables, context_value=context))

    async def ready(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        principal: Principal = ANONYMOUS,
        languages: tuple[str, ...] = (),
    ) -> dict[str, Any] | None:
        """The answer of the path without strawberry, for a query the planner answered whole before
        (None when it gives the request to the normal path)."""
        context = Context(
            db=self.db, settings=self.settings, principal=principal, accept_languages=languages, answer_as_json=True
        )
        reads = self.planned.ready_reads
        ready = reads.find(query, None)
        body = None if ready is None else await reads.answer(ready, query, None, variables or {}, context)
        if body is None:
            return None
        self.ready_answers += 1
        parsed: dict[str, Any] = orjson.loads(body)
        return parsed

    async def both(self, query: str, variables: dict[str, Any] | None = None, **options: Any) -> tuple[Any, Any]:
        """(planner's answer, resolvers' answer)."""
        planned = await self.run(self.planned, query, variables, **options)
        resolved = await self.run(self.resolved, query, variables, **options)
        return planned, resolved
