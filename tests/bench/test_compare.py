"""The bench's answer checker: it decides which pairs `make bench` may measure."""

from __future__ import annotations

import base64
import json
import uuid

from bench import compare
from tracker.ids import encode_id

KEY = uuid.UUID("b13f3087-6c18-4812-965c-e081e66dae22")
OTHER = uuid.UUID("872b7c10-b31d-454e-8562-73addb444531")


def _postgraphile_id(type_name: str, key: uuid.UUID) -> str:
    return base64.b64encode(json.dumps([type_name, str(key)]).encode()).decode()


def _plan(plan_id: str, *, progress: float = 40.5, milestones: int = 2, **extra: object) -> dict[str, object]:
    return {
        "data": {
            "node": {
                "id": plan_id,
                "progress": progress,
                "milestones": {"totalCount": milestones, "nodes": [{"dueOn": "2025-01-01"}] * milestones},
                **extra,
            }
        }
    }


def test_both_servers_ids_of_one_row_compare_equal() -> None:
    ours = _plan(encode_id("ActionPlan", KEY))
    theirs = _plan(_postgraphile_id("ActionPlan", KEY))

    assert compare.compare(ours, theirs).same


def test_another_row_in_the_same_place_makes_a_pair_unfit_to_measure() -> None:
    verdict = compare.compare(_plan(encode_id("ActionPlan", KEY)), _plan(_postgraphile_id("ActionPlan", OTHER)))

    assert not verdict.measurable
    assert verdict.rows == [f"node.id: {json.dumps(str(KEY))} against {json.dumps(str(OTHER))}"]


def test_a_missing_row_makes_a_pair_unfit_to_measure() -> None:
    verdict = compare.compare(_plan("x", milestones=2), _plan("x", milestones=1))

    assert not verdict.measurable
    assert "node.milestones.nodes: 2 rows against 1" in verdict.rows


def test_a_different_progress_is_reported_but_measurable() -> None:
    verdict = compare.compare(_plan("x", progress=40.5), _plan("x", progress=41.0))

    assert verdict.measurable
    assert verdict.values == ["node.progress: 40.5 against 41.0"]


def test_a_progress_is_compared_at_the_precision_the_tracker_publishes() -> None:
    verdict = compare.compare(_plan("x", progress=41.7), _plan("x", progress=41.666667))

    assert verdict.same


def test_cursors_and_the_spelling_of_periods_and_timestamps_are_not_differences() -> None:
    ours = _plan("x", cursor="YXJyYXk=", period={"start": "2024-01-01"}, at="2025-12-28T00:00:00+00:00")
    theirs = _plan("x", cursor="WyJuYXR1cmFsIiwxXQ==", periodStart="2024-01-01", at="2025-12-28T01:00:00.000000+01:00")

    assert compare.compare(ours, theirs).same


def test_an_answer_with_errors_is_not_measured() -> None:
    verdict = compare.compare({"errors": [{"message": "boom"}], "data": None}, _plan("x"))

    assert not verdict.measurable
    assert verdict.errors
