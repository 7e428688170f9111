"""Webhook and evidence-source throughput, side by side with their physical limit in the same run.

- Webhooks: `events` outbox events, emitted through the tracker's own outbox in one collectivity's
  plan, fanned out to one real subscription whose receiver is a loopback server in its own process;
  the tracker's dispatcher and delivery worker (the very objects `tracker worker` builds) drain them,
  timed from the first dispatch until every delivery is recorded as succeeded. Against it: a plain
  `httpx.AsyncClient` posting the same bodies, signed the same way, with the concurrency the
  delivery worker allows one subscription (one at a time: a subscription's deliveries go in order).
- Sources: `sources` JSON_API evidence sources, all due, read from the same loopback server (spread
  over enough loopback addresses that the runner's per-host limit does not bind) by the tracker's
  source runner as the source tick runs it, against plain concurrent `httpx` GETs of the same URLs
  with the runner's concurrency. Two scenarios: `sources`, the steady state of sources listing
  publications already recorded as evidence (the target applies): their server sends no ETag or
  Last-Modified, so every poll reads the whole document and the runner finds it unchanged by its
  SHA-256; and `sources_measuring`, sources feeding indicators whose figure changes at every
  request, so every poll records a measurement (reported for information).

- Hostile receivers (`hostile`): beside `healthy` subscriptions with prompt receivers, one whose
  receiver never answers and one whose receiver trickles its answer a byte a second, all served by
  the tracker's scheduler as `tracker serve` runs it (dispatch woken after each commit, as the API
  does); events are committed one at a time, and the figure is the healthy subscriptions' latency
  from each commit to the receipt of its event (p50, p99, max).

Rounds alternate raw and tracker (raw, tracker, raw, tracker...); the ratios compare the medians.
Run `python -m bench.throughput [--events N] [--sources N]`; results are printed and written to
`bench/results/throughput-<UTC timestamp>.json`. Loopback addresses only, PostgreSQL only.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import create_engine, func, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.webhooks import signing
from integrations.webhooks.formats import RENDERERS
from tracker import migrate
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.events import envelopes
from tracker.events.types import EventType
from tracker.jobs import deliveries as delivery_jobs
from tracker.jobs import sources as source_jobs
from tracker.jobs.scheduler import Scheduler
from tracker.models import (
    ActionPlan,
    CollectivityKind,
    DeliveryStatus,
    Evidence,
    EvidenceSource,
    OutboxEvent,
    PlanStatus,
    RunOutcome,
    SourceRun,
    WebhookDelivery,
    WebhookFormat,
)
from tracker.models.base import utcnow
from tracker.services import collectivities, commitments, indicators, milestones, plans, webhooks
from tracker.services import sources as source_service
from tracker.settings import Settings

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "bench_throughput"
DATABASE_URL = f"{SERVER}/{DATABASE}"
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

ROUNDS = 3  # each side runs this many times, alternating: raw, tracker, raw, tracker...
TARGETS = {"webhooks": 0.5, "evidence": 0.7}  # tracker rate / raw rate, at least
EMIT_CHUNK = 1_000  # events per transaction when filling the outbox
SEED_CHUNK = 200  # sources per transaction when configuring them
SOURCES_PER_COMMITMENT = 10
PUBLICATIONS = 3  # per source document: must match bench.throughput_server
SUBJECT_MILESTONES = 50  # the events are spread over these milestones' changes
STARTUP_TIMEOUT = 30.0
ROUND_TIMEOUT = 900.0  # one timed round, either side; generous: the tracker is expected within minutes
TOTAL_TIMEOUT = 3 * 3600.0  # the whole run, seeding included
HOSTILE_COMMIT_GAP = 0.02  # seconds between the hostile scenario's commits
IDLE_WAIT = 0.005  # the delivery loop's pause while the dispatcher has not produced work yet
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


# -- the loopback peer ---------------------------------------------------------------------------


@dataclass
class Peer:
    """`bench.throughput_server` in a subprocess: the webhook receiver and the sources' publisher."""

    hosts: list[str]
    port: int
    process: asyncio.subprocess.Process

    def url(self, index: int, path: str) -> str:
        return f"http://{self.hosts[index % len(self.hosts)]}:{self.port}{path}"

    async def stats(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, trust_env=False) as client:
            response = await client.get(self.url(0, "/stats"))
            response.raise_for_status()
            stats: dict[str, Any] = response.json()
            return stats


