"""The read planner against strawberry's resolvers, in process: planning time and reads per second.

Seeds `planner_bench_<N>` on the local PostgreSQL as `tracker seed-demo --network N` does (once;
reused while it holds that network), then:
- planning: the time to compile each read of `graphql/operations/` and the frontend-style
  documents below into their statement (a new document's first request), median of 20;
- reads: one reader, requests back to back for `--seconds` each, through `schema.execute` and the
  JSON encoding the HTTP view does, with the planner then without it, anonymous and as an editor.
Not `make bench` (no HTTP, no concurrency, no PostGraphile): a quick, same-process comparison.
Run `python -m bench.planner [--size 126] [--seconds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues, get_variable_values
from sqlalchemy import select

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from tracker import migrate, models
from tracker.access import ANONYMOUS, Principal
from tracker.api.core.context import Context
from tracker.api.core.planner import PlanCache
from tracker.api.core.planner.execution import compile_plan
from tracker.api.schema import build_schema
from tracker.db import Database
from tracker.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"

FRONTEND = {
    "CollectivityCards": """query ($lang: String) { collectivities(first: 100) { totalCount nodes {
        id slug kind name(lang: $lang) currentPlan { id title(lang: $lang) status progress } } } }""",
    "PlanBoard": """query ($slug: String!, $lang: String) { collectivity(slug: $slug) { name(lang: $lang)
        currentPlan { title(lang: $lang) progress commitments(first: 50) { totalCount edges { cursor node {
            id reference title(lang: $lang) status progress
            milestones { nodes { id title(lang: $lang) dueOn status isOverdue } }
            indicators { nodes { id name(lang: $lang) progress latest { value observedAt } } } } } } } } }""",
    "OverdueAcrossNetwork": """{ milestones(filter: { overdue: true }, first: 50) { totalCount nodes {
        title dueOn commitment { reference plan { collectivity { slug } } } } } }""",
}


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


async def ensure(size: int) -> str:
    url = f"{SERVER}/planner_bench_{size}"
    with psycopg.connect(_libpq(f"{SERVER}/postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (f"planner_bench_{size}",)).fetchone():
            admin.execute(f"CREATE DATABASE planner_bench_{size}")
    migrate.upgrade(url)
    db = Database(url)
    async with db.reader() as session:
        count = len((await session.exec(select(models.Collectivity.id))).all())
    if count != size + 2:
        from tracker.demo import load_ait_melloul
        from tracker.demo.network import generate

        async with db.transaction() as session:
            await load_ait_melloul(session)
            await generate(session, n=size)
        with psycopg.connect(_libpq(url), autocommit=True) as connection:
            connection.execute("ANALYZE")
    await db.dispose()
    return url


def documents() -> dict[str, str]:
    found = {path.stem: path.read_text() for path in sorted((ROOT / "graphql" / "operations").glob("*.graphql"))}
    reads = {
        name: text for name, text in found.items() if text.lstrip("# \n").count("query") and "mutation" not in text
    }
    return {**reads, **FRONTEND}


async def subject(db: Database) -> dict[str, Any]:
    async with db.reader() as session:
        plan = (
            await session.exec(
                select(models.ActionPlan.collectivity_id, models.Collectivity.slug)
                .join(models.Collectivity, models.Collectivity.id == models.ActionPlan.collectivity_id)
                .where(
                    models.ActionPlan.status != models.PlanStatus.DRAFT, models.Collectivity.slug.like("demo-commune-%")
                )
                .order_by(models.Collectivity.slug)
                .limit(1)
            )
        ).one()
        commitment = (
            await session.exec(
                select(models.Commitment.id)
                .join(models.ActionPlan, models.ActionPlan.id == models.Commitment.plan_id)
                .where(models.ActionPlan.collectivity_id == plan[0])
                .limit(1)
            )
        ).one()
    from tracker.ids import encode_id

    return {"collectivity": plan[0], "slug": plan[1], "commitment": encode_id("Commitment", commitment[0])}


def variables_for(name: str, found: dict[str, Any]) -> dict[str, Any]:
    if name in ("PlanDashboard", "PlanBoard"):
        return {"slug": found["slug"], "lang": "fr"}
    if name == "CommitmentDetail":
        return {"id": found["commitment"], "lang": "fr"}
    if name in ("CollectivitiesPage", "CollectivityCards"):
        return {"lang": "fr"}
    return {}


def planning_ms(schema: Any, text: str, variables: dict[str, Any]) -> float:
    """Median time to compile the document's plan, parsing and collecting included."""
    times = []
    for _ in range(20):
        started = time.perf_counter()
        document = parse(text)
        operation = next(item for item in document.definitions if isinstance(item, OperationDefinitionNode))
        fragments = {
            item.name.value: FragmentDetails(item)
            for item in document.definitions
            if isinstance(item, FragmentDefinitionNode)
        }
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        assert isinstance(coerced, VariableValues)
        from tracker.access import PlanVisibility

        plan = compile_plan(schema, operation, fragments, coerced, PlanVisibility.PUBLIC)
        times.append((time.perf_counter() - started) * 1000)
        assert not plan.uncovered, plan.uncovered
    return statistics.median(times)


async def rate(
    schema: Any,
    db: Database,
    settings: Settings,
    text: str,
    variables: dict[str, Any],
    principal: Principal,
    seconds: float,
) -> float:
    async def once() -> None:
        context = Context(db=db, settings=settings, principal=principal, answer_as_json=True)
        result = await schema.execute(text, variable_values=variables, context_value=context)
        assert not result.errors, result.errors
        orjson.dumps({"data": result.data})

    for _ in range(5):  # warm: plan cached, statement prepared (psycopg prepares from the 5th run)
        await once()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        await once()
        count += 1
    return count / (time.perf_counter() - started)


async def main(size: int, seconds: float) -> None:
    url = await ensure(size)
    db = Database(url)
    settings = Settings(database_url=url)
    planned = build_schema(settings, plans=PlanCache())
    resolved = build_schema(settings.model_copy(update={"planned_reads": False}))
    found = await subject(db)
    editor = Principal(role=models.Role.EDITOR, name="bench", collectivity_id=found["collectivity"])
    _say(f"N = {size}; planning (ms, median of 20) and reads/s, one reader in process")
    _say(f"{'document':24} {'plan ms':>8} {'reader':>9} {'planner/s':>10} {'resolvers/s':>12} {'ratio':>6}")
    for name, text in documents().items():
        variables = variables_for(name, found)
        planning = planning_ms(planned._schema, text, variables)
        for label, principal in (("anonymous", ANONYMOUS), ("editor", editor)):
            fast = await rate(planned, db, settings, text, variables, principal, seconds)
            slow = await rate(resolved, db, settings, text, variables, principal, seconds)
            _say(f"{name:24} {planning:8.2f} {label:>9} {fast:10.1f} {slow:12.1f} {fast / slow:6.1f}x")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=126)
    parser.add_argument("--seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.size, arguments.seconds))
