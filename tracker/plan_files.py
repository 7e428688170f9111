"""Plan files: one collectivity and one plan as YAML or JSON, read whole or not at all.

The format is documented in docs/plan-files.md. Reading validates everything before anything is
written and reports every problem with its path (and, for YAML, its line). Loading goes through
the services, so imported plans obey the same rules and emit the same events as the API, marked
as a load (`outbox.loading`): what the file creates is not announced as news, and its completions,
measurements and publications carry their own dates (docs/events.md).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from tracker import models
from tracker.access import Principal
from tracker.errors import TrackerError
from tracker.events import outbox
from tracker.events.types import EventType
from tracker.i18n import LANGUAGES, pick, preference
from tracker.services import bodies, collectivities, commitments, evidence, indicators, milestones, plans
from tracker.text import clean_text, dotted

FORMAT = "tracker.plan/v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


def _known_languages(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
    return value


# Every text of a file obeys the API's rule (tracker.text): no NUL, no lone surrogate, NFC.
Text = Annotated[str, AfterValidator(clean_text)]
Translated = Annotated[dict[str, Text], AfterValidator(_known_languages)]


class ParentFile(_Strict):
    slug: Text
    kind: models.CollectivityKind
    name: Translated


class MemberFile(_Strict):
    role: Text
    name: Text | None = None


class BodyFile(_Strict):
    slug: Text
    kind: models.BodyKind
    name: Translated
    description: Translated | None = None
    members: list[MemberFile] = Field(default_factory=list)


class CollectivityFile(ParentFile):
    parent: ParentFile | None = None
    consultative_bodies: list[BodyFile] = Field(default_factory=list)


class PeriodFile(_Strict):
    start: date
    end: date


class MeasurementFile(_Strict):
    value: float
    observed_at: datetime
    note: Text | None = None


class IndicatorFile(_Strict):
    name: Translated
    unit: Text
    baseline: float
    target: float
    direction: models.Direction | None = None
    measurements: list[MeasurementFile] = Field(default_factory=list)


class MilestoneFile(_Strict):
    title: Translated
    due_on: date
    status: models.WorkStatus = models.WorkStatus.NOT_STARTED
    completed_on: date | None = None
    weight: float = 1.0


class EvidenceFile(_Strict):
    url: Text
    title: Translated
    kind: models.EvidenceKind = models.EvidenceKind.OTHER
    published_at: datetime | None = None


class CommitmentFile(_Strict):
    reference: Text
    title: Translated
    description: Translated | None = None
    ogp_values: list[models.OgpValue] = Field(default_factory=list)
    lead_unit: Translated | None = None
    partners: list[Text] = Field(default_factory=list)
    status: models.WorkStatus = models.WorkStatus.NOT_STARTED
    milestones: list[MilestoneFile] = Field(default_factory=list)
    indicators: list[IndicatorFile] = Field(default_factory=list)
    evidence: list[EvidenceFile] = Field(default_factory=list)


class PlanBody(_Strict):
    title: Translated
    description: Translated | None = None
    period: PeriodFile
    status: models.PlanStatus = models.PlanStatus.DRAFT
    adopted_on: date | None = None
    commitments: list[CommitmentFile] = Field(default_factory=list)


class PlanFile(_Strict):
    format: Literal["tracker.plan/v1"]
    collectivity: CollectivityFile
    plan: PlanBody


class PlanFileError(Exception):
    """A plan file that cannot be loaded; `problems` lists every one, located."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The line of the YAML node at `loc` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse(text: str, *, name: str = "plan file") -> PlanFile:
    """Validate a plan file's text (YAML or JSON) without touching the database."""
    node: yaml.Node | None = None
    try:
        if name.endswith(".json"):
            data = json.loads(text)
        else:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise PlanFileError([f"{name}: not valid YAML or JSON: {error}"]) from None
    if not isinstance(data, dict):
        raise PlanFileError([f"{name}: expected a mapping with format, collectivity and plan"])
    try:
        return PlanFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(item["loc"])
            line = _line_of(node, loc)
            where = f"{name}:{line}: " if line else f"{name}: "
            problems.append(f"{where}{dotted(loc) or '(top)'}: {item['msg']}")
        raise PlanFileError(problems) from None


def read(path: Path) -> PlanFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PlanFileError([f"{path}: cannot read: {error}"]) from None
    return parse(text, name=str(path))


async def _collectivity(
    session: AsyncSession, actor: Principal, spec: ParentFile, parent_id: uuid.UUID | None
) -> models.Collectivity:
    existing = (await session.exec(select(models.Collectivity).where(models.Collectivity.slug == spec.slug))).first()
    if existing is not None:
        return existing
    return await collectivities.create_collectivity(
        session, actor=actor, slug=spec.slug, kind=spec.kind, name=dict(spec.name), parent_id=parent_id
    )


@contextmanager
def _at(path: str) -> Iterator[None]:
    """A service refusing part of the file becomes a problem located at that part's path."""
    try:
        yield
    except TrackerError as error:
        where = f"{path}.{error.field}" if error.field else path
        raise PlanFileError([f"{where}: {error.message}"]) from None


