"""Evidence sources: configuration, schedules, and what a run leaves behind.

A schedule is an ISO 8601 duration (`PT6H`) or a five-field cron expression; when a source is
next due lives in its row (`next_run_at`), computed with APScheduler's triggers, so restarts and
replicas neither lose nor double a run. A failing source backs off exponentially (5 minutes,
doubling, at most a day or its own interval if longer); after three failures in a row it turns
FAILING and `source.failed` is emitted, and `source.recovered` when it succeeds again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, any_, bindparam, insert, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.http import check_target
from integrations.sources.base import OptionError, PollResult, SourceConfig
from integrations.sources.registry import ADAPTERS
from tracker.access import Principal, ensure_can_edit
from tracker.errors import BadInput, NotFound
from tracker.events.types import EventType
from tracker.models import (
    ActionPlan,
    Commitment,
    Evidence,
    EvidenceKind,
    EvidenceSource,
    Indicator,
    Measurement,
    MeasurementOrigin,
    Milestone,
    MilestoneProposal,
    ProposalStatus,
    RunOutcome,
    SourceKind,
    SourceRun,
    SourceState,
    WorkStatus,
)
from tracker.models.base import utcnow
from tracker.models.enums import Role
from tracker.services import access_requests
from tracker.services import evidence as evidence_service
from tracker.services import indicators as indicator_service
from tracker.services.common import UNSET, _Unset, enum_value, get_or_404, touch
from tracker.services.plans import plan_event
from tracker.settings import get_settings

MIN_INTERVAL = timedelta(minutes=5)
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(days=1)
FAILING_AFTER = 3
TARGETS = ("Indicator", "Milestone", "Commitment")
# Options the tracker reads itself; the adapter gets the others.
TRACKER_OPTIONS = ("completeWhen",)
LOOKUP_CHUNK = 1000  # values per IN list when looking up what a batch of runs already stored
_DURATION = TypeAdapter(timedelta)


@dataclass(frozen=True, slots=True)
class Schedule:
    interval: timedelta | None = None
    cron: CronTrigger | None = None

    def next_after(self, moment: datetime) -> datetime:
        if self.interval is not None:
            return moment + self.interval
        assert self.cron is not None
        upcoming: datetime | None = self.cron.get_next_fire_time(None, moment)
        assert upcoming is not None  # a five-field cron expression always fires again
        return upcoming

    @property
    def typical_gap(self) -> timedelta:
        if self.interval is not None:
            return self.interval
        assert self.cron is not None
        first = self.next_after(utcnow())
        return self.next_after(first + timedelta(seconds=1)) - first


def parse_schedule(text: str) -> Schedule:
    value = text.strip()
    if value.upper().startswith("P"):
        try:
            interval = _DURATION.validate_python(value)
        except ValidationError:
            raise BadInput("schedule: not an ISO 8601 duration such as PT6H or P1D", field="schedule") from None
        if interval < MIN_INTERVAL:
            raise BadInput("schedule: a source may run every 5 minutes at most", field="schedule")
        return Schedule(interval=interval)
    if len(value.split()) != 5:
        raise BadInput("schedule: an ISO 8601 duration (PT6H) or a five-field cron expression", field="schedule")
    try:
        return Schedule(cron=CronTrigger.from_crontab(value, timezone=get_settings().timezone))
    except ValueError as error:
        raise BadInput(f"schedule: {error}", field="schedule") from None


def source_principal(source: Polled) -> Principal:
    """Changes a source makes are its own, recorded as such in events and history."""
    return Principal(role=Role.ADMIN, name=f"source {source.kind.value.lower()} {source.id.hex[:8]}")


async def _target(session: AsyncSession, target_type: str, target_id: uuid.UUID) -> tuple[Commitment, ActionPlan]:
    if target_type == "Indicator":
        commitment_id = (await get_or_404(session, Indicator, target_id, field="targetId")).commitment_id
    elif target_type == "Milestone":
        commitment_id = (await get_or_404(session, Milestone, target_id, field="targetId")).commitment_id
    elif target_type == "Commitment":
        commitment_id = target_id
    else:
        raise BadInput("targetId must be an indicator, a milestone or a commitment", field="targetId")
    commitment = await get_or_404(session, Commitment, commitment_id, field="targetId")
    return commitment, await get_or_404(session, ActionPlan, commitment.plan_id)


def adapter_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if name not in TRACKER_OPTIONS}


def check_rule(options: Mapping[str, Any], target_type: str) -> None:
    """`completeWhen`: `{"atLeast": N}` (a value reaches N) or `{"newItem": true}` (anything new)."""
    rule = options.get("completeWhen")
    if rule is None:
        return
    field = "options.completeWhen"
    if target_type != "Milestone":
        raise BadInput(f"{field}: only a source feeding a milestone can propose to complete it", field=field)
    valid = (
        isinstance(rule, dict)
        and len(rule) == 1
        and (
            (isinstance(rule.get("atLeast"), int | float) and not isinstance(rule.get("atLeast"), bool))
            or rule.get("newItem") is True
        )
    )
    if not valid:
        raise BadInput(f'{field}: either {{"atLeast": <number>}} or {{"newItem": true}}', field=field)


REGISTER_URL = "register:access-requests"


async def _checked_config(
    kind: SourceKind, url: str, options: Mapping[str, Any], allow_private: bool, *, resolve_url: bool = True
) -> SourceConfig:
    if kind is SourceKind.ACCESS_REQUESTS:
        # Read from the collectivity's own register: nothing leaves the tracker.
        access_requests.check_options(dict(options))
        return SourceConfig(url=REGISTER_URL, options=dict(options))
    config = SourceConfig(url=url.strip(), options=dict(options))
    problem = await check_target(config.url, allow_private=allow_private) if resolve_url else None
    if problem is not None:
        raise BadInput(f"url: {problem}", field="url")
    try:
        ADAPTERS[kind.value].validate(SourceConfig(url=config.url, options=adapter_options(config.options)))
    except OptionError as error:
        raise BadInput(f"options.{error.option}: {error.message}", field=f"options.{error.option}") from None
    return config


async def create_source(
    session: AsyncSession,
    *,
    actor: Principal,
    kind: SourceKind | str,
    url: str,
    schedule: str,
    target_type: str,
    target_id: uuid.UUID,
    options: Mapping[str, Any] | None = None,
    allow_private: bool = False,
    paused: bool = False,
    resolve_url: bool = True,
) -> EvidenceSource:
    """A new source, due at once unless created paused. `resolve_url=False` is for trusted seed
    data made offline: the address is still checked at every poll."""
    commitment, plan = await _target(session, target_type, target_id)
    ensure_can_edit(actor, plan.collectivity_id)
    source_kind = enum_value(SourceKind, kind, field="kind")
    parse_schedule(schedule)
    check_rule(options or {}, target_type)
    if source_kind is SourceKind.ACCESS_REQUESTS and target_type != "Indicator":
        raise BadInput("targetId: the access-requests register feeds an indicator", field="targetId")
    config = await _checked_config(source_kind, url, options or {}, allow_private, resolve_url=resolve_url)
    source = EvidenceSource(
        kind=source_kind,
        url=config.url,
        options=config.options,
        schedule=schedule.strip(),
        target_type=target_type,
        target_id=target_id,
        commitment_id=commitment.id,
        collectivity_id=plan.collectivity_id,
        state=SourceState.PAUSED if paused else SourceState.ACTIVE,
        next_run_at=None if paused else utcnow(),  # a new source shows what it finds straight away
    )
    session.add(source)
    await session.flush()
    return source


async def _managed(session: AsyncSession, actor: Principal, id: uuid.UUID) -> EvidenceSource:
    source = await get_or_404(session, EvidenceSource, id)
    ensure_can_edit(actor, source.collectivity_id)
    return source


async def update_source(
    session: AsyncSession,
    *,
    actor: Principal,
    id: uuid.UUID,
    url: str | _Unset = UNSET,
    schedule: str | _Unset = UNSET,
    options: Mapping[str, Any] | _Unset = UNSET,
    paused: bool | _Unset = UNSET,
    allow_private: bool = False,
) -> EvidenceSource:
    source = await _managed(session, actor, id)
    if not isinstance(url, _Unset) or not isinstance(options, _Unset):
        config = await _checked_config(
            source.kind,
            source.url if isinstance(url, _Unset) else url,
            source.options if isinstance(options, _Unset) else options,
            allow_private,
        )
        check_rule(config.options, source.target_type)
        if config.url != source.url or config.options != source.options:
            # Validators and the last content's digest say "nothing new" only for what was read last.
            source.poll_state = {}
        source.url, source.options = config.url, config.options
    if not isinstance(schedule, _Unset):
        parsed = parse_schedule(schedule)
        source.schedule = schedule.strip()
        source.next_run_at = parsed.next_after(utcnow())
    if not isinstance(paused, _Unset):
        if paused:
            source.state = SourceState.PAUSED
        elif source.state is SourceState.PAUSED:
            source.state = SourceState.ACTIVE
            source.next_run_at = utcnow()
    touch(source)
    session.add(source)
    return source


async def delete_source(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> EvidenceSource:
    source = await _managed(session, actor, id)
    await session.delete(source)
    await session.flush()
    return source


async def request_run(session: AsyncSession, *, actor: Principal, id: uuid.UUID) -> EvidenceSource:
    """Make the source due now (even when paused or failing)."""
    source = await _managed(session, actor, id)
    source.next_run_at = utcnow()
    touch(source)
    session.add(source)
    return source


def backoff(failures: int, schedule: Schedule) -> timedelta:
    delay = FIRST_BACKOFF * (1 << min(max(failures - 1, 0), 20))
    ceiling: timedelta = max(MAX_BACKOFF, schedule.typical_gap)
    return min(delay, ceiling)


_EVIDENCE = Evidence.metadata.tables["evidence"]


def among(session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL `column = ANY(:values)`, one array parameter however many values,
    so a batch's lookups are the same statement every time (psycopg prepares it once) and nothing is
    expanded per call."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


@dataclass(slots=True)
class Known:
    """What is already stored, looked up once for a batch of runs and kept current as they add to it."""

    fingerprints: dict[uuid.UUID, set[str]] = field(default_factory=dict)  # by commitment
    measurements: set[tuple[uuid.UUID, datetime, float]] = field(default_factory=set)  # indicator, when, value


async def _known(session: AsyncSession, sources: Sequence[Polled], results: Sequence[PollResult]) -> Known:
    """Evidence fingerprints and measurements among what these results bring: two statements or so."""
    known = Known(fingerprints={source.commitment_id: set() for source in sources})
    commitment_ids = list(known.fingerprints)
    fingerprints = sorted({item.fingerprint for result in results for item in result.items})
    for start in range(0, len(fingerprints), LOOKUP_CHUNK):
        rows = await session.exec(
            select(Evidence.commitment_id, Evidence.fingerprint).where(
                among(session, _EVIDENCE.c.commitment_id, commitment_ids),
                among(session, _EVIDENCE.c.fingerprint, fingerprints[start : start + LOOKUP_CHUNK]),
            )
        )
        for commitment_id, fingerprint in rows.all():
            known.fingerprints[commitment_id].add(fingerprint)
    indicator_ids = [source.target_id for source in sources if source.target_type == "Indicator"]
    moments = sorted({observation.observed_at for result in results for observation in result.observations})
    if indicator_ids and moments:
        for start in range(0, len(moments), LOOKUP_CHUNK):
            stored = await session.exec(
                select(Measurement.indicator_id, Measurement.observed_at, Measurement.value).where(
                    col(Measurement.indicator_id).in_(indicator_ids),
                    col(Measurement.observed_at).in_(moments[start : start + LOOKUP_CHUNK]),
                )
            )
            known.measurements.update((indicator, moment, value) for indicator, moment, value in stored.all())
    return known


async def _store_items(session: AsyncSession, source: Polled, result: PollResult, known: Known) -> tuple[int, int]:
    """Evidence for new items (by fingerprint) and measurements for new values: (new items, values)."""
    actor = source_principal(source)
    fingerprints = known.fingerprints.setdefault(source.commitment_id, set())
    milestone_id = source.target_id if source.target_type == "Milestone" else None
    new = 0
    for item in result.items:
        if item.fingerprint in fingerprints:
            continue
        fingerprints.add(item.fingerprint)
        await evidence_service.add_evidence(
            session,
            actor=actor,
            commitment_id=source.commitment_id,
            milestone_id=milestone_id,
            url=item.url,
            title=item.title or {"fr": item.url},
            kind=item.kind if item.kind in EvidenceKind.__members__ else EvidenceKind.OTHER,
            published_at=item.published_at,
            fingerprint=item.fingerprint,
            origin=MeasurementOrigin.SOURCE,
        )
        new += 1
    values = 0
    if source.target_type == "Indicator":
        for observation in result.observations:
            key = (source.target_id, observation.observed_at, observation.value)
            if key in known.measurements:
                continue
            known.measurements.add(key)
            await indicator_service.record_measurement(
                session,
                actor=actor,
                indicator_id=source.target_id,
                value=observation.value,
                observed_at=observation.observed_at,
                note=observation.note,
                origin=MeasurementOrigin.SOURCE,
            )
            values += 1
    return new, values


@dataclass(frozen=True, slots=True)
class Poll:
    """One poll of a source, to be recorded: its result, or why it failed."""

    source_id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    result: PollResult | None
    error: str | None = None
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Polled:
    """A polled source as recording its run needs it: plain columns, read once for a batch."""

    id: uuid.UUID
    kind: SourceKind
    url: str
    options: dict[str, Any]
    schedule: str
    target_type: str
    target_id: uuid.UUID
    commitment_id: uuid.UUID
    state: SourceState
    consecutive_failures: int
    last_success_at: datetime | None
    poll_state: dict[str, Any]


_SOURCES = EvidenceSource.metadata.tables["evidence_source"]
_RUNS = SourceRun.metadata.tables["source_run"]
_POLLED = tuple(_SOURCES.c[name] for name in Polled.__slots__)
# What a run changes in its source's row; every run sets every column, so a batch is one executemany.
_AFTER_RUN = (
    update(_SOURCES)
    .where(_SOURCES.c.id == bindparam("polled_id"))
    .values({name: bindparam(name) for name in ("updated_at", "last_run_at", "last_success_at", "last_error")})
    .values({name: bindparam(name) for name in ("consecutive_failures", "state", "next_run_at", "poll_state")})
)


async def _polled(session: AsyncSession, source_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Polled]:
    """The sources of a batch of polls, locked until the runs are written (a pause asked for meanwhile
    waits, then holds); NotFound when a source or the indicator or milestone it feeds is gone."""
    query = select(*_POLLED).where(among(session, _SOURCES.c.id, source_ids)).with_for_update()  # none on SQLite
    found = {row[0]: Polled(*row) for row in (await session.exec(query)).all()}
    # A commitment's sources go with it (the foreign key cascades); its indicators and milestones do not.
    alive: set[uuid.UUID] = set()
    for model, target_type in ((Indicator, "Indicator"), (Milestone, "Milestone")):
        wanted = {source.target_id for source in found.values() if source.target_type == target_type}
        if wanted:
            alive.update((await session.exec(select(model.id).where(col(model.id).in_(wanted)))).all())
    for source_id in source_ids:
        source = found.get(source_id)
        if source is None:
            raise NotFound("no EvidenceSource with this id")
        if source.target_type not in TARGETS:
            raise BadInput("targetId must be an indicator, a milestone or a commitment", field="targetId")
        if source.target_type != "Commitment" and source.target_id not in alive:
            raise NotFound(f"no {source.target_type} with this id", field="targetId")
    return found


class _Plans:
    """The plans runs announce events in, read when a run first needs one: most runs do not."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.by_commitment: dict[uuid.UUID, ActionPlan] = {}

    async def of(self, source: Polled) -> ActionPlan:
        plan = self.by_commitment.get(source.commitment_id)
        if plan is None:
            _commitment, plan = await _target(self.session, "Commitment", source.commitment_id)
            self.by_commitment[source.commitment_id] = plan
        return plan


