"""The read cache's memory bound counts every byte an entry holds, its key included.

An outside test grew the server from 145 to 457 MB with 300 anonymous reads whose variables
entered the key uncounted. Memory here is the bytes of every object the cache reaches (each
counted once with `sys.getsizeof`, dict tables included), not RSS, so the numbers depend neither
on the allocator nor on the rest of the process.
"""

from __future__ import annotations

import gc
import sys
import types
import uuid
from datetime import date

from tests.support.graphql import Client
from tracker.db import Database
from tracker.web.persisted_http import answer_key
from tracker.web.read_cache import ReadCache

BOUND = 256 * 1024
BODY = b'{"data":{"collectivity":null}}'
SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def held_bytes(root: object) -> int:
    """Bytes of every object reachable from `root`, code and classes aside (they are shared)."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, SHARED):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


def _fill(client: Client, cache: ReadCache, entries: int) -> None:
    """Answers stored under many distinct keys made from 10 kB variables."""
    operation = client.app.state.persisted.operations.by_name("PlanDashboard")
    for number in range(entries):
        variables = {"slug": f"{number:06d}" + "x" * 10_000}
        key = answer_key(operation, variables, ("fr", "ar"), "application/json", date(2025, 1, 1))
        dependencies = frozenset({uuid.uuid4(), uuid.uuid4()})
        cache.put(key, BODY, media_type="application/json", collectivities=dependencies, started_at=cache.version)


async def test_many_distinct_keys_hold_no_more_memory_than_the_bound(client: Client, db: Database) -> None:
    cache = ReadCache(max_bytes=BOUND, ttl_seconds=60)
    empty = held_bytes(cache)
    _fill(client, cache, 3000)
    assert len(cache) < 3000  # entries were evicted to stay within the bound
    assert cache.size_bytes <= BOUND
    assert held_bytes(cache) - empty <= BOUND


async def test_the_cache_counts_at_least_the_bytes_its_entries_hold(client: Client, db: Database) -> None:
    cache = ReadCache(max_bytes=64 * 1024 * 1024, ttl_seconds=60)
    empty = held_bytes(cache)
    _fill(client, cache, 500)
    assert len(cache) == 500
    assert held_bytes(cache) - empty <= cache.size_bytes