async def load(session: AsyncSession, *, actor: Principal, plan_file: PlanFile) -> models.ActionPlan:
    """Write a validated plan file through the services (the caller's transaction commits)."""
    with outbox.loading(session):
        return await _load(session, actor, plan_file)


async def _load(session: AsyncSession, actor: Principal, plan_file: PlanFile) -> models.ActionPlan:
    spec = plan_file.collectivity
    parent = None
    if spec.parent:
        with _at("collectivity.parent"):
            parent = await _collectivity(session, actor, spec.parent, None)
    with _at("collectivity"):
        collectivity = await _collectivity(session, actor, spec, parent.id if parent else None)
    for index, body_spec in enumerate(spec.consultative_bodies):
        exists = select(models.ConsultativeBody.id).where(models.ConsultativeBody.slug == body_spec.slug)
        if (await session.exec(exists)).first() is not None:
            continue
        with _at(f"collectivity.consultativeBodies[{index}]"):
            await bodies.create_body(
                session,
                actor=actor,
                collectivity_id=collectivity.id,
                slug=body_spec.slug,
                kind=body_spec.kind,
                name=dict(body_spec.name),
                description=dict(body_spec.description or {}),
                members=[member.model_dump(exclude_none=True) for member in body_spec.members],
            )
    body = plan_file.plan
    with _at("plan"):
        plan = await plans.create_plan(
            session,
            actor=actor,
            collectivity_id=collectivity.id,
            title=dict(body.title),
            description=dict(body.description or {}),
            period_start=body.period.start,
            period_end=body.period.end,
            status=body.status,
            adopted_on=body.adopted_on,
        )
    for index, item in enumerate(body.commitments):
        await _load_commitment(session, actor, plan, item, f"plan.commitments[{index}]")
    return plan


async def _load_commitment(
    session: AsyncSession, actor: Principal, plan: models.ActionPlan, item: CommitmentFile, where: str
) -> None:
    with _at(where):
        commitment = await commitments.create_commitment(
            session,
            actor=actor,
            plan_id=plan.id,
            reference=item.reference,
            title=dict(item.title),
            description=dict(item.description or {}),
            ogp_values=item.ogp_values,
            lead_unit=dict(item.lead_unit or {}),
            partners=item.partners,
            status=item.status,
        )
    for m_index, milestone in enumerate(item.milestones):
        with _at(f"{where}.milestones[{m_index}]"):
            created = await milestones.create_milestone(
                session,
                actor=actor,
                commitment_id=commitment.id,
                title=dict(milestone.title),
                due_on=milestone.due_on,
                weight=milestone.weight,
                status=milestone.status,
                completed_on=milestone.completed_on,
            )
        if created.completed_on is not None:
            # The completion is the news a file brings about a milestone, on its own date; the
            # API announces it the same way when a milestone is set to COMPLETED.
            plans.plan_event(
                session,
                plan,
                type=EventType.MILESTONE_COMPLETED,
                actor=actor,
                subject_type="Milestone",
                subject_id=created.id,
                data={"completedOn": created.completed_on, "commitmentId": commitment.id},
            )
    for i_index, indicator_spec in enumerate(item.indicators):
        indicator_path = f"{where}.indicators[{i_index}]"
        with _at(indicator_path):
            indicator = await indicators.create_indicator(
                session,
                actor=actor,
                commitment_id=commitment.id,
                name=dict(indicator_spec.name),
                unit=indicator_spec.unit,
                baseline=indicator_spec.baseline,
                target=indicator_spec.target,
                direction=indicator_spec.direction,
            )
        for v_index, measurement in enumerate(indicator_spec.measurements):
            with _at(f"{indicator_path}.measurements[{v_index}]"):
                await indicators.record_measurement(
                    session,
                    actor=actor,
                    indicator_id=indicator.id,
                    value=measurement.value,
                    observed_at=measurement.observed_at,
                    note=measurement.note,
                    origin=models.MeasurementOrigin.IMPORT,
                )
    for e_index, evidence_spec in enumerate(item.evidence):
        with _at(f"{where}.evidence[{e_index}]"):
            await evidence.add_evidence(
                session,
                actor=actor,
                commitment_id=commitment.id,
                url=evidence_spec.url,
                title=dict(evidence_spec.title),
                kind=evidence_spec.kind,
                published_at=evidence_spec.published_at,
                origin=models.MeasurementOrigin.IMPORT,
            )