async def record_runs(session: AsyncSession, polls: Sequence[Poll]) -> list[SourceRun]:
    """Write each poll's run, what it found, and when its source is next due, in order, in the
    caller's transaction. The reads are shared: the sources are read at once, known evidence and
    measurements looked up at once, and the sources' rows updated in one statement. One failure
    fails them all: the caller retries them one by one."""
    runs = [SourceRun(**row) for row in await _record_all(session, polls)]
    session.add_all(runs)
    await session.flush()
    return runs


async def write_runs(session: AsyncSession, polls: Sequence[Poll]) -> int:
    """`record_runs` for callers that do not need the runs back: the same writes, the runs inserted
    as plain rows (one statement for the batch) rather than built as objects; how many."""
    rows = await _record_all(session, polls)
    await session.flush()
    if rows:
        await session.exec(insert(_RUNS), params=rows)  # executemany: one cached statement
    return len(rows)


async def _record_all(session: AsyncSession, polls: Sequence[Poll]) -> list[dict[str, Any]]:
    if not polls:
        return []
    polled = await _polled(session, [poll.source_id for poll in polls])
    known = await _known(session, list(polled.values()), [poll.result for poll in polls if poll.result is not None])
    plans = _Plans(session)
    runs, changes = [], []
    for poll in polls:
        run, changed = await _record(session, polled[poll.source_id], plans, poll, known)
        runs.append(run)
        changes.append(changed)
    await session.exec(_AFTER_RUN, params=changes)
    return runs