def loopback_hosts(count: int) -> list[str]:
    return [f"127.0.0.{index + 1}" for index in range(count)]


@asynccontextmanager
async def peer(hosts: list[str]) -> AsyncIterator[Peer]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.throughput_server", *hosts, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        port = await _ready_port(process)
        running = Peer(hosts=hosts, port=port, process=process)
        await _wait_answering(running)
        yield running
    finally:
        await _stop(process)


async def _ready_port(process: asyncio.subprocess.Process) -> int:
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)
    except TimeoutError:
        raise RuntimeError(f"the loopback server did not start within {STARTUP_TIMEOUT:g} s") from None
    words = line.decode().split()
    if len(words) != 2 or words[0] != "READY":
        raise RuntimeError(f"the loopback server did not start (it said {line!r})")
    return int(words[1])


async def _wait_answering(running: Peer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            await running.stats()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or running.process.returncode is not None:
                raise RuntimeError("the loopback server does not answer") from None
            await asyncio.sleep(0.05)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        process.kill()
        await process.wait()


# -- the database --------------------------------------------------------------------------------


def fresh_database() -> str:
    """Drop and recreate `bench_throughput`, then migrate it with the tracker's own migrations."""
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    finally:
        admin.dispose()
    migrate.upgrade(DATABASE_URL)
    return DATABASE_URL


def bench_settings(url: str) -> Settings:
    return Settings(database_url=url, allow_private_targets=True, scheduler_enabled=False)


@dataclass(frozen=True)
class Plan:
    plan: ActionPlan
    commitment_ids: list[uuid.UUID]
    milestone_ids: list[uuid.UUID]


async def seed_plan(db: Database, *, commitments_count: int, slug: str) -> Plan:
    """A collectivity with an adopted plan, its commitments each with one milestone."""
    async with db.transaction() as session:
        place = await collectivities.create_collectivity(
            session, actor=SYSTEM, slug=slug, kind=CollectivityKind.COMMUNE, name={"fr": slug.title(), "ar": "بلدية"}
        )
        plan = await plans.create_plan(
            session,
            actor=SYSTEM,
            collectivity_id=place.id,
            title={"fr": "Plan d'ouverture", "ar": "خطة الانفتاح"},
            period_start=date(2024, 1, 1),
            period_end=date(2026, 12, 31),
            status=PlanStatus.ADOPTED,
        )
        commitment_ids, milestone_ids = [], []
        for number in range(commitments_count):
            commitment = await commitments.create_commitment(
                session,
                actor=SYSTEM,
                plan_id=plan.id,
                reference=f"B-{number + 1}",
                title={"fr": f"Engagement {number}"},
            )
            milestone = await milestones.create_milestone(
                session, actor=SYSTEM, commitment_id=commitment.id, title={"fr": "Étape"}, due_on=date(2025, 6, 30)
            )
            commitment_ids.append(commitment.id)
            milestone_ids.append(milestone.id)
    return Plan(plan=plan, commitment_ids=commitment_ids, milestone_ids=milestone_ids)


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Side:
    """One side of a comparison: the seconds of each of its rounds, for `count` operations each."""

    count: int
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def rates(self) -> list[float]:
        return [self.count / seconds for seconds in self.seconds]

    @property
    def cpu_ms_per_operation(self) -> float:
        """This process's CPU per operation (median of the rounds); the database's is not counted."""
        return statistics.median(self.cpu_seconds) * 1000 / self.count

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "seconds": [round(seconds, 3) for seconds in self.seconds],
            "rates": [round(rate, 1) for rate in self.rates],
            "median_rate": round(statistics.median(self.rates), 1),
            "best_rate": round(max(self.rates), 1),
            "process_cpu_seconds": [round(seconds, 3) for seconds in self.cpu_seconds],
            "cpu_ms_per_operation": round(self.cpu_ms_per_operation, 3),
        }


async def bounded(work: Awaitable[None], what: str) -> None:
    try:
        async with asyncio.timeout(ROUND_TIMEOUT):
            await work
    except TimeoutError:
        raise RuntimeError(f"{what} did not finish within {ROUND_TIMEOUT:g} s") from None


async def timed(side: Side, work: Awaitable[None], what: str) -> None:
    cpu, started = time.process_time(), time.perf_counter()
    await bounded(work, what)
    side.seconds.append(time.perf_counter() - started)
    side.cpu_seconds.append(time.process_time() - cpu)


