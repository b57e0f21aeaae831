"""Request limits: per-client rate limiting, the concurrency bound, and who the client is.

The rate limiter sits behind a one-method interface (`hit`) so a shared backend (Redis, for
several replicas) can replace the in-process one without touching the handlers.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RateLimiter(Protocol):
    async def hit(self, key: str, cost: int = 1) -> tuple[bool, int]:
        """Count `cost` requests (a batch's notices) for `key`: (allowed, seconds until it would
        be allowed). See MemoryRateLimiter.hit for a cost larger than the bucket."""
        ...

    async def retry_after(self, key: str) -> int:
        """0 when `key` has at least one request's allowance now, else the seconds until it
        has; counts nothing (a batch is refused by this before its body is read)."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Token buckets per client in one process: `count` requests per `per_seconds`, with bursts.

    Memory is bounded: at most `max_keys` buckets; the least recently seen client is forgotten
    first (it then starts with a full bucket, the same as a newcomer).
    """

    def __init__(
        self,
        count: int,
        per_seconds: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(count)
        self.rate = count / per_seconds  # tokens per second
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _refilled(self, bucket: tuple[float, float] | None, now: float) -> float:
        """The tokens a bucket (tokens, last seen) holds at `now`; a new client's is full."""
        if bucket is None:
            return self.capacity
        tokens, last = bucket
        return min(self.capacity, tokens + (now - last) * self.rate)

    async def hit(self, key: str, cost: int = 1) -> tuple[bool, int]:
        """Take `cost` tokens when that many are there. A cost larger than the bucket (a batch of
        100 under 60/minute) needs a full bucket and leaves it in debt, so the client waits until
        the whole cost has been earned: over time every notice counts, whatever the batch size."""
        now = self._clock()
        tokens = self._refilled(self._buckets.pop(key, None), now)
        need = min(float(cost), self.capacity)
        allowed = tokens >= need
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if allowed:
            return True, 0
        return False, max(1, math.ceil((need - tokens) / self.rate))

    async def retry_after(self, key: str) -> int:
        tokens = self._refilled(self._buckets.get(key), self._clock())
        return 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) / self.rate))

    async def close(self) -> None:
        self._buckets.clear()


class ConcurrencyLimiter:
    """At most `limit` requests analysed at once; past it callers are refused, never queued."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    def try_acquire(self) -> bool:
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight -= 1


def _parse_ip(value: str) -> IPAddress | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:5123"
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(ip: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(ip.version == net.version and ip in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]
) -> IPAddress | None:
    """The client's address: the peer, or, when the peer is a trusted proxy, the rightmost
    untrusted hop of X-Forwarded-For (hops left of it could be forged by the client)."""
    ip = _parse_ip(peer) if peer else None
    if ip is None or not proxies or not _trusted(ip, proxies):
        return ip
    hops = [h for header in forwarded_for for h in header.split(",")][-64:]
    for hop in reversed(hops):
        hop_ip = _parse_ip(hop)
        if hop_ip is None:
            return ip  # garbage in the chain: trust nothing left of it
        ip = hop_ip
        if not _trusted(ip, proxies):
            return ip
    return ip


def client_key(ip: IPAddress | None) -> str:
    """Rate-limit key: IPv4 address, or the IPv6 /64 (one subscriber usually owns a whole /64)."""
    if ip is None:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def rate_key(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]) -> str:
    """client_key(client_address(...)), remembered per peer when no proxy is trusted (then the
    key depends on the peer alone): parsing addresses was a visible part of every request."""
    if not proxies:
        return _peer_key(peer)
    return client_key(client_address(peer, forwarded_for, proxies))


@functools.lru_cache(maxsize=4096)
def _peer_key(peer: str | None) -> str:
    return client_key(client_address(peer, (), ()))


class InFlight:
    """Requests being handled now, so a shutdown can wait for them (and only them)."""

    def __init__(self) -> None:
        self.count = 0
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """True when every request finished within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
