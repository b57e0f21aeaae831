"""A process-wide TTL + LRU cache of lookups with single-flight: one query per key at a time.

Shared by every request of a worker, so a campaign of identical notices costs one DNS query per
name and TTL. Waiters never cancel a shared query: a request whose deadline passes stops
waiting, and the query finishes (bounded by the resolver's own lifetime) for the others.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

Fetch = Callable[[], Awaitable[tuple[V, float]]]
"""Returns the value and how many seconds to keep it (<= 0: do not cache)."""


class LookupCache(Generic[V]):
    def __init__(
        self,
        max_entries: int = 10_000,
        max_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Task[tuple[V, float]]] = {}
        self._max_entries = max_entries
        self._max_ttl = max_ttl
        self._clock = clock
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: Hashable) -> V | None:
        """The cached value if still fresh (refreshes its LRU position), else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        self._entries[key] = (self._clock() + min(ttl, self._max_ttl), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def task(self, key: Hashable, fetch: Fetch[V]) -> asyncio.Task[tuple[V, float]]:
        """The one in-flight fetch for `key`, started now if there is none.

        Callers wait on it without cancelling it (asyncio.wait with a timeout does not cancel).
        `fetch` must not raise: it turns every failure into a value (with ttl 0).
        """
        task = self._inflight.get(key)
        if task is None:
            self.misses += 1
            task = asyncio.ensure_future(self._run(key, fetch))
            self._inflight[key] = task
        return task

    async def get(self, key: Hashable, fetch: Fetch[V]) -> V:
        """The cached value, or the result of the one in-flight `fetch` for this key."""
        cached = self.peek(key)
        if cached is not None:
            return cached
        # shield: cancelling this waiter (its request's deadline) must not cancel the query
        value, _ttl = await asyncio.shield(self.task(key, fetch))
        return value

    async def _run(self, key: Hashable, fetch: Fetch[V]) -> tuple[V, float]:
        try:
            value, ttl = await fetch()
            self.put(key, value, ttl)
            return value, ttl
        finally:
            self._inflight.pop(key, None)

    async def close(self) -> None:
        """Cancel queries nobody will wait for any more (app shutdown)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._inflight.clear()
