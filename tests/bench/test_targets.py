"""Issue 13's targets as `make bench` judges them on its report."""

from __future__ import annotations

from typing import Any

from bench import targets


def _report(operations: dict[str, Any], size: int = 126) -> dict[str, Any]:
    return {"sizes": [{"size": size, "operations": operations}]}


def _read(tracker: float, editor: float, peer: float = 100.0) -> dict[str, Any]:
    return {"tracker": {"rps": tracker}, "tracker_editor": {"rps": editor}, "postgraphile": {"rps": peer}}


def _verdict(report: dict[str, Any], starts: str) -> dict[str, Any]:
    return next(v for v in targets.judge(report) if v["target"].startswith(starts))


def test_a_read_slower_than_postgraphile_with_a_token_misses_the_read_target() -> None:
    verdict = _verdict(_report({"PlanBoard": _read(150.0, 80.0)}), "every read")

    assert verdict["met"] is False
    assert "PlanBoard EDITOR N=126 0.80x" in verdict["detail"]
    assert "anonymous" not in verdict["detail"]


def test_a_pair_not_measured_because_its_answers_differ_counts_as_a_miss() -> None:
    entry = {"postgraphile": {"rps": 100.0}, "tracker_editor": {"rps": 150.0}, "refused": {"tracker": "node.id"}}

    verdict = _verdict(_report({"PlanBoard": entry}), "every read")

    assert verdict["met"] is False
    assert "PlanBoard anonymous N=126 (node.id)" in verdict["detail"]


def test_targets_met_at_one_size_only_are_not_judged() -> None:
    verdict = _verdict(_report({"PlanBoard": _read(150.0, 120.0)}), "every read")

    assert verdict["met"] is None
    assert "not measured at N=1,590" in verdict["detail"]