def comparison(raw: Side, tracker: Side, *, concurrency: int, target: float | None, **extra: Any) -> dict[str, Any]:
    """The two sides and their ratio: of the median rates (what the target is checked against), of
    the best rates, of each round with the raw round just before it (robust to a machine whose load
    drifts), and of this process's CPU per operation. No target: reported for information."""
    ratio = statistics.median(tracker.rates) / statistics.median(raw.rates)
    paired = [mine / limit for mine, limit in zip(tracker.rates, raw.rates, strict=True)]
    return {
        "concurrency": concurrency,
        **extra,
        "raw": raw.summary(),
        "tracker": tracker.summary(),
        "ratio_median": round(ratio, 3),
        "ratio_best": round(max(tracker.rates) / max(raw.rates), 3),
        "ratio_paired_median": round(statistics.median(paired), 3),
        "ratio_cpu": round(raw.cpu_ms_per_operation / tracker.cpu_ms_per_operation, 3),
        "target": target,
        "meets_target": None if target is None else ratio >= target,
    }


async def pool(items: Sequence[Any], concurrency: int, one: Callable[[Any], Awaitable[None]]) -> None:
    """`one(item)` for every item, `concurrency` at a time (workers over a shared iterator)."""
    pending: Iterator[Any] = iter(items)

    async def worker() -> None:
        for item in pending:
            await one(item)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def expect(what: str, got: int, wanted: int) -> None:
    if got != wanted:
        raise RuntimeError(f"{what}: {got}, expected {wanted}")


# -- webhooks ------------------------------------------------------------------------------------


def webhook_concurrency(subscriptions: int) -> int:
    """In flight at once: the worker sends one subscription's deliveries in event order, one at a time."""
    return min(subscriptions, delivery_jobs.PARALLEL_SUBSCRIPTIONS)


async def subscribe(db: Database, running: Peer, count: int) -> list[str]:
    """`count` real subscriptions on the receiver; their secrets."""
    secrets = []
    async with db.transaction() as session:
        for index in range(count):
            _subscription, secret = await webhooks.create_subscription(
                session,
                actor=SYSTEM,
                url=running.url(0, f"/hooks/{index}"),
                format=WebhookFormat.STANDARD,
                event_types=["milestone.*"],
                lang="fr",
                allow_private=True,
            )
            secrets.append(secret)
    return secrets


async def emit_events(db: Database, seeded: Plan, count: int) -> None:
    """`count` milestone.updated events, as `update_milestone` writes them, through the outbox."""
    for start in range(0, count, EMIT_CHUNK):
        async with db.transaction() as session:
            for number in range(start, min(start + EMIT_CHUNK, count)):
                milestone_event(session, seeded, number)


def milestone_event(session: AsyncSession, seeded: Plan, number: int) -> None:
    """The `number`th milestone.updated event, in the session's transaction."""
    statuses = ("IN_PROGRESS", "DELAYED")
    index = number % len(seeded.milestone_ids)
    before, after = statuses[number % 2], statuses[(number + 1) % 2]
    plans.plan_event(
        session,
        seeded.plan,
        type=EventType.MILESTONE_UPDATED,
        actor=SYSTEM,
        subject_type="Milestone",
        subject_id=seeded.milestone_ids[index],
        data={
            "changes": {"status": {"before": before, "after": after}},
            "commitmentId": seeded.commitment_ids[index],
        },
    )


@dataclass(frozen=True)
class Post:
    url: str
    body: bytes
    headers: dict[str, str]


async def raw_posts(db: Database, running: Peer, secrets: list[str], base_url: str) -> list[Post]:
    """What the tracker will send for the undispatched events: the same bodies, signed the same way."""
    async with db.reader() as session:
        events = (
            await session.exec(
                select(OutboxEvent).where(col(OutboxEvent.dispatched_at).is_(None)).order_by(col(OutboxEvent.seq))
            )
        ).all()
        built = await envelopes.build(session, events, base_url)
    posts = []
    for index, secret in enumerate(secrets):
        url = running.url(0, f"/hooks/{index}")
        for event in events:
            rendered = RENDERERS["STANDARD"](built[event.id], "fr")
            headers = signing.headers(
                message_id=f"msg_{uuid.uuid4().hex}", timestamp=utcnow(), body=rendered.body.decode(), secrets_=[secret]
            )
            posts.append(Post(url, rendered.body, {**headers, "Content-Type": rendered.content_type}))
    return posts


