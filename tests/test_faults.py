"""Faults of what the service depends on, seen over HTTP: a DNS server that is down, answers
garbage or fails; a registry file deleted, truncated, not UTF-8, replaced by a directory, a FIFO
or an endless device, while serving (with the real watcher). The service stays up, verdicts never
silently get worse, and the fault shows in /readyz, /v1/registry and /metrics.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dns_server import DnsServer, Rule
from web_support import make_settings

from verifier.settings import Settings, bundled_registry_path
from verifier.web.app import create_app

CORPUS = [json.loads(line) for line in
          (Path(__file__).parent / "corpus" / "notices.jsonl").read_text("utf-8").splitlines() if line.strip()]
WITH_LINKS = [row for row in CORPUS if "http" in (row["request"].get("text") or "") or row["request"].get("links")]
SAMPLE = WITH_LINKS[::6][:10]
ORDER = {"likely_genuine": 0, "unverified": 1, "suspicious": 2, "likely_scam": 3}
JSON = {"Content-Type": "application/json"}


class _Always(DnsServer):
    """Answers every name the same way (the table's rules are per name)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def rule_for(self, wire: bytes):  # type: ignore[no-untyped-def]
        found = super().rule_for(wire)
        return None if found is None else (Rule(self.kind), found[1])  # type: ignore[arg-type]


async def verdicts(client: TestClient) -> list[dict]:
    out = []
    for row in SAMPLE:
        resp = await client.post("/v1/verify", data=json.dumps(row["request"], ensure_ascii=False),
                                 headers=JSON)
        assert resp.status == 200
        out.append(await resp.json())
    return out


@pytest.fixture(scope="module")
def offline(bundled_holder) -> list[dict]:
    async def run() -> list[dict]:
        app = create_app(make_settings(), registry_holder=bundled_holder)
        async with TestClient(TestServer(app)) as client:
            return await verdicts(client)
    return asyncio.run(run())


@pytest.mark.parametrize("fault", ["down", "garbage", "servfail", "refused", "silent"])
async def test_dns_faults_are_could_not_check(aiohttp_client, bundled_holder, offline, fault) -> None:
    if fault == "down":
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            nameserver = f"127.0.0.1:{s.getsockname()[1]}"  # closed again: nothing listens
        server = None
    else:
        server = _Always(fault)
        await server.start()
        nameserver = server.nameserver
    try:
        app = create_app(make_settings(network_checks="on", dns_nameservers=nameserver,
                                       dns_timeout_ms=300, dnsbl_zones="dbl.test"),
                         registry_holder=bundled_holder)
        client = await aiohttp_client(app)
        for row, off, got in zip(SAMPLE, offline, await verdicts(client)):
            assert ORDER[got["verdict"]] <= ORDER[off["verdict"]], (row["id"], off["verdict"], got["verdict"])
            assert got["risk"] <= off["risk"], row["id"]
            net = [r for r in got["reasons"] if r["code"].startswith("NET_")]
            assert net and all(r["code"] == "NET_DNS_UNAVAILABLE" for r in net), (row["id"], net)
            assert all(r["score"] == 0 and r["severity"] == "info" for r in net)
        assert (await client.get("/readyz")).status == 200
    finally:
        if server is not None:
            await server.stop()


# -- the registry file, while serving -----------------------------------------------------------

SCAM = "【网络仲裁委员会】您的案件已立案，请于24小时内联系13812345678处理，否则冻结名下所有银行卡。"
GENUINE = CORPUS[[r["label"] for r in CORPUS].index("genuine")]["request"]
POLL = 0.05


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    src = bundled_registry_path()
    shutil.copy(src, tmp_path / "registry.yaml")
    shutil.copytree(src.parent / "lists", tmp_path / "lists")
    return tmp_path / "registry.yaml"


@pytest.fixture
async def served(reg: Path) -> AsyncIterator[TestClient]:
    settings = Settings(registry=reg, network_checks="off", rate_limit="1000000/second",
                        reload_interval_s=POLL)
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def answers(client: TestClient) -> list[tuple[str, str]]:
    out = []
    for req in ({"text": SCAM}, GENUINE):
        resp = await client.post("/v1/verify", data=json.dumps(req, ensure_ascii=False), headers=JSON)
        assert resp.status == 200
        body = await resp.json()
        out.append((body["verdict"], body["registry"]["version"]))
    return out


async def wait_for(client: TestClient, predicate, timeout: float = 30.0) -> dict:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await (await client.get("/v1/registry")).json()
        if predicate(state):
            return state
        assert asyncio.get_running_loop().time() < deadline, state
        await asyncio.sleep(POLL)


REGEXES = {
    "costly_regex": "a{99999999}",  # compiling it took gigabytes
    "backtracking_regex": "(a+)+$",  # was served: one batch of 100 notices then held the loop 74 s
}


def _break(reg: Path, how: str) -> Path:
    """Damage the registry the way `how` says; the path that was damaged."""
    target = reg if not how.startswith("list_") else reg.parent / "lists" / "scam_domains.txt"
    if how in ("truncated",):
        text = target.read_text("utf-8")
        target.write_text(text[: len(text) // 3], "utf-8")
        return target
    if how == "yaml_bomb":  # nine lines, 9^9 values: the build hung, then ran out of memory
        target.write_text("".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9 if i else ["x"] * 9) + "]\n"
                                  for i in range(9)), "utf-8")
        return target
    if how == "list_huge_line":  # its problem quoted all of it: 1 MB in /v1/registry and the log
        target = reg.parent / "lists" / "cities.txt"
        with target.open("a", encoding="utf-8") as f:
            f.write("a" * 1_000_000 + "\n")
        return target
    if how == "impossible_date":  # YAML reads it as a date, Python refuses it: the builder crashed
        target.write_text(re.sub(r"^version: .*$", "version: 2024-13-45", target.read_text("utf-8"),
                                 count=1, flags=re.M), "utf-8")
        return target
    if how in REGEXES:
        text = target.read_text("utf-8")
        at = text.index("\n  regex: ") + len("\n  regex: ")
        target.write_text(text[:at] + f"'{REGEXES[how]}'" + text[text.index("\n", at):], "utf-8")
        return target
    target.unlink()
    if how.endswith("directory"):
        target.mkdir()
    elif how == "not_utf8":
        target.write_bytes(b"schema_version: 1\nversion: \xff\xfe\n")
    elif how.endswith("fifo"):
        os.mkfifo(target)
    elif how.endswith("device"):
        target.symlink_to("/dev/zero")
    elif how.endswith("symlink_loop"):
        target.symlink_to(target)
    return target


FAULTS = ["deleted", "truncated", "directory", "not_utf8", "fifo", "device", "symlink_loop",
          "yaml_bomb", "impossible_date", "costly_regex", "backtracking_regex", "list_huge_line",
          "list_deleted", "list_directory", "list_fifo", "list_device", "list_symlink_loop"]


@pytest.mark.parametrize("how", FAULTS)
async def test_registry_fault_while_serving(served: TestClient, reg: Path, how: str) -> None:
    good = await answers(served)
    version = good[0][1]
    lists = reg.parent / "lists"
    original = {p: p.read_bytes() for p in [reg, lists / "scam_domains.txt", lists / "cities.txt"]}
    damaged = _break(reg, how)
    try:
        state = await wait_for(served, lambda s: s["last_reload_error"])
        assert state["version"] == version  # the last good registry keeps serving
        assert str(damaged.name) in state["last_reload_error"]
        assert "build process failed" not in state["last_reload_error"]  # the file's problem, said
        assert len(state["last_reload_error"]) < 10_000
        ready = await served.get("/readyz")
        assert ready.status == 200  # still ready: it serves the previous registry...
        detail = (await ready.json())["registry"]
        assert detail["version"] == version and detail["last_reload_error"]  # ...and says so
        metrics = await (await served.get("/metrics")).text()
        assert "verifier_registry_last_reload_successful 0.0" in metrics
        assert await answers(served) == good  # verdicts unchanged, same version
    finally:
        if damaged.is_dir() and not damaged.is_symlink():
            damaged.rmdir()
        elif damaged.exists() or damaged.is_symlink():
            damaged.unlink()
        for path, data in original.items():
            path.write_bytes(data)
    # repaired: picked up again without a restart (same content, so the same version)
    state = await wait_for(served, lambda s: s["last_reload_error"] is None)
    assert state["version"] == version
    metrics = await (await served.get("/metrics")).text()
    assert "verifier_registry_last_reload_successful 1.0" in metrics
