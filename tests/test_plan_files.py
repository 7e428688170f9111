"""Plan files (tracker/plan_files.py) and the `tracker import` / `tracker export` commands."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests.support.builders import ait_melloul
from tracker import models, plan_files
from tracker.access import SYSTEM
from tracker.db import Database
from tracker.demo import AIT_MELLOUL, DEMO_SLUG

CSV_HEADER = [
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

# A file with four mistakes. Line numbers (1-based) matter: the schema problems are reported with them.
INVALID_FILE = dedent(
    """\
    format: tracker.plan/v1
    collectivity:
      slug: tiznit
      kind: COMMUNE
      name: {fr: Tiznit, ar: تيزنيت}
    plan:
      title: {fr: Plan, ar: خطة}
      period: {start: 2024-01-01, end: 2025-12-31}
      status: ADOPTED
      commitments:
        - reference: T-1
          title: {fr: Engagement}
          leadUnits: {fr: Bureau}
          milestones:
            - title: {fr: Étape}
              dueOn: 2026-03-31
              status: FINISHED
          indicators:
            - name: {fr: Documents}
              unit: documents
              baseline: 10
              target: 10
    """
)

# Valid for the schema; breaks the service rule that a milestone is due inside the plan period.
DUE_OUTSIDE_PERIOD = dedent(
    """\
    format: tracker.plan/v1
    collectivity:
      slug: tiznit
      kind: COMMUNE
      name: {fr: Tiznit, ar: تيزنيت}
      parent:
        slug: tiznit-province
        kind: PREFECTURE_PROVINCE
        name: {fr: Province de Tiznit}
    plan:
      title: {fr: Plan, ar: خطة}
      period: {start: 2024-01-01, end: 2025-12-31}
      status: ADOPTED
      commitments:
        - reference: T-1
          title: {fr: Engagement}
          milestones:
            - title: {fr: Étape}
              dueOn: 2026-03-31
    """
)


async def _dump_only_plan(db: Database) -> plan_files.PlanFile:
    async with db.reader() as session:
        plan_id = (await session.exec(select(models.ActionPlan.id))).one()
        return await plan_files.dump(session, plan_id)


async def _count(db: Database, model: type[Any]) -> int:
    async with db.reader() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def _load_problems(db: Database, plan_file: plan_files.PlanFile) -> list[str]:
    """The problems `load` reports for a file that must be refused."""
    with pytest.raises(plan_files.PlanFileError) as caught:
        async with db.transaction() as session:
            await plan_files.load(session, actor=SYSTEM, plan_file=plan_file)
    return caught.value.problems


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        cwd=tmp_path,  # no stray .env from the developer's working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --------------------------------------------------------------------------- round trip


async def test_dump_of_the_loaded_demo_equals_the_demo_file(db: Database) -> None:
    await ait_melloul(db)
    original = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    dumped = plan_files.to_data(await _dump_only_plan(db))
    # No normalisation needed: `to_data` keeps defaults (empty lists, default enums) and drops only
    # None, so keys the file leaves out and the dump writes as None (publishedAt, note) vanish on both sides.
    assert dumped == original


async def test_yaml_export_parses_back_to_the_same_data(db: Database) -> None:
    await ait_melloul(db)
    dumped = await _dump_only_plan(db)
    again = plan_files.parse(plan_files.to_yaml(dumped), name="export.yaml")
    assert plan_files.to_data(again) == plan_files.to_data(dumped)


async def test_json_export_parses_back_to_the_same_data(db: Database) -> None:
    await ait_melloul(db)
    dumped = await _dump_only_plan(db)
    again = plan_files.parse(plan_files.to_json(dumped), name="export.json")
    assert plan_files.to_data(again) == plan_files.to_data(dumped)


# --------------------------------------------------------------------------- rejection


def test_parse_lists_every_schema_problem_with_its_path_and_line() -> None:
    with pytest.raises(plan_files.PlanFileError) as caught:
        plan_files.parse(INVALID_FILE, name="bad.yaml")
    problems = caught.value.problems
    located = {problem.split(": ")[0] + ": " + problem.split(": ")[1]: problem for problem in problems}
    assert sorted(located) == [
        "bad.yaml:13: plan.commitments[0].leadUnits",
        "bad.yaml:17: plan.commitments[0].milestones[0].status",
    ], problems
    assert "Extra inputs are not permitted" in located["bad.yaml:13: plan.commitments[0].leadUnits"]
    assert "NOT_STARTED" in located["bad.yaml:17: plan.commitments[0].milestones[0].status"]


def test_parse_of_json_locates_problems_by_path_without_a_line() -> None:
    data = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    data["plan"]["commitments"][1]["status"] = "FINISHED"
    with pytest.raises(plan_files.PlanFileError) as caught:
        plan_files.parse(json.dumps(data), name="bad.json")
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("bad.json: plan.commitments[1].status: ")


def test_parse_rejects_text_that_is_not_yaml() -> None:
    with pytest.raises(plan_files.PlanFileError) as caught:
        plan_files.parse("format: [unclosed", name="broken.yaml")
    assert caught.value.problems[0].startswith("broken.yaml: not valid YAML or JSON")


async def test_load_names_the_path_of_a_milestone_due_outside_the_period(db: Database) -> None:
    plan_file = plan_files.parse(DUE_OUTSIDE_PERIOD, name="due.yaml")
    problems = await _load_problems(db, plan_file)
    assert problems == [
        "plan.commitments[0].milestones[0].dueOn: dueOn must be inside the plan period 2024-01-01 to 2025-12-31"
    ]


async def test_load_names_the_path_of_a_target_equal_to_its_baseline(db: Database) -> None:
    data = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    indicator = data["plan"]["commitments"][2]["indicators"][0]
    indicator["target"] = indicator["baseline"]
    plan_file = plan_files.parse(json.dumps(data), name="same.json")
    problems = await _load_problems(db, plan_file)
    assert problems == ["plan.commitments[2].indicators[0].target: target must differ from baseline"]


async def test_load_names_the_path_of_a_measurement_breaking_a_rule(db: Database) -> None:
    data = plan_files.to_data(plan_files.read(AIT_MELLOUL))
    data["plan"]["commitments"][0]["indicators"][1]["measurements"][2]["observedAt"] = "2099-01-01T00:00:00Z"
    plan_file = plan_files.parse(json.dumps(data), name="future.json")
    problems = await _load_problems(db, plan_file)
    assert problems[0].startswith("plan.commitments[0].indicators[1].measurements[2].observedAt: ")


async def test_load_names_the_path_of_an_invalid_collectivity_slug(db: Database) -> None:
    plan_file = plan_files.parse(DUE_OUTSIDE_PERIOD.replace("slug: tiznit\n", "slug: Tiznit_Commune\n"))
    problems = await _load_problems(db, plan_file)
    assert problems[0].startswith("collectivity.slug: ")


async def test_load_names_the_path_of_a_period_ending_before_it_starts(db: Database) -> None:
    plan_file = plan_files.parse(DUE_OUTSIDE_PERIOD.replace("end: 2025-12-31", "end: 2023-12-31"))
    problems = await _load_problems(db, plan_file)
    assert problems[0].startswith("plan.period.end: ")


@pytest.mark.parametrize(
    "model", [models.Collectivity, models.ActionPlan, models.Commitment, models.Milestone, models.OutboxEvent]
)
async def test_failed_load_writes_nothing(db: Database, model: type[Any]) -> None:
    plan_file = plan_files.parse(DUE_OUTSIDE_PERIOD, name="due.yaml")
    assert await _load_problems(db, plan_file)
    assert await _count(db, model) == 0


# --------------------------------------------------------------------------- CSV


async def test_csv_export_has_one_row_per_milestone_with_french_titles(db: Database) -> None:
    await ait_melloul(db)
    dumped = await _dump_only_plan(db)
    rows = list(csv.reader(io.StringIO(plan_files.to_csv(dumped))))
    milestones = [(c, m) for c in dumped.plan.commitments for m in c.milestones]
    assert rows[0] == CSV_HEADER
    assert len(rows) - 1 == len(milestones) == 31
    for row, (commitment, milestone) in zip(rows[1:], milestones, strict=True):
        assert row[0] == commitment.reference
        assert row[1] == commitment.title["fr"]
        assert row[4] == milestone.title["fr"]
        assert row[5] == milestone.due_on.isoformat()


def test_csv_export_in_arabic_uses_arabic_titles() -> None:
    plan_file = plan_files.read(AIT_MELLOUL)
    rows = list(csv.reader(io.StringIO(plan_files.to_csv(plan_file, lang="ar"))))
    first = plan_file.plan.commitments[0]
    assert rows[1][1] == first.title["ar"]
    assert rows[1][4] == first.milestones[0].title["ar"]


# --------------------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_cli_import_then_export_gives_json_with_seven_commitments(tmp_path: Path) -> None:
    imported = _run_cli(tmp_path, "import", str(AIT_MELLOUL))
    assert imported.returncode == 0, imported.stderr
    assert f"for {DEMO_SLUG}" in imported.stdout
    exported = _run_cli(tmp_path, "export", "--collectivity", DEMO_SLUG, "--format", "json")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert len(data["plan"]["commitments"]) == 7
    assert data["collectivity"]["slug"] == DEMO_SLUG


@pytest.mark.slow
def test_cli_csv_export_file_starts_with_a_byte_order_mark_and_keeps_arabic(tmp_path: Path) -> None:
    assert _run_cli(tmp_path, "import", str(AIT_MELLOUL)).returncode == 0
    target = tmp_path / "plan.csv"
    exported = _run_cli(
        tmp_path, "export", "--collectivity", DEMO_SLUG, "--format", "csv", "--lang", "ar", "--output", str(target)
    )
    assert exported.returncode == 0, exported.stderr
    data = target.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data[len(codecs.BOM_UTF8) :].decode("utf-8"))))
    assert rows[0] == CSV_HEADER
    assert rows[1][1] == plan_files.read(AIT_MELLOUL).plan.commitments[0].title["ar"]


@pytest.mark.slow
def test_cli_csv_export_to_standard_output_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    assert _run_cli(tmp_path, "import", str(AIT_MELLOUL)).returncode == 0
    exported = _run_cli(tmp_path, "export", "--collectivity", DEMO_SLUG, "--format", "csv", "--lang", "ar")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("\ufeff" + ",".join(CSV_HEADER))


@pytest.mark.slow
def test_cli_import_of_a_broken_file_exits_1_with_located_problems(tmp_path: Path) -> None:
    result = _run_cli(tmp_path, "import", str(_write(tmp_path / "bad.yaml", INVALID_FILE)))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "bad.yaml:13: plan.commitments[0].leadUnits" in result.stderr
    assert "bad.yaml:17: plan.commitments[0].milestones[0].status" in result.stderr


@pytest.mark.slow
def test_cli_import_breaking_a_service_rule_exits_1_and_imports_nothing(tmp_path: Path) -> None:
    result = _run_cli(tmp_path, "import", str(_write(tmp_path / "due.yaml", DUE_OUTSIDE_PERIOD)))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "plan.commitments[0].milestones[0].dueOn" in result.stderr
    exported = _run_cli(tmp_path, "export", "--collectivity", "tiznit", "--format", "json")
    assert exported.returncode == 1
    assert "no collectivity with slug 'tiznit'" in exported.stderr


@pytest.mark.slow
def test_cli_import_of_an_invalid_slug_exits_1_without_a_traceback(tmp_path: Path) -> None:
    text = DUE_OUTSIDE_PERIOD.replace("slug: tiznit\n", "slug: Tiznit_Commune\n").replace("2026-03-31", "2024-03-31")
    result = _run_cli(tmp_path, "import", str(_write(tmp_path / "slug.yaml", text)))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "collectivity.slug" in result.stderr
