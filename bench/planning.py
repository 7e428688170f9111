"""What a document costs the first time the tracker sees it: issue 13's "planning a new document".

Requests go one at a time, read cache off, to a tracker started for this (scheduler off). Each is
timed twice: wall time at the client, and the server's CPU time (the sum over its threads of
`/proc/<pid>/task/*/schedstat`, in nanoseconds: /proc/<pid>/stat counts 10 ms ticks, too coarse).
The server's CPU time is what the verdict uses: parsing, validating and planning a document is CPU
work in the tracker's process, and CPU time barely moves when other work shares the machine, where
wall time of a 100 ms request swings by tens of ms.

Two figures per document, each "first request minus the median of the next ones":
- `cold`: on the freshly started tracker, after one warm-up request (WARM_UP, a general-path read
  of one collectivity, which pays what a process pays once whatever the document), in the bench's
  order. This is the first request of the document as issue 13 means it, and the figure the
  target is judged on (`first_ms`, server CPU). It holds everything a document new to the process
  costs: parsing, validation, any plan, the first use of its types' resolvers and the first run
  of SQL statements of a shape the process has not built yet (SQLAlchemy compiles each shape
  once). A document measured after others that share its paths pays less: the order is the
  bench's, the same in every run;
- `new`: on the same tracker once warm, the document under a new operation name (a text the
  server has never seen), the least over a few names: what the document's text alone costs
  (parsing, validation, a plan cached per document), without new SQL shapes. The least, not the
  median: the general path shows pauses of ~120 ms CPU every dozen requests or so (seen on
  NetworkSummary sent ad hoc, on every other name), which land on a first request by chance and
  are no cost of the text.

A persisted operation renamed is no longer the persisted text: its `new` figure is that of the
same query sent as an ad hoc document, which is what a frontend's own query is.
"""

from __future__ import annotations

import re
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

_OPERATION = re.compile(r"^(\s*(?:query|mutation)\s+)(\w+)", re.MULTILINE)

Send = Callable[[str, dict[str, Any]], tuple[int, bytes]]

# What the process pays once, whatever the document (without it the first document measured pays it).
WARM_UP = 'query WarmUp { collectivity(slug: "-") { id } }'


def renamed(text: str, suffix: str) -> str:
    """The same document under another operation name."""
    changed, count = _OPERATION.subn(lambda match: f"{match.group(1)}{match.group(2)}{suffix}", text, count=1)
    if count != 1:
        raise ValueError("the document has no named operation to rename")
    return changed


def cpu_ns(pid: int) -> int:
    """CPU time a process has used, all threads, in nanoseconds (threads that ended are not counted)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue  # the thread ended meanwhile
    return total


class Probe:
    """Sends documents to one server and times each request, wall and server CPU."""

    def __init__(self, send: Send, pid: int) -> None:
        self.send = send
        self.pid = pid

    def time(self, text: str, variables: dict[str, Any]) -> tuple[float, float]:
        cpu_before = cpu_ns(self.pid)
        started = time.perf_counter()
        status, body = self.send(text, variables)
        wall = (time.perf_counter() - started) * 1000
        cpu = (cpu_ns(self.pid) - cpu_before) / 1e6
        if status != 200 or b'"errors"' in body:
            raise RuntimeError(f"answered {status}: {body[:300]!r}")
        return wall, cpu

    def first_request(self, text: str, variables: dict[str, Any], *, repeats: int) -> dict[str, float]:
        first_wall, first_cpu = self.time(text, variables)
        later = [self.time(text, variables) for _ in range(repeats)]
        later_wall = statistics.median(wall for wall, _ in later)
        later_cpu = statistics.median(cpu for _, cpu in later)
        return {
            "cpu_ms": round(first_cpu - later_cpu, 2),
            "wall_ms": round(first_wall - later_wall, 2),
            "first_cpu_ms": round(first_cpu, 2),
            "later_cpu_ms": round(later_cpu, 2),
            "later_wall_ms": round(later_wall, 2),
        }


def measure(
    probe: Probe, documents: dict[str, tuple[str, dict[str, Any]]], *, repeats: int = 5, names: int = 3
) -> dict[str, dict[str, Any]]:
    """Per document: `cold` and `new` (see the module's docstring) and `first_ms`, the judged figure.

    documents: name -> (text, variables), measured in that order on a freshly started server.
    """
    results: dict[str, dict[str, Any]] = {}
    probe.time(WARM_UP, {})
    for name, (text, variables) in documents.items():
        cold = probe.first_request(text, variables, repeats=repeats)
        results[name] = {"cold": cold, "first_ms": cold["cpu_ms"]}
    for name, (text, variables) in documents.items():
        runs = [
            probe.first_request(renamed(text, f"_{uuid.uuid4().hex[:8]}"), variables, repeats=repeats)
            for _ in range(names)
        ]
        results[name]["new"] = min(runs, key=lambda run: run["cpu_ms"])
    return results
