"""The `tracker` command: serve, worker and administration commands."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import logs, migrate, plan_files
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.errors import TrackerError
from tracker.models.base import utcnow
from tracker.models.enums import Role
from tracker.services import people, tokens
from tracker.settings import get_settings

T = TypeVar("T")

# Tracebacks never print local variables: they may hold tokens or database passwords.
app = typer.Typer(
    help="Tracker of the openness plans of territorial collectivities.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _configure_logging() -> None:
    logs.configure(get_settings())


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


# A role and its scope, as tokens and invitations take them (tracker/services/tokens.py, scope_of).
RoleOption = Annotated[Role, typer.Option(help="ADMIN (network), EDITOR (one collectivity), MONITOR (one body).")]
CollectivityOption = Annotated[str | None, typer.Option(help="Slug of the collectivity of an EDITOR.")]
BodyOption = Annotated[str | None, typer.Option(help="Slug of the consultative body of a MONITOR.")]


def _secret_made(work: Callable[[AsyncSession], Awaitable[str]]) -> str:
    """The secret `work` made in its transaction (shown once), or the error naming its field."""
    try:
        return asyncio.run(_in_transaction(work))
    except TrackerError as error:
        _fail(f"{error.field}: {error.message}" if error.field else error.message)
        raise  # _fail exits


token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")


async def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    db = Database(get_settings().database_url)
    try:
        async with db.transaction() as session:
            return await work(session)
    finally:
        await db.dispose()


@token_app.command("create")
def token_create(
    role: RoleOption,
    name: Annotated[str, typer.Option(help="Who or what holds the token (shown in history).")],
    collectivity: CollectivityOption = None,
    body: BodyOption = None,
    expires: Annotated[datetime | None, typer.Option(help="Expiry date (YYYY-MM-DD, UTC).")] = None,
) -> None:
    """Create a token and print it once; only its hash is stored."""
    migrate.upgrade(get_settings().database_url)
    expires_at = expires.replace(tzinfo=UTC) if expires and expires.tzinfo is None else expires

    async def work(session: AsyncSession) -> str:
        _row, plaintext = await tokens.create_token(
            session, name=name, role=role, collectivity_slug=collectivity, body_slug=body, expires_at=expires_at
        )
        return plaintext

    typer.echo(_secret_made(work))
    typer.echo("Keep this token now: it is stored hashed and cannot be shown again.", err=True)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    migrate.upgrade(get_settings().database_url)
    rows = asyncio.run(_in_transaction(tokens.list_tokens))
    now = utcnow()
    for row in rows:
        typer.echo(f"{row.key_id}\t{row.role.value}\t{row.name}\t{tokens.token_state(row, now=now)}")


@token_app.command("revoke")
def token_revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `tracker token list`.")]) -> None:
    """Revoke a token at once."""
    migrate.upgrade(get_settings().database_url)

    async def work(session: AsyncSession) -> str:
        row = await tokens.revoke_token(session, key_id=key_id)
        return f"revoked {row.key_id} ({row.name})"

    try:
        typer.echo(asyncio.run(_in_transaction(work)))
    except TrackerError as error:
        _fail(error.message)


@app.command("invite")
def invite_command(
    email: Annotated[str, typer.Option(help="The email address of the person invited.")],
    role: RoleOption,
    collectivity: CollectivityOption = None,
    body: BodyOption = None,
    days: Annotated[int, typer.Option(min=1, max=90, help="Days the invitation may be accepted.")] = 7,
) -> None:
    """Invite a person with a role: print the link where they set their password (shown once)."""
    _configure_logging()
    settings = get_settings()
    migrate.upgrade(settings.database_url)

    async def work(session: AsyncSession) -> str:
        _row, token = await people.invite(
            session, email=email, role=role, collectivity_slug=collectivity, body_slug=body, days=days
        )
        return token

    token = _secret_made(work)
    # Emails are for a later change: the link is printed for the administrator to pass on.
    logging.getLogger("tracker.people").info(
        "invitation created; not mailed (%s)",
        "sending invitations by email is not built yet" if settings.smtp_url else "TRACKER_SMTP_URL is not set",
    )
    typer.echo(settings.base_url.rstrip("/") + people.invitation_path(token))
    typer.echo(f"Send this link to {people.normal_email(email)}: it works once, for {days} days.", err=True)


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database schema to the latest migration."""
    url = get_settings().database_url
    migrate.upgrade(url)
    typer.echo(f"database at revision {migrate.current_revision(url)}")


