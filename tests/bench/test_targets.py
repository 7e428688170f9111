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


def _pages(**medians_ms: float) -> dict[str, Any]:
    figures = {name: {"p50_us": value * 1000, "rps": 1000 / value} for name, value in medians_ms.items()}
    return {"connections": 1, "figures": figures}


def test_a_page_whose_median_reaches_100_ms_at_1590_misses_the_page_target() -> None:
    report = {"sizes": [{"size": 1590, "operations": {}, "pages": _pages(NetworkPage=40.0, PlanPage=100.0)}]}

    verdict = _verdict(report, "each page p50")

    assert verdict["met"] is False
    assert "PlanPage 100.0 ms" in verdict["detail"]
    assert "1 miss" in verdict["detail"]


def test_pages_under_100_ms_at_1590_meet_the_page_target() -> None:
    report = {"sizes": [{"size": 1590, "operations": {}, "pages": _pages(NetworkPage=40.0, PlanPage=60.5)}]}

    assert _verdict(report, "each page p50")["met"] is True


def test_pages_measured_at_126_only_are_not_judged() -> None:
    report = {"sizes": [{"size": 126, "operations": {}, "pages": _pages(NetworkPage=400.0)}]}

    verdict = _verdict(report, "each page p50")

    assert verdict["met"] is None
    assert "not measured at N=1,590" in verdict["detail"]