async def dump(session: AsyncSession, plan_id: uuid.UUID) -> PlanFile:
    """The plan file of a stored plan (round-trips with `load`)."""
    plan = await session.get(models.ActionPlan, plan_id)
    if plan is None:
        raise PlanFileError([f"no plan with id {plan_id}"])
    collectivity = await session.get(models.Collectivity, plan.collectivity_id)
    assert collectivity is not None  # the foreign key guarantees it
    parent = await session.get(models.Collectivity, collectivity.parent_id) if collectivity.parent_id else None
    body_rows = (
        await session.exec(
            select(models.ConsultativeBody)
            .where(models.ConsultativeBody.collectivity_id == collectivity.id)
            .order_by(col(models.ConsultativeBody.slug))
        )
    ).all()
    rows = (
        await session.exec(
            select(models.Commitment)
            .where(models.Commitment.plan_id == plan.id)
            .order_by(col(models.Commitment.position))
        )
    ).all()
    ids = [row.id for row in rows]
    all_milestones = (
        await session.exec(
            select(models.Milestone)
            .where(col(models.Milestone.commitment_id).in_(ids))
            .order_by(col(models.Milestone.position))
        )
    ).all()
    all_indicators = (
        await session.exec(
            select(models.Indicator)
            .where(col(models.Indicator.commitment_id).in_(ids))
            .order_by(col(models.Indicator.position))
        )
    ).all()
    all_measurements = (
        await session.exec(
            select(models.Measurement)
            .where(col(models.Measurement.indicator_id).in_([row.id for row in all_indicators]))
            .order_by(col(models.Measurement.observed_at), col(models.Measurement.created_at))
        )
    ).all()
    all_evidence = (
        await session.exec(
            select(models.Evidence)
            .where(col(models.Evidence.commitment_id).in_(ids))
            .order_by(col(models.Evidence.created_at))
        )
    ).all()
    return PlanFile(
        format=FORMAT,
        collectivity=CollectivityFile(
            slug=collectivity.slug,
            kind=collectivity.kind,
            name=collectivity.name,
            parent=ParentFile(slug=parent.slug, kind=parent.kind, name=parent.name) if parent else None,
            consultative_bodies=[
                BodyFile(
                    slug=body.slug,
                    kind=body.kind,
                    name=body.name,
                    description=body.description or None,
                    members=[MemberFile.model_validate(member) for member in body.members],
                )
                for body in body_rows
            ],
        ),
        plan=PlanBody(
            title=plan.title,
            description=plan.description or None,
            period=PeriodFile(start=plan.period_start, end=plan.period_end),
            status=plan.status,
            adopted_on=plan.adopted_on,
            commitments=[
                CommitmentFile(
                    reference=row.reference,
                    title=row.title,
                    description=row.description or None,
                    ogp_values=[models.OgpValue(value) for value in row.ogp_values],
                    lead_unit=row.lead_unit or None,
                    partners=row.partners,
                    status=row.status,
                    milestones=[
                        MilestoneFile(
                            title=m.title,
                            due_on=m.due_on,
                            status=m.status,
                            completed_on=m.completed_on,
                            weight=m.weight,
                        )
                        for m in all_milestones
                        if m.commitment_id == row.id
                    ],
                    indicators=[
                        IndicatorFile(
                            name=i.name,
                            unit=i.unit,
                            baseline=i.baseline,
                            target=i.target,
                            direction=i.direction,
                            measurements=[
                                MeasurementFile(value=v.value, observed_at=v.observed_at, note=v.note)
                                for v in all_measurements
                                if v.indicator_id == i.id
                            ],
                        )
                        for i in all_indicators
                        if i.commitment_id == row.id
                    ],
                    evidence=[
                        EvidenceFile(url=e.url, title=e.title, kind=e.kind, published_at=e.published_at)
                        for e in all_evidence
                        if e.commitment_id == row.id
                    ],
                )
                for row in rows
            ],
        ),
    )


def to_data(plan_file: PlanFile) -> dict[str, Any]:
    return plan_file.model_dump(mode="json", by_alias=True, exclude_none=True)


def to_yaml(plan_file: PlanFile) -> str:
    return yaml.safe_dump(to_data(plan_file), allow_unicode=True, sort_keys=False, width=100)


def to_json(plan_file: PlanFile) -> str:
    return json.dumps(to_data(plan_file), ensure_ascii=False, indent=2) + "\n"


# What a CSV file is written in. Without a byte order mark, spreadsheet programs (Excel on Windows
# above all) read a CSV in the machine's legacy code page, and Arabic and Tifinagh titles come out
# as mojibake; with it, as UTF-8. Programs that read UTF-8 anyway skip the mark.
CSV_ENCODING = "utf-8-sig"


def to_csv(plan_file: PlanFile, *, lang: str = "fr") -> str:
    """One row per milestone (and one per commitment without milestones), for spreadsheets."""
    order = preference(lang)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "commitment_reference",
            "commitment_title",
            "commitment_status",
            "ogp_values",
            "milestone_title",
            "milestone_due_on",
            "milestone_status",
            "milestone_completed_on",
            "milestone_weight",
        ]
    )
    for commitment in plan_file.plan.commitments:
        head = [
            commitment.reference,
            pick(commitment.title, order) or "",
            commitment.status.value,
            " ".join(value.value for value in commitment.ogp_values),
        ]
        if not commitment.milestones:
            writer.writerow([*head, "", "", "", "", ""])
        for milestone in commitment.milestones:
            writer.writerow(
                [
                    *head,
                    pick(milestone.title, order) or "",
                    milestone.due_on.isoformat(),
                    milestone.status.value,
                    milestone.completed_on.isoformat() if milestone.completed_on else "",
                    f"{milestone.weight:g}",
                ]
            )
    return out.getvalue()
