"""Shared state in Redis: the link's health watch and a token-bucket rate limiter over it.

Every replica and worker process counts in the same buckets, so a client's limit holds across
the whole deployment. Redis helps but is never required: when it fails or is slow (short socket
timeouts, no client-side retries), each process falls back to its own in-memory buckets, says so
in /readyz and /metrics, and a background task reconnects with backoff; once Redis answers again
the shared limits resume by themselves, with no restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Literal

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError

from verifier.settings import redis_owned_params
from verifier.web.limits import MemoryRateLimiter, RateLimiter
from verifier.web.logs import event

State = Literal["unknown", "up", "down"]
Backend = Literal["redis", "memory"]
# What a failing Redis can raise through redis-py: its own errors and socket-level ones, and,
# from a server or proxy that answers in other shapes than Redis (HELLO answered "+OK"),
# TypeError, AttributeError and the like from inside redis-py. All of them mean "not usable now".
FAILURES: tuple[type[BaseException], ...] = (Exception,)
KEY_PREFIX = "verifier:rl"
# The link's health check is one step of a bucket of its own (capacity 1, gone after a second):
# a PING passes on a Redis that refuses every step (full under noeviction, a read-only replica).
HEALTH_KEY = f"{KEY_PREFIX}:health"
HEALTH_ARGS = (1, "1", 1)

# One atomic step of a token bucket. Time comes from the Redis server, so replicas whose clocks
# disagree still share one bucket fairly. Milliseconds keep every number exact in Lua's doubles.
# KEYS[1] the bucket; ARGV: capacity, tokens per millisecond, cost (a batch's notices). A cost
# larger than the bucket needs a full one and leaves it in debt (MemoryRateLimiter.hit). The key
# lives until the bucket would be full again: a full bucket needs no key.
# Returns {1, 0} when allowed, else {0, seconds until the cost is back}. _REFILLED, the bucket's
# tokens now, is shared with BUCKET_WAIT.
_REFILLED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
"""
TOKEN_BUCKET = _REFILLED + """\
local cost = tonumber(ARGV[3])
local need = math.min(cost, capacity)
local allowed = 0
if tokens >= need then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
if allowed == 1 then
  return {1, 0}
end
return {0, math.max(1, math.ceil((need - tokens) / rate / 1000))}
"""
TOKEN_BUCKET_SHA = hashlib.sha1(TOKEN_BUCKET.encode()).hexdigest()

# The bucket read, not stepped (RateLimiter.retry_after): ARGV capacity and tokens per
# millisecond as above. Returns 0 when one token is there, else the seconds until it is.
BUCKET_WAIT = _REFILLED + """\
if tokens >= 1 then
  return 0
end
return math.max(1, math.ceil((1 - tokens) / rate / 1000))
"""
BUCKET_WAIT_SHA = hashlib.sha1(BUCKET_WAIT.encode()).hexdigest()


async def _script(client: Redis, script: str, sha: str, key: str, args: tuple[Any, ...]) -> Any:
    """Run a cached script (EVALSHA), or send it (EVAL) when the server has not cached it yet."""
    try:
        return await client.evalsha(sha, 1, key, *args)
    except NoScriptError:
        return await client.eval(script, 1, key, *args)


async def bucket_wait(client: Redis, key: str, args: tuple[Any, ...]) -> int:
    """Seconds until the bucket at `key` holds one token (0: now); takes none. A reply the
    script cannot give is a ResponseError, as in bucket_step."""
    result = await _script(client, BUCKET_WAIT, BUCKET_WAIT_SHA, key, args)
    if type(result) is not int or result < 0:
        raise ResponseError(f"the rate-limit script answered a {type(result).__name__}, not a "
                            "number of seconds; is VERIFIER_REDIS_URL a Redis server?")
    return result


async def bucket_step(client: Redis, key: str, args: tuple[Any, ...]) -> tuple[bool, int]:
    """One atomic step of the bucket at `key`: (allowed, seconds until a token is back).
    A reply the script cannot give (another server or a proxy on the port) is a ResponseError."""
    result = await _script(client, TOKEN_BUCKET, TOKEN_BUCKET_SHA, key, args)
    pair = isinstance(result, list) and len(result) == 2 and all(type(v) is int for v in result)
    if not pair or not (result == [1, 0] or (result[0] == 0 and result[1] >= 1)):
        raise ResponseError(f"the rate-limit script answered a {type(result).__name__}, not "
                            "{1, 0} or {0, seconds}; is VERIFIER_REDIS_URL a Redis server?")
    return result[0] == 1, result[1]


