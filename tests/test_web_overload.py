"""Overload: past the concurrency bound the service answers a fast 503 with Retry-After instead of
queueing, and a served process's memory stays bounded under a flood of hostile requests.

The requests that hold slots here are real ones: each waits on a DNS server (on loopback) that
never answers, until the probes' deadline. Bounds are generous correctness bounds, not targets.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import aiohttp
import pytest
from dns_server import running_dns_server
from test_web_server import start, stop
from web_support import make_settings

from verifier.web.app import create_app

JSON = {"Content-Type": "application/json"}
SLOW_LINK = "【网络仲裁委员会】您的案件已立案，请登录 http://silent-case.top/q 处理"
DNS_BUDGET_MS = 1500
BOUND = 4


async def test_past_the_bound_a_fast_503_not_a_queue(aiohttp_client, bundled_holder) -> None:
    async with running_dns_server() as dns:
        dns.set("silent-case.top", "silent")
        settings = make_settings(network_checks="on", dns_nameservers=dns.nameserver,
                                 dns_timeout_ms=DNS_BUDGET_MS, max_concurrency=BOUND)
        client = await aiohttp_client(create_app(settings, registry_holder=bundled_holder))
        done: list[tuple[float, int, str | None]] = []
        started = time.monotonic()

        async def one() -> None:
            resp = await client.post("/v1/verify", data=json.dumps({"text": SLOW_LINK}), headers=JSON)
            body = await resp.json()
            done.append((time.monotonic() - started, resp.status, resp.headers.get("Retry-After")))
            if resp.status == 503:
                assert resp.content_type == "application/problem+json" and body["status"] == 503
            else:  # the DNS server never answered: "could not check", still a verdict
                assert resp.status == 200 and body["verdict"] in ("suspicious", "likely_scam")
                assert "NET_DNS_UNAVAILABLE" in {r["code"] for r in body["reasons"]}

        await asyncio.gather(*(one() for _ in range(5 * BOUND)))
        refused = [d for d in done if d[1] == 503]
        served = [d for d in done if d[1] == 200]
        assert len(served) == BOUND and len(refused) == 4 * BOUND, done
        assert all(retry == "1" for _, _, retry in refused)
        # refused at once, while the admitted ones still wait for their DNS deadline
        assert max(t for t, _, _ in refused) < min(t for t, _, _ in served), done
        metrics = await (await client.get("/metrics")).text()
        assert f"verifier_overloaded_total {4 * BOUND}.0" in metrics
        # the bound frees up: the next request is admitted
        resp = await client.post("/v1/verify", data=json.dumps({"text": "x"}), headers=JSON)
        assert resp.status == 200


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def flood_bodies(rnd: random.Random, n: int) -> list[tuple[str, bytes]]:
    """Valid notices with unique text (no cache can absorb them), near-limit bodies, batches,
    malformed and deeply nested JSON, wrong types."""
    out: list[tuple[str, bytes]] = []
    for i in range(n):
        kind = i % 8
        unique = f"{i}-{rnd.random()}"
        if kind == 0:
            body = {"text": f"【网络仲裁委员会】案件{unique}已立案 http://x{i}.top 13{i:09d}"[:9000]}
        elif kind == 1:
            body = {"text": ("仲裁委员会" + unique) * 500}
        elif kind == 2:
            body = {"notices": [{"text": f"通知{unique}-{j} http://a{j}.cn"} for j in range(20)]}
        elif kind == 3:
            out.append(("/v1/verify", b"[" * 30_000 + b"]" * 30_000))
            continue
        elif kind == 4:
            out.append(("/v1/verify", b'{"text": "' + unique.encode() + b"\xff\xfe" + b'"}'))
            continue
        elif kind == 5:
            body = {"text": 12345, "links": [unique] * 60}
        elif kind == 6:
            body = {"text": unique, "links": [f"http://{unique}.cc/{j}" for j in range(50)]}
        else:
            out.append(("/v1/verify", b'{"text": "' + b"a" * 70_000 + b'"}'))
            continue
        path = "/v1/verify/batch" if "notices" in body else "/v1/verify"
        out.append((path, json.dumps(body, ensure_ascii=False).encode()))
    return out


async def flood(port: int, bodies: list[tuple[str, bytes]], parallel: int = 32) -> dict[int, int]:
    statuses: dict[int, int] = {}
    queue = list(bodies)
    connector = aiohttp.TCPConnector(limit=parallel)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker() -> None:
            while queue:
                path, raw = queue.pop()
                async with session.post(f"http://127.0.0.1:{port}{path}", data=raw, headers=JSON) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(parallel)))
    return statuses


@pytest.mark.slow
async def test_memory_stays_bounded_under_a_flood(tmp_path: Path) -> None:
    proc, port, log = start(tmp_path, VERIFIER_MAX_CONCURRENCY="16")
    try:
        rnd = random.Random(9)
        await flood(port, flood_bodies(rnd, 100))  # warm-up: imports, caches, allocator pools
        before = rss_kb(proc.pid)
        first = await flood(port, flood_bodies(rnd, 500))
        middle = rss_kb(proc.pid)
        second = await flood(port, flood_bodies(rnd, 500))
        after = rss_kb(proc.pid)
        print(f"RSS kB: warm {before}, after one flood {middle}, after two {after}")
        assert 500 not in first and 500 not in second, (first, second)
        assert set(first) <= {200, 400, 413, 422, 503}, first
        # generous: growth past warm-up is bounded, and a second flood adds little to the first
        assert after - before < 150_000, (before, middle, after)
        assert after - middle < 60_000, (before, middle, after)
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{port}/healthz") as r:
            assert r.status == 200
    finally:
        assert stop(proc) == 0, log.read_text()[-2000:]