async def _seed(demo: bool, network: int, seed: int) -> list[str]:
    from tracker import demo as demo_data
    from tracker.demo import network as synthetic
    from tracker.models import Collectivity

    messages = []
    db = Database(get_settings().database_url)
    try:
        async with db.transaction() as session:
            if demo:
                loaded = await demo_data.load_ait_melloul(session)
                messages.append(
                    "loaded the Ait Melloul plan 2024-2025" if loaded else "the Ait Melloul plan is already there"
                )
            if network:
                exists = (
                    await session.exec(select(Collectivity.id).where(col(Collectivity.slug).like("demo-%")))
                ).first()
                if exists is not None:
                    messages.append("a synthetic network is already there; use a fresh database")
                else:
                    made = await synthetic.generate(session, n=network, seed=seed)
                    messages.append(f"generated {made} synthetic collectivities (seed {seed})")
    finally:
        await db.dispose()
    return messages


@app.command("seed-demo")
def seed_demo(
    network: Annotated[int, typer.Option(min=0, max=5000, help="Also generate N synthetic collectivities.")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic network.")] = 2024,
    ait_melloul: Annotated[bool, typer.Option(help="Load the Ait Melloul demo plan.")] = True,
) -> None:
    """Load the demo data (migrating first)."""
    migrate.upgrade(get_settings().database_url)
    for message in asyncio.run(_seed(ait_melloul, network, seed)):
        typer.echo(message)


async def _import(path: Path) -> str:
    plan_file = plan_files.read(path)
    db = Database(get_settings().database_url)
    try:
        async with db.transaction() as session:
            plan = await plan_files.load(session, actor=SYSTEM, plan_file=plan_file)
            return f"imported plan {plan.id} for {plan_file.collectivity.slug}"
    finally:
        await db.dispose()


@app.command("import")
def import_command(file: Annotated[Path, typer.Argument(help="Plan file (.yaml, .yml or .json).")]) -> None:
    """Import a plan file; an invalid file is rejected whole and nothing is written."""
    migrate.upgrade(get_settings().database_url)
    try:
        typer.echo(asyncio.run(_import(file)))
    except plan_files.PlanFileError as error:
        _fail("the file was not imported:\n" + "\n".join(f"  {problem}" for problem in error.problems))


async def _verify(fix: bool) -> tuple[list[str], bool]:
    from tracker.services import derived

    db = Database(get_settings().database_url)
    try:
        async with db.transaction() as session:
            await derived.read_one_snapshot(session)
            drifts = await derived.check(session)
            if fix and drifts:
                await derived.rebuild(session)
    finally:
        await db.dispose()
    lines = [str(drift) for drift in drifts]
    if not drifts:
        lines.append("every stored progress, latest measurement and count agrees with the rows")
    elif fix:
        lines.append(f"{len(drifts)} stored value(s) differed from the rule; they are fixed")
    else:
        lines.append(f"{len(drifts)} stored value(s) differ from the rule (`tracker verify --fix` rewrites them)")
    return lines, bool(drifts) and not fix


@app.command("verify")
def verify_command(
    fix: Annotated[bool, typer.Option(help="Write the values the rule gives where they differ.")] = False,
) -> None:
    """Recompute every derived value (progress, latest measurements, network counts) from the rows
    and report any stored value that differs: exit code 1 if one does (0 with --fix)."""
    migrate.upgrade(get_settings().database_url)
    lines, drifted = asyncio.run(_verify(fix))
    for line in lines:
        typer.echo(line)
    if drifted:
        raise typer.Exit(code=1)


class ExportFormat(StrEnum):
    yaml = "yaml"
    json = "json"
    csv = "csv"


async def _export(slug: str, fmt: ExportFormat, lang: str) -> str:
    from tracker.models import ActionPlan, Collectivity

    db = Database(get_settings().database_url)
    try:
        async with db.reader() as session:
            collectivity = (await session.exec(select(Collectivity).where(Collectivity.slug == slug))).first()
            if collectivity is None:
                raise plan_files.PlanFileError([f"no collectivity with slug {slug!r}"])
            plan = (
                await session.exec(
                    select(ActionPlan)
                    .where(ActionPlan.collectivity_id == collectivity.id)
                    .order_by(col(ActionPlan.period_start).desc())
                )
            ).first()
            if plan is None:
                raise plan_files.PlanFileError([f"{slug} has no plan"])
            data = await plan_files.dump(session, plan.id)
    finally:
        await db.dispose()
    if fmt is ExportFormat.json:
        return plan_files.to_json(data)
    if fmt is ExportFormat.csv:
        return plan_files.to_csv(data, lang=lang)
    return plan_files.to_yaml(data)


@app.command("export")
def export_command(
    collectivity: Annotated[str, typer.Option(help="Slug of the collectivity.")],
    format: Annotated[
        ExportFormat, typer.Option(help="yaml or json (plan files), csv (commitments and milestones).")
    ] = ExportFormat.yaml,
    output: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
    lang: Annotated[str, typer.Option(help="Language of CSV titles.")] = "fr",
) -> None:
    """Export the collectivity's most recent plan."""
    try:
        text = asyncio.run(_export(collectivity, format, lang))
    except plan_files.PlanFileError as error:
        _fail("\n".join(error.problems))
        return
    data = text.encode(plan_files.CSV_ENCODING if format is ExportFormat.csv else "utf-8")
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {output}", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load the Ait Melloul demo plan into an empty database.")] = False,
) -> None:
    """Serve HTTP, run the scheduler and the event dispatcher (migrating first)."""
    import uvicorn

    from tracker.app import create_app

    _configure_logging()
    settings = get_settings()
    if settings.secret_key is None and not demo:
        _fail(
            "TRACKER_SECRET_KEY is not set: it signs the session cookies of people signed in. "
            'Set it to a long random value (python -c "import secrets; print(secrets.token_urlsafe(32))"), '
            "the same for every process of the deployment."
        )
    migrate.upgrade(settings.database_url)
    if demo:
        for message in asyncio.run(_seed(True, 0, 0)):
            typer.echo(message)
    # log_config=None: uvicorn's loggers, the access log included, go through tracker.logs.
    application = create_app(settings, freeze_after_start=True)
    uvicorn.run(application, host=host, port=port, proxy_headers=True, log_config=None)


