"""The served process: graceful SIGTERM with requests in flight, and several workers on one port."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
_LAUNCH = ["-m", "verifier", "serve"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path: Path, workers: int = 1, max_open_files: int | tuple[int, int] | None = None,
          **env: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    environ = os.environ | {
        "VERIFIER_HOST": "127.0.0.1", "VERIFIER_PORT": str(port), "VERIFIER_WORKERS": str(workers),
        "VERIFIER_NETWORK_CHECKS": "off", "VERIFIER_RATE_LIMIT": "100000/second",
        "VERIFIER_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT),
    } | env
    with log.open("wb") as err:
        soft_hard = (max_open_files, max_open_files) if isinstance(max_open_files, int) else max_open_files
        limit = None if soft_hard is None else (
            lambda: resource.setrlimit(resource.RLIMIT_NOFILE, soft_hard))
        proc = subprocess.Popen([sys.executable, *_LAUNCH], env=environ, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, port, log
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not become ready: " + log.read_text())


def stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout)


BODY = json.dumps({"text": "【网络仲裁委员会】您的案件已立案，联系13812345678"}, ensure_ascii=False).encode()


async def slow_request(port: int, first: asyncio.Event, go: asyncio.Event) -> tuple[int, dict]:
    """Send the headers and half the body, wait, then the rest: in flight across the SIGTERM."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY[:10])
    await writer.drain()
    first.set()
    await go.wait()
    writer.write(BODY[10:])
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 15)
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_sigterm_drains_in_flight_requests(tmp_path):
    proc, port, log = start(tmp_path)
    try:
        go = asyncio.Event()
        sent = [asyncio.Event() for _ in range(8)]
        slow = [asyncio.create_task(slow_request(port, sent[i], go)) for i in range(8)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in sent)), 5)

        answered, refused, stop_streaming = [], [], asyncio.Event()

        async def stream() -> None:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
                while not stop_streaming.is_set():
                    try:
                        async with s.post(f"http://127.0.0.1:{port}/v1/verify", data=BODY,
                                          headers={"Content-Type": "application/json"}) as r:
                            body = await r.json()  # a started answer must be complete
                            answered.append((r.status, body["verdict"]))
                    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
                        refused.append(type(exc).__name__)  # not accepted (the log proves it, below)
                        await asyncio.sleep(0.01)

        streams = [asyncio.create_task(stream()) for _ in range(4)]
        await asyncio.sleep(0.5)
        before = len(answered)
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)  # the server is draining: the slow requests are still open
        assert proc.poll() is None, "exited without waiting for in-flight requests"
        with pytest.raises(OSError):  # and no longer accepts connections
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        go.set()
        results = await asyncio.gather(*slow)
        stop_streaming.set()
        await asyncio.gather(*streams)
        assert [status for status, _ in results] == [200] * 8
        assert all(body["verdict"] for _, body in results)
        assert before > 0 and all(status == 200 for status, _ in answered)
        assert proc.wait(20) == 0
    finally:
        stop(proc)
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(e["event"] == "stopping" for e in events)
    access = [e for e in events if e["event"] == "access" and e["route"] == "/v1/verify"]
    assert len(access) == len(answered) + 8


