"""The shared lookup cache: TTL, LRU bound, single-flight, and shielding from cancellation."""

from __future__ import annotations

import asyncio

import pytest

from verifier.net.cache import LookupCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_fetch(calls: list[str], value: str, ttl: float, delay: float = 0.0):  # type: ignore[no-untyped-def]
    async def fetch() -> tuple[str, float]:
        calls.append(value)
        if delay:
            await asyncio.sleep(delay)
        return value, ttl

    return fetch


async def test_ttl_expiry_with_a_fake_clock() -> None:
    clock = Clock()
    cache: LookupCache[str] = LookupCache(clock=clock)
    calls: list[str] = []
    assert await cache.get("k", counting_fetch(calls, "v", 10)) == "v"
    clock.now += 9.9
    assert await cache.get("k", counting_fetch(calls, "v2", 10)) == "v"
    clock.now += 0.2
    assert await cache.get("k", counting_fetch(calls, "v3", 10)) == "v3"
    assert calls == ["v", "v3"]


async def test_zero_ttl_is_not_cached() -> None:
    cache: LookupCache[str] = LookupCache()
    calls: list[str] = []
    await cache.get("k", counting_fetch(calls, "unknown", 0))
    await cache.get("k", counting_fetch(calls, "unknown", 0))
    assert len(calls) == 2
    assert len(cache) == 0


async def test_ttl_is_capped() -> None:
    clock = Clock()
    cache: LookupCache[str] = LookupCache(clock=clock, max_ttl=60)
    cache.put("k", "v", 86400)
    clock.now += 61
    assert cache.peek("k") is None


async def test_size_is_bounded_least_recently_used_goes_first() -> None:
    cache: LookupCache[str] = LookupCache(max_entries=3)
    for key in "abc":
        cache.put(key, key, 60)
    assert cache.peek("a") == "a"  # a is now the most recent
    cache.put("d", "d", 60)
    assert len(cache) == 3
    assert cache.peek("b") is None
    assert [cache.peek(k) for k in "acd"] == ["a", "c", "d"]


async def test_single_flight() -> None:
    cache: LookupCache[str] = LookupCache()
    calls: list[str] = []
    fetch = counting_fetch(calls, "v", 60, delay=0.05)
    results = await asyncio.gather(*(cache.get("k", fetch) for _ in range(10)))
    assert results == ["v"] * 10
    assert calls == ["v"]
    assert cache.misses == 1


async def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch() -> None:
    cache: LookupCache[str] = LookupCache()
    calls: list[str] = []
    fetch = counting_fetch(calls, "v", 60, delay=0.1)
    impatient = asyncio.ensure_future(cache.get("k", fetch))
    patient = asyncio.ensure_future(cache.get("k", fetch))
    await asyncio.sleep(0.02)
    impatient.cancel()
    assert await patient == "v"
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert calls == ["v"]
    assert cache.peek("k") == "v"


async def test_close_cancels_inflight() -> None:
    cache: LookupCache[str] = LookupCache()
    calls: list[str] = []
    waiter = asyncio.ensure_future(cache.get("k", counting_fetch(calls, "v", 60, delay=10)))
    await asyncio.sleep(0.01)
    await cache.close()
    with pytest.raises(asyncio.CancelledError):
        await waiter