@app.command("dev-sources")
def dev_sources(
    port: Annotated[int, typer.Option(help="Port of the demonstration publications.")] = 8010,
    attach: Annotated[bool, typer.Option(help="Register sources reading them on the demo plan.")] = True,
) -> None:
    """Serve made-up publications on loopback that start from the demo's figures and change
    gradually, and point sources at them."""
    import uvicorn

    from tracker import demo
    from tracker.demo.dev_sources import PERIOD_MINUTES, banner
    from tracker.demo.dev_sources import app as publications

    base_url = f"http://127.0.0.1:{port}"
    if attach:
        migrate.upgrade(get_settings().database_url)

        async def work(session: AsyncSession) -> int:
            return await demo.attach_dev_sources(session, base_url)

        try:
            added = asyncio.run(_in_transaction(work))
        except LookupError as error:
            _fail(str(error))
            return
        typer.echo(f"{added} source(s) now read {base_url} every {PERIOD_MINUTES} minutes (and once at once).")
    typer.echo(
        "The tracker must be allowed to reach loopback: run it with TRACKER_ALLOW_PRIVATE_TARGETS=true "
        "(for example: TRACKER_ALLOW_PRIVATE_TARGETS=true make run)."
    )
    typer.echo(banner())
    uvicorn.run(publications, host="127.0.0.1", port=port, log_level="warning")


@app.command()
def worker() -> None:
    """Run the scheduler and the event dispatcher without HTTP."""
    from tracker.jobs.scheduler import Scheduler
    from tracker.memory import freeze_startup_objects

    _configure_logging()
    settings = get_settings()
    migrate.upgrade(settings.database_url)

    async def run() -> None:
        db = Database(settings.database_url, lock_timeout=settings.database_lock_timeout_seconds)
        scheduler = Scheduler(db, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await scheduler.start()
        freeze_startup_objects()
        try:
            await stop.wait()
        finally:
            await scheduler.shutdown()
            await db.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    app()
