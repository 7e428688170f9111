"""The read path of persisted operations, compiled by hand into a few SQL statements.

Strawberry resolves a plan dashboard field by field: thousands of resolver calls, each cheap,
that together cost most of a request. For the persisted reads the frontends send all day, the
answer is built here directly from a fixed number of statements that select only the columns
answered with (progress among them: a column kept on write by `services.derived`), by the same
visibility rules. Tests run every one of them against the normal path on the same data and
require equal answers.

Anything out of the ordinary (an argument to validate, a filter, an ID of another type) is
`Fallback`: the normal path answers it, errors and all.

On PostgreSQL, PlanDashboard and NetworkSummary are one statement each whose result is the
`data` already serialized as JSON (`pg_plan_dashboard`, `pg_network_summary`): the answer is
then bytes, to be sent as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import i18n
from tracker.access import Principal
from tracker.api.compiled import (
    collectivities_page,
    commitment_detail,
    network_summary,
    pg_network_summary,
    pg_plan_dashboard,
    plan_dashboard,
)
from tracker.api.compiled.reads import Fallback, Reader
from tracker.db import Database
from tracker.text import TextError, clean_text

__all__ = ["COMPILED", "Fallback", "compiled", "execute"]

# The `data` of the answer (a dict, or its JSON text as bytes) and the collectivities it depends on.
Answer = tuple[dict[str, Any] | bytes, frozenset[uuid.UUID] | None]
Run = Callable[[AsyncSession, Reader, dict[str, Any]], Awaitable[Answer]]


def _string(variables: dict[str, Any], name: str, *, required: bool) -> None:
    value = variables.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise Fallback(name)
    try:
        variables[name] = clean_text(value)
    except TextError:
        raise Fallback(name) from None  # the normal path refuses it, naming the field


def _int(variables: dict[str, Any], name: str, default: int) -> None:
    value = variables.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Fallback(name)


def _plan_dashboard(variables: dict[str, Any]) -> dict[str, Any]:
    _string(variables, "slug", required=True)
    return variables


def _commitment_detail(variables: dict[str, Any]) -> dict[str, Any]:
    _string(variables, "id", required=True)
    return variables


def _collectivities_page(variables: dict[str, Any]) -> dict[str, Any]:
    if variables.get("filter") is not None:
        raise Fallback("filter")
    _int(variables, "first", 50)
    _string(variables, "after", required=False)
    first = variables.get("first", 50)
    if first is None or not 0 <= first <= 100:
        raise Fallback("first")
    return {**variables, "first": first}


def _no_variables(variables: dict[str, Any]) -> dict[str, Any]:
    return variables


COMPILED: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], Run]] = {
    "PlanDashboard": (_plan_dashboard, plan_dashboard.run),
    "CommitmentDetail": (_commitment_detail, commitment_detail.run),
    "CollectivitiesPage": (_collectivities_page, collectivities_page.run),
    "NetworkSummary": (_no_variables, network_summary.run),
}


# The same operations answered by one statement building the JSON, where the database can.
POSTGRESQL: dict[str, Run] = {
    "PlanDashboard": pg_plan_dashboard.run,
    "NetworkSummary": pg_network_summary.run,
}


def compiled(name: str) -> bool:
    return name in COMPILED


async def execute(
    db: Database,
    name: str,
    variables: dict[str, Any],
    *,
    principal: Principal,
    accept_languages: tuple[str, ...],
    today: date,
) -> Answer:
    """The `data` of the operation and the collectivities it depends on (None: the network).

    The `data` is a dict, or bytes of JSON text when the database built it.
    """
    check, run = COMPILED[name]
    if db.dialect == "postgresql":
        run = POSTGRESQL.get(name, run)
    variables = check(variables)
    lang = variables.get("lang")
    if lang is not None and (not isinstance(lang, str) or not i18n.is_valid_tag(lang)):
        raise Fallback("lang")
    reader = Reader(principal=principal, languages=i18n.preference(lang, accept_languages), today=today)
    async with db.reader() as session:
        return await run(session, reader, variables)