async def verify_on_new_connections(port: int, count: int) -> list[int]:
    """`count` verify calls, each on its own connection (so the kernel spreads them)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        async def one(i: int) -> int:
            async with s.post(f"http://127.0.0.1:{port}/v1/verify", json={"text": f"n{i}"}) as r:
                await r.json()
                return r.status

        return list(await asyncio.gather(*(one(i) for i in range(count))))


async def test_several_workers_share_the_port(tmp_path):
    proc, port, log = start(tmp_path, workers=3)
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) == 3
        assert await verify_on_new_connections(port, 60) == [200] * 60
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = {json.loads(line).get("pid") for line in log.read_text().splitlines()
                    if '"listening"' in line}
            if len(pids) == 3:
                break
            await asyncio.sleep(0.1)
        assert pids == {int(c) for c in children}
    finally:
        assert stop(proc) == 0
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()


async def test_metrics_count_every_workers_requests(tmp_path):
    """Whichever worker answers /metrics, it reports the requests all workers served."""
    before = set(Path(tempfile.gettempdir()).glob("verifier-metrics-*"))
    proc, port, _log = start(tmp_path, workers=2)
    try:
        ours = set(Path(tempfile.gettempdir()).glob("verifier-metrics-*")) - before
        assert len(ours) == 1 and list(next(iter(ours)).glob("counter_*.db"))
        assert await verify_on_new_connections(port, 40) == [200] * 40
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            want = 'verifier_http_requests_total{method="POST",route="/v1/verify",status="200"} 40.0'
            live_workers = set()
            for _ in range(12):  # new connections: the kernel spreads them over both workers
                async with s.get(f"http://127.0.0.1:{port}/metrics") as r:
                    text = await r.text()
                assert want in text.splitlines(), text
                live_workers |= {line.split('pid="')[1].split('"')[0] for line in text.splitlines()
                                if line.startswith("verifier_registry_last_reload_successful{")}
            assert len(live_workers) == 2  # gauges: one series per live worker
    finally:
        assert stop(proc) == 0
    assert not any(p.exists() for p in ours)  # removed when the service stops


async def test_a_batch_of_new_domains_cannot_exhaust_the_file_descriptors(tmp_path):
    # With network checks on and a resolver that does not answer, two batches of 100 notices
    # with 20 new domains each opened 4,000 sockets at once: past the process's file limit,
    # accept() failed for every other client and DNS failed for every other request.
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a resolver that never answers
    silent.bind(("127.0.0.1", 0))
    resolver = f"127.0.0.1:{silent.getsockname()[1]}"
    proc, port, log = start(tmp_path, max_open_files=256, VERIFIER_NETWORK_CHECKS="on",
                            VERIFIER_DNS_NAMESERVERS=resolver, VERIFIER_DNS_TIMEOUT_MS="500")
    try:
        batch = {"notices": [{"text": " ".join(f"http://n{i}d{j}.com/x" for j in range(20))}
                             for i in range(100)]}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            async def post_batch() -> dict:
                async with s.post(f"http://127.0.0.1:{port}/v1/verify/batch", json=batch) as r:
                    assert r.status == 200
                    return await r.json()

            async def healthz_meanwhile() -> list[int]:
                statuses = []
                for _ in range(10):
                    async with s.get(f"http://127.0.0.1:{port}/healthz") as r:
                        statuses.append(r.status)
                    await asyncio.sleep(0.05)
                return statuses

            *answers, health = await asyncio.gather(post_batch(), post_batch(), healthz_meanwhile())
        assert health == [200] * 10
        for answer in answers:
            results = answer["results"]
            assert len(results) == 100 and all("verdict" in x for x in results)
            # could not check: never evidence for or against
            assert all("NET_DNS_UNAVAILABLE" in {r["code"] for r in x["reasons"]} for x in results)
            assert not any("NET_DOMAIN_NXDOMAIN" in {r["code"] for r in x["reasons"]} for x in results)
    finally:
        assert stop(proc) == 0
        silent.close()
    text = log.read_text()
    assert "Too many open files" not in text and "out of system resource" not in text, text[-3000:]


async def test_the_soft_open_files_limit_is_raised_to_the_hard_one(tmp_path):
    # Each client connection is a file; a soft limit of 1,024 (a common default) under a far
    # higher hard limit turned away clients the machine could serve.
    proc, _port, log = start(tmp_path, max_open_files=(256, 4096))
    try:
        limits = Path(f"/proc/{proc.pid}/limits").read_text()
        row = next(line for line in limits.splitlines() if line.startswith("Max open files"))
        assert row.split()[3:5] == ["4096", "4096"], row
        listening = [json.loads(line) for line in log.read_text().splitlines() if '"listening"' in line]
        assert listening and listening[0]["open_files"] == 4096
    finally:
        assert stop(proc) == 0


async def test_malformed_requests_are_not_error_log_lines(tmp_path):
    # aiohttp logged every request it could not parse at ERROR with a traceback: anyone who can
    # open a socket could write error lines (and page whoever watches them). A malformed request
    # is the client's mistake: one INFO event naming the part, no bytes of it, and a metric.
    from test_web_hostile_conn import MALFORMED

    proc, port, log = start(tmp_path)
    try:
        for raw, _loc in MALFORMED + [(b"\x00\xff garbage \r\n\r\n", None)]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(raw)
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            assert answer.split(b" ", 2)[1] == b"400", answer[:80]
        async with aiohttp.ClientSession() as s:
            async with s.get(f"http://127.0.0.1:{port}/metrics") as r:
                metrics = await r.text()
    finally:
        assert stop(proc) == 0
    text = log.read_text()
    events = [json.loads(line) for line in text.splitlines()]  # every line is a JSON event
    assert not [e for e in events if e["level"] not in ("info", "debug")], text[-3000:]
    malformed = [e for e in events if e["event"] == "malformed_request"]
    assert len(malformed) == len(MALFORMED) + 1
    assert all(e["status"] == 400 and e["part"] and e["error"] for e in malformed)
    assert "13812345678" not in text and "garbage" not in text and "Traceback" not in text
    want = f'verifier_http_requests_total{{method="OTHER",route="(malformed)",status="400"}} {len(MALFORMED) + 1}.0'
    assert want in metrics.splitlines(), metrics


def _reload_events(log: Path) -> list[dict]:
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["event"] == "registry_reload"]


async def test_a_burst_of_sighups_builds_the_registry_at_most_twice(tmp_path):
    # Each SIGHUP queued its own registry build (a builder process of a second or more, one after
    # another): a burst of 30 kept the machine building for half a minute.
    registry = tmp_path / "registry"
    shutil.copytree(ROOT / "registry", registry)
    proc, _port, log = start(tmp_path, VERIFIER_REGISTRY=str(registry / "registry.yaml"),
                             VERIFIER_RELOAD_INTERVAL_S="3600")  # only the signals reload
    try:
        started = time.monotonic()
        for _ in range(30):
            proc.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.005)
        burst = time.monotonic() - started
        async with asyncio.timeout(60):
            while not _reload_events(log):
                await asyncio.sleep(0.05)
        one_build = time.monotonic() - started
        assert burst < one_build, "the burst outlasted a build; nothing to coalesce"
        await asyncio.sleep(max(4 * one_build, 3))  # time for several more builds, were any queued
        reloads = _reload_events(log)
        assert 1 <= len(reloads) <= 2, reloads
        assert all(e["ok"] for e in reloads)
    finally:
        assert stop(proc) == 0


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_sighup_while_starting_does_not_stop_the_service(tmp_path, workers):
    # SIGHUP's default action ends a process, and the registry watcher takes it over only once
    # the registry is loaded: a reload signal in that second or two (a deploy tool that writes
    # the registry, then signals) killed a single worker, and a worker killed so soon after its
    # start made the supervisor stop the whole service.
    port = free_port()
    log = tmp_path / "server.log"
    env = os.environ | {"VERIFIER_HOST": "127.0.0.1", "VERIFIER_PORT": str(port),
                        "VERIFIER_WORKERS": str(workers), "VERIFIER_NETWORK_CHECKS": "off",
                        "VERIFIER_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT)}
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, *_LAUNCH], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        async with asyncio.timeout(60):  # the moment `serve` has begun starting its app(s)
            while True:
                assert proc.poll() is None, log.read_text()
                if workers > 1:
                    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
                    if children.split():
                        break
                else:
                    with socket.socket() as s:  # bound and listening: the app is being built
                        if s.connect_ex(("127.0.0.1", port)) == 0:
                            break
                await asyncio.sleep(0.002)
        proc.send_signal(signal.SIGHUP)
        assert '"listening"' not in log.read_text(), "signalled too late to test the start-up"
        async with asyncio.timeout(60):
            while '"listening"' not in log.read_text():
                assert proc.poll() is None, log.read_text()
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert proc.poll() is None, log.read_text()
        assert await verify_on_new_connections(port, 4) == [200] * 4
    finally:
        assert stop(proc) == 0, log.read_text()
