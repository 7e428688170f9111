"""Page figures: the public HTML pages (issue 14) fetched with wrk from the uncached tracker,
anonymous, as a reader's browser asks for them: the network page by place (its default), by
progress, by overdue count and with a search, and the plan page of the largest readable plan.

The target is a render time (median under 100 ms at N = 1,590), so the load is one connection
by default: with more, the median measures the queue in front of two cores as much as the page.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

# Every page of a network this size must answer its median within this (issue 14).
MEDIAN_MS = 100.0
# Found in the synthetic network's names in every language (tracker/demo/network.py).
SEARCH = "12"


@dataclass(frozen=True)
class PageSubject:
    """The rows the pages are about: the readable plan with the most milestones, and its place."""

    slug: str
    plan_id: str  # the API's global ID, as in the plan page's address

    def as_dict(self) -> dict[str, str]:
        return {"slug": self.slug, "plan_id": self.plan_id}


def pick(connection: psycopg.Connection[Any]) -> PageSubject:
    from tracker.ids import encode_id

    row = connection.execute(
        """
        SELECT c.slug, p.id FROM action_plan p
        JOIN collectivity c ON c.id = p.collectivity_id
        JOIN commitment k ON k.plan_id = p.id
        JOIN milestone m ON m.commitment_id = k.id
        WHERE p.status <> 'DRAFT'
        GROUP BY c.slug, p.id ORDER BY count(*) DESC, c.slug LIMIT 1
        """
    ).fetchone()
    if row is None:
        raise RuntimeError("the bench database holds no readable plan")
    return PageSubject(slug=row[0], plan_id=encode_id("ActionPlan", row[1]))


# Page name -> its address (path and query) for a subject.
PAGES: dict[str, Callable[[PageSubject], str]] = {
    "NetworkPage": lambda subject: "/?lang=fr",
    "NetworkPageByProgress": lambda subject: "/?lang=fr&sort=progress",
    "NetworkPageByOverdue": lambda subject: "/?lang=fr&sort=overdue",
    "NetworkPageSearch": lambda subject: "/?" + urllib.parse.urlencode({"lang": "fr", "q": SEARCH}),
    "PlanPage": lambda subject: f"/c/{subject.slug}/plans/{urllib.parse.quote(subject.plan_id)}?lang=fr",
}


def addresses(base: str, subject: PageSubject) -> dict[str, str]:
    """Each page's full URL on the server at `base` (scheme, host and port)."""
    return {name: base + address(subject) for name, address in PAGES.items()}


def judge(sizes: dict[int, dict[str, Any]], large: int) -> dict[str, Any]:
    """Issue 14's page target on the report's sizes: every page's p50 under MEDIAN_MS at `large`."""
    result = sizes.get(large)
    if result is None or "pages" not in result:
        return {
            "target": f"each page p50 < {MEDIAN_MS:.0f} ms at N={large:,} (uncached, anonymous)",
            "met": None,
            "detail": f"pages not measured at N={large:,}",
        }
    misses, figures = [], []
    for name, run in result["pages"]["figures"].items():
        if "error" in run:
            misses.append(f"{name} failed")
            figures.append(f"{name} failed")
            continue
        median = run["p50_us"] / 1000
        figures.append(f"{name} {median:.1f} ms")
        if median >= MEDIAN_MS:
            misses.append(name)
    return {
        "target": f"each page p50 < {MEDIAN_MS:.0f} ms at N={large:,} (uncached, anonymous)",
        "met": not misses,
        "detail": ", ".join(figures) + (f"; {len(misses)} miss" if misses else ""),
    }


def table(result: dict[str, Any]) -> str:
    pages = result.get("pages")
    if not pages:
        return ""
    header = (
        f"{'N':>5} {'page':<24} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} {'bytes':>8}"
    )
    lines = [f"pages at N={result['size']:,} ({pages['connections']} connection(s), uncached)", header]
    lines.append("-" * len(header))
    for name, run in pages["figures"].items():
        if "error" in run:
            lines.append(f"{result['size']:>5} {name:<24} failed: {run['error'][:80]}")
            continue
        lines.append(
            f"{result['size']:>5} {name:<24} {run['rps']:>8.1f} {run['p50_us'] / 1000:>7.1f}"
            f" {run['p90_us'] / 1000:>7.1f} {run['p99_us'] / 1000:>7.1f} {run['cpu_ms_per_request']:>10.2f}"
            f" {run.get('bytes', 0):>8}"
        )
    return "\n".join(lines)
