"""Answers to anonymous persisted reads, kept until a change they depend on commits.

Every committed change is announced with the collectivities it touched (see `Database.announce`
and, across replicas, PostgreSQL's `tracker_changes` notifications). An answer depends either on
some collectivities (a plan dashboard: the collectivity and its parent) or on the whole network
(a summary, a page of collectivities). Instead of an index from collectivity to answers, each
answer remembers the version counters it was computed under; a change bumps counters, and an
answer whose counters moved is no longer served.

An answer is stored only if nothing at all changed while it was being computed: a read that
started before a commit may have seen the old rows, and must not outlive the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from cachetools import LRUCache

# The cache's own bookkeeping for one entry: a slot in each of cachetools' dicts (data, sizes,
# LRU order). Measured by walking the cache's objects with sys.getsizeof: about 135 bytes while
# the tables are dense, about 310 once evictions have left them sparse; counted with a margin.
ENTRY_OVERHEAD = 400
# One (collectivity, version) pair an answer depends on: the tuple, the UUID and its int.
DEPENDENCY_SIZE = sys.getsizeof((uuid.UUID(int=0), 0)) + sys.getsizeof(uuid.UUID(int=0)) + sys.getsizeof(2**127)


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    etag: str
    media_type: str
    expires_at: float
    # None: depends on the whole network (any change), with the global version it was made under.
    collectivities: tuple[tuple[uuid.UUID, int], ...] | None
    network_version: int
    unscoped_version: int
    # Bytes the entry holds in memory, key included: what the cache's bound counts.
    size: int = 0


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match compares weakly (RFC 9110): a proxy that compressed the answer made it W/."""
    if not header:
        return False
    return any(candidate.strip().removeprefix("W/") in (etag, "*") for candidate in header.split(","))


class ReadCache:
    def __init__(self, *, max_bytes: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: LRUCache[bytes, CachedAnswer] = LRUCache(
            maxsize=max(max_bytes, 1), getsizeof=lambda answer: answer.size
        )
        self._network_version = 0  # any change at all
        self._unscoped_version = 0  # changes not tied to one collectivity
        self._versions: dict[uuid.UUID, int] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    @property
    def version(self) -> int:
        """Taken before computing an answer, handed back to `put`."""
        return self._network_version

    def changed(self, collectivities: frozenset[uuid.UUID | None]) -> None:
        self._network_version += 1
        for key in collectivities:
            if key is None:
                self._unscoped_version += 1
            else:
                self._versions[key] = self._versions.get(key, 0) + 1

    @property
    def max_bytes(self) -> int:
        return int(self._entries.maxsize)

    @property
    def size_bytes(self) -> int:
        """Bytes held by the entries, keys included, as the bound counts them."""
        return int(self._entries.currsize)

    def get(self, key: bytes) -> CachedAnswer | None:
        answer = self._entries.get(key)
        if answer is None or not self._fresh(answer):
            self.misses += 1
            return None
        self.hits += 1
        return answer

    def put(
        self,
        key: bytes,
        body: bytes,
        *,
        media_type: str,
        collectivities: frozenset[uuid.UUID] | None,
        started_at: int,
    ) -> CachedAnswer:
        """Store the answer unless something changed since `started_at`; return it either way."""
        answer = CachedAnswer(
            body=body,
            etag=etag_of(body),
            media_type=media_type,
            expires_at=self._clock() + self.ttl_seconds,
            collectivities=(
                None
                if collectivities is None
                else tuple((key, self._versions.get(key, 0)) for key in sorted(collectivities))
            ),
            network_version=self._network_version,
            unscoped_version=self._unscoped_version,
        )
        if self.enabled and started_at == self._network_version:
            with contextlib.suppress(ValueError):  # larger than the whole cache: served, not kept
                self._entries[key] = replace(answer, size=_size_of(key, answer))
        return answer

    def _fresh(self, answer: CachedAnswer) -> bool:
        if answer.expires_at <= self._clock():
            return False
        if answer.collectivities is None:
            return answer.network_version == self._network_version
        if answer.unscoped_version != self._unscoped_version:
            return False
        return all(self._versions.get(key, 0) == version for key, version in answer.collectivities)

    def __len__(self) -> int:
        return len(self._entries)


def _size_of(key: bytes, answer: CachedAnswer) -> int:
    """Every object the entry keeps alive; the media type too, as a captured header is a new str."""
    dependencies = answer.collectivities or ()
    return (
        ENTRY_OVERHEAD
        + sys.getsizeof(key)
        + sys.getsizeof(answer)
        + sys.getsizeof(answer.body)
        + sys.getsizeof(answer.etag)
        + sys.getsizeof(answer.media_type)
        + sys.getsizeof(dependencies)
        + len(dependencies) * DEPENDENCY_SIZE
    )