@lru_cache(maxsize=1024)
def _schedule(text: str, timezone: str) -> Schedule:
    """`parse_schedule`, once per schedule: a batch of runs mostly shares a few. The timezone is part
    of the key because cron schedules are read in the configured one."""
    return parse_schedule(text)


async def _record(
    session: AsyncSession, source: Polled, plans: _Plans, poll: Poll, known: Known
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The poll's run, as the columns of its row, and the new values of its source's row."""
    schedule = _schedule(source.schedule, get_settings().timezone)
    now = poll.finished_at  # what the run's times and the next one count from, even when recorded later
    result = poll.result
    # Every column given: a default factory such as `list` costs pydantic a signature inspection per row.
    recorded_at = utcnow()
    run: dict[str, Any] = {
        "id": uuid.uuid4(),
        "created_at": recorded_at,
        "updated_at": recorded_at,
        "source_id": source.id,
        "started_at": poll.started_at,
        "finished_at": now,
        "outcome": RunOutcome.FAILURE,
        "items_found": 0,
        "items_new": 0,
        "measurements": 0,
        "http_status": None,
        "bytes_read": 0,
        "error": None,
        "warnings": [],
    }
    changed: dict[str, Any] = {
        "polled_id": source.id,
        "updated_at": recorded_at,
        "last_run_at": now,
        "last_success_at": source.last_success_at,
        "poll_state": source.poll_state,
        "state": source.state,
    }
    if result is not None:
        items_new, values = await _store_items(session, source, result, known)
        run["outcome"] = RunOutcome.NOT_MODIFIED if result.not_modified else RunOutcome.SUCCESS
        run["items_found"], run["items_new"], run["measurements"] = len(result.items), items_new, values
        run["http_status"], run["bytes_read"] = result.http_status, result.bytes_read
        run["warnings"] = list(result.warnings)
        changed["poll_state"] = dict(result.state)  # a 304 hands back the state it was given
        changed["consecutive_failures"] = 0
        changed["last_error"] = None
        changed["last_success_at"] = now
        if source.state is not SourceState.PAUSED:
            changed["state"] = SourceState.ACTIVE
        changed["next_run_at"] = schedule.next_after(now)
        if source.state is SourceState.FAILING:
            _announce(session, await plans.of(source), source, EventType.SOURCE_RECOVERED, {"url": source.url})
        await _maybe_propose(session, plans, source, result, items_new)
    else:
        run["error"], run["http_status"] = poll.error, poll.http_status
        failures = changed["consecutive_failures"] = source.consecutive_failures + 1
        changed["last_error"] = poll.error
        changed["next_run_at"] = now + backoff(failures, schedule)
        if failures >= FAILING_AFTER and source.state is SourceState.ACTIVE:
            changed["state"] = SourceState.FAILING
            _announce(
                session,
                await plans.of(source),
                source,
                EventType.SOURCE_FAILED,
                {"url": source.url, "error": poll.error, "failures": failures},
            )
    return run, changed


def _announce(session: AsyncSession, plan: ActionPlan, source: Polled, type: EventType, data: dict[str, Any]) -> None:
    plan_event(
        session,
        plan,
        type=type,
        actor=source_principal(source),
        subject_type="EvidenceSource",
        subject_id=source.id,
        data={**data, "kind": source.kind, "commitmentId": source.commitment_id},
    )


async def _maybe_propose(
    session: AsyncSession, plans: _Plans, source: Polled, result: PollResult, items_new: int
) -> None:
    """When the source's rule says its milestone looks done, ask staff rather than decide."""
    rule = source.options.get("completeWhen")
    if source.target_type != "Milestone" or not isinstance(rule, dict):
        return
    values = [observation.value for observation in result.observations]
    if "atLeast" in rule:
        best = max(values, default=None)
        if best is None or best < float(rule["atLeast"]):
            return
        reason, value = f"the source reads {best:g}, at least {float(rule['atLeast']):g}", best
    elif items_new > 0:
        reason, value = f"the source published {items_new} new item(s)", None
    else:
        return
    milestone = await get_or_404(session, Milestone, source.target_id)
    if milestone.status in (WorkStatus.COMPLETED, WorkStatus.CANCELLED):
        return
    pending = await session.exec(
        select(MilestoneProposal.id).where(
            MilestoneProposal.milestone_id == milestone.id, MilestoneProposal.status == ProposalStatus.PENDING
        )
    )
    if pending.first() is not None:
        return
    proposal = MilestoneProposal(milestone_id=milestone.id, source_id=source.id, reason=reason, value=value)
    session.add(proposal)
    await session.flush()
    plan_event(
        session,
        await plans.of(source),
        type=EventType.MILESTONE_COMPLETION_PROPOSED,
        actor=source_principal(source),
        subject_type="Milestone",
        subject_id=milestone.id,
        data={"proposalId": proposal.id, "reason": reason, "commitmentId": milestone.commitment_id},
    )
