"""Issue 13's targets and issue 14's page target (bench/pages.py), judged on a `make bench`
report, and the tables that show them.

Each target is `met` (True), `missed` (False) or not judged (None: a size it names was not
measured in this run), with the figures behind the verdict. Ratios are requests/s of the tracker
over PostGraphile's on the same read, uncached; an EDITOR's reads are compared with PostGraphile's
anonymous figure (the peer has no roles).
"""

from __future__ import annotations

from typing import Any

from bench import pages

TARGET_SIZES = (126, 1590)
LARGE = 1590
READ_RATIO = 1.0
NETWORK_SUMMARY_RATIO = 5.0
MUTATION_RATIO = 0.5
CACHED_RATIO = 5.0
RSS_MB = 300.0
PLANNING_MS = 20.0
READ_SIDES = {"tracker": "anonymous", "tracker_editor": "EDITOR"}


def ratio(entry: dict[str, Any], side: str) -> float | None:
    """Requests/s of one side over PostGraphile's; None when either was not measured."""
    mine, theirs = entry.get(side, {}), entry.get("postgraphile", {})
    if "rps" not in mine or not theirs.get("rps"):
        return None
    return float(mine["rps"]) / float(theirs["rps"])


def _is_write(entry: dict[str, Any]) -> bool:
    return bool(entry.get("write"))


def _judged(misses: list[str], sizes_seen: set[int], needed: tuple[int, ...]) -> bool | None:
    if misses:
        return False
    return True if set(needed) <= sizes_seen else None


def _missing_sizes(sizes_seen: set[int], needed: tuple[int, ...]) -> str:
    missing = [f"N={size:,}" for size in needed if size not in sizes_seen]
    return f"; not measured at {', '.join(missing)}" if missing else ""


def judge(report: dict[str, Any]) -> list[dict[str, Any]]:
    sizes = {result["size"]: result for result in report["sizes"]}
    seen = set(sizes)
    verdicts: list[dict[str, Any]] = []

    misses: list[str] = []
    counted = 0
    for size, result in sizes.items():
        for name, entry in result["operations"].items():
            if _is_write(entry):
                continue
            for side, who in READ_SIDES.items():
                counted += 1
                value = ratio(entry, side)
                if value is None:
                    reason = entry.get("refused", {}).get(side) or entry.get(side, {}).get("error") or "not measured"
                    misses.append(f"{name} {who} N={size} ({reason})")
                elif value < READ_RATIO:
                    misses.append(f"{name} {who} N={size} {value:.2f}x")
    verdicts.append(
        {
            "target": f"every read >= {READ_RATIO:.1f}x PostGraphile (uncached, anonymous and EDITOR)",
            "met": _judged(misses, seen, TARGET_SIZES),
            "detail": (f"{len(misses)} of {counted} miss: " + ", ".join(misses) if misses else f"all {counted} met")
            + _missing_sizes(seen, TARGET_SIZES),
        }
    )

    summary = {size: ratio(result["operations"].get("NetworkSummary", {}), "tracker") for size, result in sizes.items()}
    large = summary.get(LARGE)
    verdicts.append(
        {
            "target": f"NetworkSummary >= {NETWORK_SUMMARY_RATIO:.0f}x PostGraphile at N={LARGE:,} (uncached)",
            "met": None if large is None else large >= NETWORK_SUMMARY_RATIO,
            "detail": ", ".join(
                f"N={size:,} {value:.2f}x" if value is not None else f"N={size:,} not measured"
                for size, value in summary.items()
            )
            + _missing_sizes(seen, (LARGE,)),
        }
    )

    mutation_misses, mutation_figures = [], []
    for size, result in sizes.items():
        for name, entry in result["operations"].items():
            if not _is_write(entry):
                continue
            value = ratio(entry, "tracker")
            mutation_figures.append(f"{name} N={size} " + (f"{value:.2f}x" if value is not None else "not measured"))
            if value is None or value < MUTATION_RATIO:
                mutation_misses.append(name)
    verdicts.append(
        {
            "target": f"updateMilestone and recordMeasurement >= {MUTATION_RATIO}x PostGraphile's mutation",
            "met": _judged(mutation_misses, seen, TARGET_SIZES) if mutation_figures else None,
            "detail": (", ".join(mutation_figures) or "no mutation measured") + _missing_sizes(seen, TARGET_SIZES),
        }
    )

    cached_misses, cached_figures = [], []
    for size, result in sizes.items():
        for name, entry in result["operations"].items():
            value = ratio(entry, "tracker_cached")
            if "tracker_cached" not in entry and value is None:
                continue
            cached_figures.append(f"{name} N={size} " + (f"{value:.1f}x" if value is not None else "not measured"))
            if value is None or value < CACHED_RATIO:
                cached_misses.append(name)
    verdicts.append(
        {
            "target": f"cached anonymous reads >= {CACHED_RATIO:.0f}x PostGraphile",
            "met": _judged(cached_misses, seen, TARGET_SIZES) if cached_figures else None,
            "detail": (", ".join(cached_figures) or "no cached read measured") + _missing_sizes(seen, TARGET_SIZES),
        }
    )

    rss: dict[int, float] = {}
    for size, result in sizes.items():
        peaks = [value for name, value in result.get("peak_rss_mb", {}).items() if name in ("uncached", "cached")]
        if peaks:
            rss[size] = max(peaks)
    large_rss = rss.get(LARGE)
    verdicts.append(
        {
            "target": f"tracker RSS < {RSS_MB:.0f} MB at N={LARGE:,}",
            "met": None if large_rss is None else large_rss < RSS_MB,
            "detail": ", ".join(f"N={size:,} {value} MB" for size, value in rss.items())
            + _missing_sizes(seen, (LARGE,)),
        }
    )

    slow, worst = [], 0.0
    for size, result in sizes.items():
        for name, figures in result.get("planning", {}).get("documents", {}).items():
            worst = max(worst, figures["first_ms"])
            if figures["first_ms"] >= PLANNING_MS:
                slow.append(f"{name} N={size} {figures['first_ms']:.0f} ms")
    verdicts.append(
        {
            "target": f"planning a new document < {PLANNING_MS:.0f} ms"
            " (server CPU of its first request on a fresh tracker, minus its later ones)",
            "met": _judged(slow, seen, TARGET_SIZES) if any("planning" in r for r in sizes.values()) else None,
            "detail": (f"{len(slow)} miss: " + ", ".join(slow) if slow else f"worst {worst:.1f} ms")
            + _missing_sizes(seen, TARGET_SIZES),
        }
    )
    verdicts.append(pages.judge(sizes, LARGE))
    return verdicts