async def post_raw(posts: list[Post], concurrency: int) -> None:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, trust_env=False) as client:

        async def one(post: Post) -> None:
            response = await client.post(post.url, content=post.body, headers=post.headers)
            response.raise_for_status()

        await pool(posts, concurrency, one)


async def deliver(scheduler: Scheduler) -> None:
    """The dispatch and delivery ticks, run side by side as the scheduler runs them, until done."""
    dispatching = asyncio.create_task(scheduler.dispatcher.drain())
    try:
        while True:
            dispatched = dispatching.done()
            if await scheduler.deliveries.run_once():
                continue
            if dispatched:
                break
            await asyncio.sleep(IDLE_WAIT)
        await dispatching
    finally:
        if not dispatching.done():
            dispatching.cancel()


async def delivery_counts(db: Database) -> dict[str, int]:
    async with db.reader() as session:
        rows = (
            await session.exec(select(WebhookDelivery.status, func.count()).group_by(col(WebhookDelivery.status)))
        ).all()
    return {str(status): int(count) for status, count in rows}


async def bench_webhooks(
    db: Database, settings: Settings, running: Peer, *, events: int, subscriptions: int, rounds: int
) -> dict[str, Any]:
    seeded = await seed_plan(db, commitments_count=SUBJECT_MILESTONES, slug="bench-webhooks")
    secrets = await subscribe(db, running, subscriptions)
    concurrency = webhook_concurrency(subscriptions)
    deliveries = events * subscriptions
    raw, tracker = Side(deliveries), Side(deliveries)
    scheduler = Scheduler(db, settings)
    try:
        # The seed's own events (milestone.created...), untimed: a warm-up.
        await bounded(deliver(scheduler), "delivering the seed's events")
        for round_number in range(rounds):
            await emit_events(db, seeded, events)
            posts = await raw_posts(db, running, secrets, settings.base_url)
            before = (await running.stats())["received"]
            await timed(raw, post_raw(posts, concurrency), f"raw webhook round {round_number + 1}")
            middle = (await running.stats())["received"]
            await timed(tracker, deliver(scheduler), f"tracker webhook round {round_number + 1}")
            after = (await running.stats())["received"]
            expect("requests received from the raw client", middle - before, deliveries)
            expect("requests received from the tracker", after - middle, deliveries)
            counts = await delivery_counts(db)
            expect("deliveries not succeeded", sum(counts.values()) - counts.get(DeliveryStatus.SUCCEEDED.value, 0), 0)
            progress(f"webhooks round {round_number + 1}: raw {raw.rates[-1]:.0f}/s, tracker {tracker.rates[-1]:.0f}/s")
    finally:
        await scheduler.shutdown()
    body = orjson.loads(posts[0].body)
    return comparison(
        raw,
        tracker,
        concurrency=concurrency,
        target=TARGETS["webhooks"],
        events=events,
        subscriptions=subscriptions,
        body_bytes=len(posts[0].body),
        event_type=body["type"],
    )


# -- hostile receivers ---------------------------------------------------------------------------


