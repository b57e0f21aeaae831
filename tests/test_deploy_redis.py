"""Rate limits shared through a real redis-server: across two `verifier serve` processes, through
a Redis crash (per-process fallback, reported in /readyz and /metrics) and after its restart."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from deploy_support import RedisServer, Service, needs_redis, redis_server  # noqa: F401 (a fixture)

from verifier.web.limits import MemoryRateLimiter
from verifier.web.shared import RedisLink, RedisRateLimiter, connect

pytestmark = [pytest.mark.redis, needs_redis]

NOTICE = json.dumps({"text": "【网络仲裁委员会】您的案件已立案，请联系13812345678"},
                    ensure_ascii=False).encode()
JSON = {"Content-Type": "application/json"}


async def make_limiter(url: str, count: int, per: float) -> tuple[RedisLink, RedisRateLimiter]:
    link = RedisLink(connect(url, 0.25), backoff=(0.05, 0.2))
    assert await link.ping()
    limiter = RedisRateLimiter(link, count, per, scope="test",
                               fallback=MemoryRateLimiter(count, per))
    return link, limiter


@pytest.fixture
async def two_limiters(redis_server: RedisServer) -> AsyncIterator[list[RedisRateLimiter]]:
    pairs = [await make_limiter(redis_server.url, 3, 3600) for _ in range(2)]
    yield [limiter for _, limiter in pairs]
    for link, _ in pairs:
        await link.close()


# ---------------------------------------------------------------- the limiter on its own


async def test_two_clients_share_one_bucket(two_limiters: list[RedisRateLimiter]) -> None:
    a, b = two_limiters
    results = [await (a if i % 2 else b).hit("203.0.113.7") for i in range(5)]
    assert [allowed for allowed, _ in results] == [True, True, True, False, False]
    assert all(retry >= 1 for allowed, retry in results if not allowed)
    assert (await a.hit("203.0.113.8"))[0], "another client has its own bucket"
    assert a.backend == b.backend == "redis"


async def test_a_cost_takes_that_many_tokens_and_a_debt_outlives_the_window(
    two_limiters: list[RedisRateLimiter],
) -> None:
    a, b = two_limiters  # 3 per hour
    assert [(await a.hit("batch", 2))[0], (await b.hit("batch", 2))[0],
            (await b.hit("batch"))[0], (await a.hit("batch"))[0]] == [True, False, True, False]
    assert (await a.hit("big", 5))[0], "a cost above the bucket passes on a full bucket"
    allowed, retry = await b.hit("big")
    assert not allowed and 3 * 1200 - 5 <= retry <= 3 * 1200 + 1  # 2 in debt + 1, 1,200 s each
    # the key lives until the debt is repaid (it lived one window, and the debt was forgotten)
    ttl_ms = await a.link.client.pttl(a.prefix + "big")
    assert ttl_ms > 5 * 1_200_000 - 5000, ttl_ms


async def test_the_wait_for_one_token_is_read_without_taking_one(
    two_limiters: list[RedisRateLimiter],
) -> None:
    a, b = two_limiters  # 3 per hour
    assert await a.retry_after("peek") == 0, "a client never seen has a full bucket"
    assert (await a.hit("peek", 2))[0] and await b.retry_after("peek") == 0
    assert (await b.hit("peek"))[0], "asking took nothing: the third token was still there"
    wait = await a.retry_after("peek")
    assert 1_190 <= wait <= 1_201 and await a.retry_after("peek") == wait  # one token: 1,200 s
    assert not (await b.hit("peek"))[0]
    await a.link.client.script_flush()
    assert await a.retry_after("peek") >= 1 and a.link.failures == 0


async def test_script_cache_flushed_falls_back_to_eval(
    two_limiters: list[RedisRateLimiter],
) -> None:
    a, _ = two_limiters
    assert (await a.hit("k"))[0]
    await a.link.client.script_flush()  # as after a restart: EVALSHA says NOSCRIPT
    assert (await a.hit("k"))[0]
    assert a.link.up and a.link.failures == 0


async def test_slow_redis_times_out_to_memory_and_recovers(
    two_limiters: list[RedisRateLimiter], redis_server: RedisServer,
) -> None:
    a, b = two_limiters
    watch = asyncio.create_task(a.link.run())
    try:
        await b.link.client.execute_command("CLIENT", "PAUSE", "1500", "ALL")
        started = time.monotonic()
        allowed, _ = await a.hit("slow")
        assert allowed and time.monotonic() - started < 1.0, "the timeout must be short"
        assert a.backend == "memory" and a.link.last_error
        for _ in range(100):  # the pause ends; the watch's ping brings the shared bucket back
            if a.link.up:
                break
            await asyncio.sleep(0.05)
        assert a.backend == "redis"
    finally:
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)


# ---------------------------------------------------------------- two real service processes


async def post(session: aiohttp.ClientSession, service: Service) -> tuple[int, str | None]:
    async with session.post(service.base + "/v1/verify", data=NOTICE, headers=JSON) as r:
        body = await r.json(content_type=None)
        if r.status == 200:
            assert body["verdict"]
        return r.status, r.headers.get("Retry-After")


async def readyz(session: aiohttp.ClientSession, service: Service) -> dict[str, Any]:
    async with session.get(service.base + "/readyz") as r:
        assert r.status == 200, "Redis down is degraded, never unready"
        body: dict[str, Any] = await r.json()
        return body


async def metric(session: aiohttp.ClientSession, service: Service, name: str) -> float:
    async with session.get(service.base + "/metrics") as r:
        text = await r.text()
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


async def wait_ready(session: aiohttp.ClientSession, service: Service, up: bool) -> None:
    for _ in range(300):
        if (await readyz(session, service))["redis"]["up"] is up:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{service.base} never reported redis up={up}")


async def spread(session: aiohttp.ClientSession, services: list[Service],
                 n: int) -> list[list[tuple[int, str | None]]]:
    """n requests from one client, alternating between the services; results per service."""
    out: list[list[tuple[int, str | None]]] = [[] for _ in services]
    for i in range(n):
        out[i % len(services)].append(await post(session, services[i % len(services)]))
    return out


@pytest.mark.slow
async def test_processes_share_limit_survive_redis_crash_and_resume(
    redis_server: RedisServer, tmp_path: Path,
) -> None:
    env = {"VERIFIER_REDIS_URL": redis_server.url, "VERIFIER_RATE_LIMIT": "10/hour"}
    services = [Service(tmp_path, **env), Service(tmp_path, **env)]
    try:
        async with aiohttp.ClientSession() as s:
            for svc in services:
                body = await readyz(s, svc)
                assert body["redis"]["up"] is True and body["redis"]["rate_limit_backend"] == "redis"
                assert await metric(s, svc, 'verifier_rate_limit_backend{backend="redis"}') == 1

            # One limit for both: 10 in all, not 10 each.
            per_service = await spread(s, services, 30)
            statuses = [status for results in per_service for status, _ in results]
            assert statuses.count(200) == 10 and statuses.count(429) == 20
            for results in per_service:
                assert {status for status, _ in results} == {200, 429}
                assert all(int(ra) >= 1 for status, ra in results if status == 429)

            # Redis dies: every request is still answered, by each process's own buckets.
            redis_server.kill()
            per_service = await spread(s, services, 6)
            assert [status for results in per_service for status, _ in results] == [200] * 6
            for svc in services:
                body = await readyz(s, svc)
                assert body["status"] == "ready"
                assert body["redis"]["up"] is False
                assert body["redis"]["rate_limit_backend"] == "memory"
                assert body["redis"]["last_error"]
                assert await metric(s, svc, "verifier_redis_up") == 0
                assert await metric(s, svc, 'verifier_rate_limit_backend{backend="memory"}') == 1

            # Redis is back on the same port (empty): the shared limit resumes, no restart.
            redis_server.start()
            for svc in services:
                await wait_ready(s, svc, up=True)
                assert await metric(s, svc, "verifier_redis_up") == 1
            per_service = await spread(s, services, 14)
            statuses = [status for results in per_service for status, _ in results]
            assert statuses.count(200) == 10 and statuses.count(429) == 4
    finally:
        codes = [svc.stop() for svc in services]
    assert codes == [0, 0]
    logs = services[0].log.read_text()
    assert '"redis_down"' in logs and '"redis_up"' in logs


@pytest.mark.slow
async def test_starts_degraded_when_redis_is_down(tmp_path: Path) -> None:
    """Redis unreachable at start-up is not fatal: the service serves on per-process limits."""
    dead = RedisServer(tmp_path)  # a free port nobody listens on
    svc = Service(tmp_path, VERIFIER_REDIS_URL=dead.url, VERIFIER_RATE_LIMIT="2/hour")
    try:
        async with aiohttp.ClientSession() as s:
            body = await readyz(s, svc)
            redis = body["redis"]
            assert (redis["configured"], redis["up"], redis["rate_limit_backend"]) == (
                True, False, "memory")
            (results,) = await spread(s, [svc], 3)
            assert [status for status, _ in results] == [200, 200, 429]
            dead.start()
            try:
                await wait_ready(s, svc, up=True)
            finally:
                dead.kill()
    finally:
        assert svc.stop() == 0