def ratio_table(result: dict[str, Any]) -> str:
    """Per operation at one size: each side's ratio to PostGraphile and whether the answers agree."""
    lines = [
        f"N={result['size']:,}: ratio to PostGraphile (requests/s)",
        f"{'operation':<26} {'anonymous':>9} {'EDITOR':>7} {'cached':>7}  answers",
    ]
    for name, entry in result["operations"].items():
        cells = []
        for side in ("tracker", "tracker_editor", "tracker_cached"):
            value = ratio(entry, side)
            cells.append(f"{value:.2f}" if value is not None else ("x" if side in entry.get("refused", {}) else "-"))
        check = entry.get("check", {})
        verdicts = [f"{side}: {text}" for side, text in check.items() if text != "same"]
        answers = "same" if check and not verdicts else "; ".join(verdicts) or "not checked"
        lines.append(f"{name:<26} {cells[0]:>9} {cells[1]:>7} {cells[2]:>7}  {answers}")
    lines.append("(x: not measured, the answers differ in their rows; -: not applicable)")
    return "\n".join(lines)


def planning_table(result: dict[str, Any]) -> str:
    documents = result.get("planning", {}).get("documents", {})
    if not documents:
        return ""
    lines = [
        f"N={result['size']:,}: first request of a document minus the median of its next ones, ms"
        " (server CPU; wall time in brackets)",
        f"{'document':<26} {'fresh process':>18} {'new name':>18} {'later request':>18}",
    ]
    for name, figures in documents.items():
        new, cold = figures["new"], figures["cold"]
        cells = [
            f"{cold['cpu_ms']:.1f} ({cold['wall_ms']:.1f})",
            f"{new['cpu_ms']:.1f} ({new['wall_ms']:.1f})",
            f"{cold['later_cpu_ms']:.1f} ({cold['later_wall_ms']:.1f})",
        ]
        lines.append(f"{name:<26} {cells[0]:>18} {cells[1]:>18} {cells[2]:>18}")
    return "\n".join(lines)


def targets_table(verdicts: list[dict[str, Any]]) -> str:
    words = {True: "met", False: "MISSED", None: "not judged"}
    lines = [f"  [{words[v['met']]}] {v['target']}: {v['detail']}" for v in verdicts]
    return "\n".join(["targets (issues 13 and 14):", *lines])