@dataclass
class Receipts:
    """What the in-process receivers saw: each healthy receipt's event time and wall-clock arrival."""

    wanted: int  # healthy receipts expected
    healthy: list[tuple[str, float]] = field(default_factory=list)
    stalled: int = 0
    all_in: asyncio.Event = field(default_factory=asyncio.Event)

    def receive(self, body: bytes) -> None:
        self.healthy.append((orjson.loads(body)["timestamp"], time.time()))
        if len(self.healthy) >= self.wanted:
            self.all_in.set()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    fields = dict(line.lower().split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
    return await reader.readexactly(int(fields.get(b"content-length", b"0")))


@asynccontextmanager
async def hostile_peers(receipts: Receipts) -> AsyncIterator[tuple[str, str, str]]:
    """Three raw HTTP receivers on loopback, in this process (their work is tiny next to the
    tracker's): a prompt one (keep-alive, 204), one that never answers, one that trickles."""
    answer = b"HTTP/1.1 204 No Content\r\n\r\n"
    trickled = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def prompt(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                body = await _read_request(reader)
                receipts.receive(body)
                writer.write(answer)
                await writer.drain()
        writer.close()

    # Cancelled when the run ends: ending quietly spares asyncio's complaint about a cancelled handler.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            await _read_request(reader)
            receipts.stalled += 1
            await reader.read()  # until the client gives up
        writer.close()

    async def trickling(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            await _read_request(reader)
            receipts.stalled += 1
            for index in range(len(trickled)):
                writer.write(trickled[index : index + 1])
                await writer.drain()
                await asyncio.sleep(1.0)
        writer.close()

    servers = [await asyncio.start_server(handler, "127.0.0.1", 0) for handler in (prompt, silent, trickling)]
    try:
        urls = [f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook" for server in servers]
        yield urls[0], urls[1], urls[2]
    finally:
        for server in servers:
            server.close()


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def bench_hostile(db: Database, settings: Settings, *, events: int, healthy: int) -> dict[str, Any]:
    """Latency from commit to receipt for `healthy` subscriptions beside a silent and a trickling one."""
    seeded = await seed_plan(db, commitments_count=SUBJECT_MILESTONES, slug="bench-hostile")
    receipts = Receipts(wanted=events * healthy)
    committed: list[float] = []
    async with hostile_peers(receipts) as (prompt_url, silent_url, trickling_url):
        async with db.transaction() as session:
            for url in [prompt_url] * healthy + [silent_url, trickling_url]:
                await webhooks.create_subscription(
                    session,
                    actor=SYSTEM,
                    url=url,
                    format=WebhookFormat.STANDARD,
                    event_types=["milestone.updated"],
                    allow_private=True,
                )
        scheduler = Scheduler(db, settings)
        await scheduler.start()
        try:
            for number in range(events):
                async with db.transaction() as session:
                    milestone_event(session, seeded, number)  # one event, committed alone
                committed.append(time.time())
                scheduler.wake()  # as the API does after a mutation commits
                await asyncio.sleep(HOSTILE_COMMIT_GAP)
            with suppress(TimeoutError):
                await asyncio.wait_for(receipts.all_in.wait(), ROUND_TIMEOUT)
        finally:
            await scheduler.shutdown()
    expect("healthy receipts", len(receipts.healthy), events * healthy)
    latencies = []
    for stamp, arrived in receipts.healthy:
        occurred = datetime.fromisoformat(stamp).timestamp()
        latencies.append(arrived - committed[bisect.bisect_left(committed, occurred)])
    return {
        "events": events,
        "healthy_subscriptions": healthy,
        "hostile_subscriptions": {"never_answers": 1, "trickles_a_byte_a_second": 1},
        "hostile_requests": receipts.stalled,
        "commit_gap_seconds": HOSTILE_COMMIT_GAP,
        "webhook_timeout_seconds": settings.webhook_timeout_seconds,
        "healthy_latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        },
    }


# -- evidence sources ----------------------------------------------------------------------------


def source_concurrency(hosts: int) -> int:
    """In flight at once: the runner's global gate, or its per-host gates if there are few hosts."""
    return min(source_jobs.PARALLEL, hosts * source_jobs.PER_HOST)


def source_hosts() -> int:
    """Enough loopback addresses that the per-host gate is not what limits the runner."""
    return max(1, -(-source_jobs.PARALLEL // source_jobs.PER_HOST))


@dataclass(frozen=True)
class Scenario:
    """What the sources feed, and so what a poll of theirs writes."""

    name: str
    target_type: str  # "Commitment": evidence, deduplicated; "Indicator": a measurement per poll
    options: dict[str, Any]
    primed: bool  # polled once, untimed, before the rounds: the rounds then measure the steady state
    outcome: RunOutcome  # of every run of the timed rounds
    description: str


STEADY = Scenario(
    name="evidence",
    target_type="Commitment",
    options={"valuePath": "/data/value", "itemsPath": "/publications"},
    primed=True,
    outcome=RunOutcome.NOT_MODIFIED,
    description="JSON_API sources listing their publications as evidence of a commitment; their server "
    "sends no validators and the same document as at the first poll (untimed), so each timed run reads "
    "the whole document, finds it unchanged (NOT_MODIFIED) and writes its run and the source's next time",
)
MEASURING = Scenario(
    name="measurements",
    target_type="Indicator",
    options={"valuePath": "/data/value"},
    primed=False,
    outcome=RunOutcome.SUCCESS,
    description="JSON_API sources feeding an indicator whose figure changes at every request: each run "
    "also records a measurement (indicator.measured, with the commitment's progress read before and after)",
)


async def seed_sources(db: Database, running: Peer, count: int, scenario: Scenario) -> list[uuid.UUID]:
    """`count` JSON_API sources on the loopback server, due now; their ids."""
    seeded = await seed_plan(db, commitments_count=-(-count // SOURCES_PER_COMMITMENT), slug=f"bench-{scenario.name}")
    ids = []
    for start in range(0, count, SEED_CHUNK):
        async with db.transaction() as session:
            for index in range(start, min(start + SEED_CHUNK, count)):
                commitment_id = seeded.commitment_ids[index // SOURCES_PER_COMMITMENT]
                target_id = commitment_id
                if scenario.target_type == "Indicator":
                    indicator = await indicators.create_indicator(
                        session,
                        actor=SYSTEM,
                        commitment_id=commitment_id,
                        name={"fr": f"Demandes traitées {index}"},
                        unit="requests",
                        baseline=0,
                        target=100,
                    )
                    target_id = indicator.id
                source = await source_service.create_source(
                    session,
                    actor=SYSTEM,
                    kind="JSON_API",
                    url=running.url(index, f"/{scenario.name}/{index}.json"),
                    schedule="PT6H",
                    target_type=scenario.target_type,
                    target_id=target_id,
                    options=scenario.options,
                    allow_private=True,
                )
                ids.append(source.id)
    return ids


async def source_urls(db: Database, ids: list[uuid.UUID]) -> list[str]:
    async with db.reader() as session:
        rows = (await session.exec(select(EvidenceSource.url).where(col(EvidenceSource.id).in_(ids)))).all()
    return list(rows)


async def make_due(db: Database, ids: list[uuid.UUID]) -> datetime:
    now = utcnow()
    async with db.transaction() as session:
        await session.exec(update(EvidenceSource).where(col(EvidenceSource.id).in_(ids)).values(next_run_at=now))
    return now


async def get_raw(urls: list[str], concurrency: int) -> None:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, trust_env=False) as client:

        async def one(url: str) -> None:
            response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            orjson.loads(response.content)

        await pool(urls, concurrency, one)


async def poll_sources(scheduler: Scheduler) -> None:
    """What the scheduler's source tick runs: claim and poll due sources until none is due."""
    await scheduler.sources.run_due()


async def runs_since(db: Database, moment: datetime, outcome: RunOutcome) -> int:
    async with db.reader() as session:
        count = (
            await session.exec(
                select(func.count()).where(col(SourceRun.started_at) >= moment, SourceRun.outcome == outcome)
            )
        ).one()
    return int(count)


async def measurements_since(db: Database, moment: datetime) -> int:
    async with db.reader() as session:
        total = (
            await session.exec(select(func.sum(SourceRun.measurements)).where(col(SourceRun.started_at) >= moment))
        ).one()
    return int(total or 0)


async def prime(db: Database, scheduler: Scheduler, count: int) -> None:
    """The first poll of every source, untimed: it records their publications as evidence."""
    since = utcnow()
    await bounded(poll_sources(scheduler), "the first poll of the sources")
    expect("successful first runs", await runs_since(db, since, RunOutcome.SUCCESS), count)
    async with db.reader() as session:
        evidence = (await session.exec(select(func.count()).select_from(Evidence))).one()
    expect("evidence recorded by the first runs", int(evidence), count * PUBLICATIONS)


async def bench_sources(
    db: Database, settings: Settings, running: Peer, *, count: int, rounds: int, scenario: Scenario
) -> dict[str, Any]:
    ids = await seed_sources(db, running, count, scenario)
    urls = await source_urls(db, ids)
    concurrency = source_concurrency(len(running.hosts))
    raw, tracker = Side(count), Side(count)
    scheduler = Scheduler(db, settings)
    try:
        if scenario.primed:
            await prime(db, scheduler, count)
        for round_number in range(rounds):
            label = f"{scenario.name} sources round {round_number + 1}"
            due_since = await make_due(db, ids)
            before = (await running.stats())["served"]
            await timed(raw, get_raw(urls, concurrency), f"raw {label}")
            middle = (await running.stats())["served"]
            await timed(tracker, poll_sources(scheduler), f"tracker {label}")
            after = (await running.stats())["served"]
            expect("documents served to the raw client", middle - before, count)
            expect("documents served to the tracker", after - middle, count)
            expect(f"{scenario.outcome} source runs recorded", await runs_since(db, due_since, scenario.outcome), count)
            if scenario.target_type == "Indicator":
                expect("measurements recorded", await measurements_since(db, due_since), count)
            progress(f"{label}: raw {raw.rates[-1]:.0f}/s, tracker {tracker.rates[-1]:.0f}/s")
    finally:
        await scheduler.shutdown()
    return comparison(
        raw,
        tracker,
        concurrency=concurrency,
        target=TARGETS.get(scenario.name),
        hosts=len(running.hosts),
        kind="JSON_API",
        scenario=scenario.description,
    )


# -- the run -------------------------------------------------------------------------------------


def progress(message: str) -> None:
    sys.stderr.write(f"[throughput] {message}\n")
    sys.stderr.flush()


async def run(
    *, events: int = 10_000, sources: int = 2_000, subscriptions: int = 1, hostile_events: int = 500, healthy: int = 4
) -> dict[str, object]:
    """Every comparison on a fresh `bench_throughput` database; the figures, as written to JSON.

    `sources` (the target applies) is the steady state of polling; `sources_measuring`, polls that each
    record a measurement, is there for information."""
    started = utcnow()
    url = await asyncio.to_thread(fresh_database)
    settings = bench_settings(url)
    db = Database(url)
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT), peer(loopback_hosts(source_hosts())) as running:
            progress(f"loopback server on port {running.port} ({', '.join(running.hosts)})")
            webhook_figures = await bench_webhooks(
                db, settings, running, events=events, subscriptions=subscriptions, rounds=ROUNDS
            )
            steady = await bench_sources(db, settings, running, count=sources, rounds=ROUNDS, scenario=STEADY)
            measuring = await bench_sources(db, settings, running, count=sources, rounds=ROUNDS, scenario=MEASURING)
            progress(f"hostile receivers: {hostile_events} events, {healthy} healthy subscriptions")
            hostile = await bench_hostile(db, settings, events=hostile_events, healthy=healthy)
    except TimeoutError:
        raise RuntimeError(f"the throughput benchmark did not finish within {TOTAL_TIMEOUT:g} s") from None
    finally:
        await db.dispose()
    return {
        "benchmark": "throughput",
        "started_at": started.isoformat(),
        "finished_at": utcnow().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "database": DATABASE_URL,
        "rounds": ROUNDS,
        "webhooks": webhook_figures,
        "sources": steady,
        "sources_measuring": measuring,
        "hostile": hostile,
    }


def table(results: dict[str, Any]) -> str:
    lines = [f"{'':18} {'conc.':>5} {'raw/s':>9} {'tracker/s':>10} {'ratio':>6} {'paired':>7} {'cpu':>6} {'target':>6}"]
    for name in ("webhooks", "sources", "sources_measuring"):
        figures = results[name]
        target = figures["target"]
        verdict = "" if target is None else ("  ok" if figures["meets_target"] else "  MISSED")
        lines.append(
            f"{name:18} {figures['concurrency']:>5} {figures['raw']['median_rate']:>9.0f} "
            f"{figures['tracker']['median_rate']:>10.0f} {figures['ratio_median']:>6.2f} "
            f"{figures['ratio_paired_median']:>7.2f} {figures['ratio_cpu']:>6.2f} "
            f"{'-' if target is None else f'{target:.2f}':>6}{verdict}"
        )
    latency = results["hostile"]["healthy_latency_ms"]
    lines.append(
        f"hostile receivers: healthy subscriptions' commit-to-receipt latency p50 {latency['p50']:.0f} ms, "
        f"p99 {latency['p99']:.0f} ms, max {latency['max']:.0f} ms"
    )
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(str(results["started_at"])).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"throughput-{stamp}.json"
    path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="outbox events fanned out (default 10,000)")
    parser.add_argument("--sources", type=int, default=2_000, help="evidence sources polled (default 2,000)")
    parser.add_argument("--subscriptions", type=int, default=1, help="webhook subscriptions (default 1)")
    parser.add_argument("--hostile-events", type=int, default=500, help="events of the hostile scenario (500)")
    parser.add_argument("--healthy", type=int, default=4, help="healthy subscriptions beside the hostile ones (4)")
    arguments = parser.parse_args()
    results = asyncio.run(
        run(
            events=arguments.events,
            sources=arguments.sources,
            subscriptions=arguments.subscriptions,
            hostile_events=arguments.hostile_events,
            healthy=arguments.healthy,
        )
    )
    path = write(results)
    sys.stdout.write(table(results))
    sys.stdout.write(f"written to {path.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