def describe(exc: BaseException) -> str:
    """A short, safe description of a Redis failure (host:port at most, never credentials)."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 200 else text[:199] + "…"


def connect(url: str, timeout_s: float) -> Redis:
    """A client that fails fast: short socket timeouts and no retries inside redis-py (the
    caller falls back at once; the link's watch does the retrying, with backoff).

    `Redis.from_url` lets the URL's query (`?socket_timeout=60`) override the arguments it is
    given, so the URL is parsed first and ours are applied over it. A ValueError says what is
    wrong with the URL: a parameter that would override ours (the settings refuse those too), a
    value redis-py cannot read, or a name no Redis connection takes (else every command failed
    with a TypeError and Redis looked down for good)."""
    owned = redis_owned_params(url)
    if owned:
        raise ValueError(f"remove {', '.join(owned)} from its query: the service sets its own "
                         "Redis timeouts")
    kwargs: dict[str, Any] = dict(parse_url(url))
    kwargs.update(socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                  retry=Retry(NoBackoff(), 0), health_check_interval=0)
    pool = ConnectionPool(**kwargs)
    try:
        pool.make_connection()  # builds the connection object only; nothing is dialled
    except TypeError as exc:
        name = re.search(r"argument '(\w+)'", str(exc))
        what = f"its query parameter {name[1]}" if name else "a query parameter"
        raise ValueError(f"{what} is not one a Redis connection takes; remove it") from None
    except RedisError as exc:  # e.g. an ssl_cert_reqs that is not none/optional/required
        raise ValueError(f"its query has a value Redis cannot use ({exc})") from None
    return Redis.from_pool(pool)


class RedisLink:
    """One Redis client and whether it is usable now. `run()` watches it until cancelled:
    a ping every `check_interval` while up; while down, pings with exponential backoff."""

    def __init__(self, client: Redis, *, check_interval: float = 5.0,
                 backoff: tuple[float, float] = (0.25, 5.0),
                 on_change: Callable[[bool], None] | None = None) -> None:
        self.client = client
        self.check_interval = check_interval
        self.backoff_min, self.backoff_max = backoff
        self.state: State = "unknown"
        self.last_error: str | None = None
        self.changed_at = time.time()
        self.failures = 0
        self._on_change = on_change
        self._wake = asyncio.Event()

    @property
    def up(self) -> bool:
        return self.state == "up"

    def failed(self, exc: BaseException) -> None:
        """A command failed: go to the per-process fallback until a ping succeeds."""
        self.failures += 1
        self.last_error = describe(exc)
        if self.state != "down":
            event("redis_down", logging.WARNING, error=self.last_error, fallback="memory")
            self._set("down")
            self._wake.set()

    def succeeded(self) -> None:
        if self.state != "up":
            event("redis_up", backend="redis")
            self.last_error = None
            self._set("up")

    def _set(self, state: State) -> None:
        self.state = state
        self.changed_at = time.time()
        if self._on_change is not None:
            self._on_change(state == "up")

    async def ping(self) -> bool:
        """Whether Redis can count now (not only answer: see HEALTH_KEY)."""
        try:
            await bucket_step(self.client, HEALTH_KEY, HEALTH_ARGS)
        except FAILURES as exc:
            self.failed(exc)
            return False
        self.succeeded()
        return True

    async def run(self) -> None:
        delay = self.backoff_min
        while True:
            if self.up:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.check_interval)
                except TimeoutError:
                    pass
                self._wake.clear()
                if self.up:
                    await self.ping()
                delay = self.backoff_min
            else:
                await asyncio.sleep(delay)
                delay = self.backoff_min if await self.ping() else min(delay * 2, self.backoff_max)

    async def close(self) -> None:
        await self.client.aclose()


class RedisRateLimiter:
    """The in-process limiter's `hit()` over one token bucket per key in Redis, evaluated
    atomically by a Lua script (EVALSHA; EVAL when the server has not cached it yet, as after
    a restart). While the link is down, `fallback` (this process's own buckets) answers."""

    def __init__(self, link: RedisLink, count: int, per_seconds: float, *, scope: str,
                 fallback: MemoryRateLimiter) -> None:
        self.link = link
        self.fallback = fallback
        self.prefix = f"{KEY_PREFIX}:{scope}:{count}/{per_seconds:g}:"
        self._args: tuple[Any, ...] = (count, repr(count / (per_seconds * 1000)))

    @property
    def backend(self) -> Backend:
        return "redis" if self.link.up else "memory"

    async def hit(self, key: str, cost: int = 1) -> tuple[bool, int]:
        if self.link.up:
            try:
                return await bucket_step(self.link.client, self.prefix + key, (*self._args, cost))
            except FAILURES as exc:
                self.link.failed(exc)
        return await self.fallback.hit(key, cost)

    async def retry_after(self, key: str) -> int:
        if self.link.up:
            try:
                return await bucket_wait(self.link.client, self.prefix + key, self._args)
            except FAILURES as exc:
                self.link.failed(exc)
        return await self.fallback.retry_after(key)

    async def close(self) -> None:
        await self.fallback.close()  # the link is closed by its own cleanup context


def shared_limiter(link: RedisLink | None, count: int, per_seconds: float, *, scope: str,
                   max_keys: int = 100_000) -> RateLimiter:
    """A limiter for `count` per `per_seconds`: shared in Redis when there is a link, else
    in-process. `scope` keeps unrelated limits (clients, partner keys) in separate buckets."""
    memory = MemoryRateLimiter(count, per_seconds, max_keys=max_keys)
    if link is None:
        return memory
    return RedisRateLimiter(link, count, per_seconds, scope=scope, fallback=memory)
