"""Hot reload against the running app on loopback: the version served changes only to a valid
registry, errors show in GET /v1/registry, and 20 reloads while requests stream in fail none.

Needs the web app (branch `web`); skipped until `verifier.web.app` is importable."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

web_app = pytest.importorskip("verifier.web.app")
keys = pytest.importorskip("verifier.web.keys")

from aiohttp.test_utils import TestClient, TestServer

from verifier.settings import Settings, bundled_registry_path

REGISTRY = Path(__file__).resolve().parent.parent / "registry" / "registry.yaml"
LABEL = re.search(r"^version: .*\n", bundled_registry_path().read_text("utf-8"), re.M)[0]  # the edition label
SCAM = "【网络仲裁委员会】您的案件已立案，请于24小时内联系13812345678处理，否则冻结名下所有银行卡。"
JSON = {"Content-Type": "application/json"}


def replace_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    shutil.copy(REGISTRY, tmp_path / "registry.yaml")
    shutil.copytree(REGISTRY.parent / "lists", tmp_path / "lists")
    return tmp_path / "registry.yaml"


@pytest.fixture
async def client(reg: Path):  # type: ignore[no-untyped-def]
    # The app's own watcher is slowed right down: these tests trigger reloads themselves.
    settings = Settings(registry=reg, network_checks="off", rate_limit="1000000/second",
                        reload_interval_s=3600)
    async with TestClient(TestServer(web_app.create_app(settings))) as c:
        yield c


def holder_of(client: TestClient) -> Any:
    return client.server.app[keys.REGISTRY_HOLDER]


async def served_version(client: TestClient) -> dict[str, Any]:
    resp = await client.get("/v1/registry")
    assert resp.status == 200
    return await resp.json()


async def verify(client: TestClient) -> tuple[int, dict[str, Any]]:
    resp = await client.post("/v1/verify", data=json.dumps({"text": SCAM}, ensure_ascii=False),
                             headers=JSON)
    return resp.status, await resp.json()


async def test_good_file_new_version_served(client: TestClient, reg: Path) -> None:
    before = await served_version(client)
    replace_atomically(reg, reg.read_text("utf-8").replace(LABEL, "version: http-1\n", 1))
    assert await holder_of(client).reload()
    after = await served_version(client)
    assert after["version"] != before["version"] and after["last_reload_error"] is None
    status, body = await verify(client)
    assert status == 200 and body["registry"]["version"] == after["version"]


async def test_broken_file_old_version_served_and_error_reported(client: TestClient, reg: Path) -> None:
    before = await served_version(client)
    text = reg.read_text("utf-8")
    line = text[: text.index("- id: cmac\n")].count("\n") + 1
    replace_atomically(reg, text.replace("- id: cmac\n", "- id: cietac\n", 1))
    assert not await holder_of(client).reload()
    after = await served_version(client)
    assert after["version"] == before["version"]
    assert f"{reg}:{line}:" in after["last_reload_error"]
    status, body = await verify(client)
    assert status == 200 and body["registry"]["version"] == before["version"]
    metrics = await (await client.get("/metrics")).text()
    assert "verifier_registry_last_reload_successful 0.0" in metrics


async def test_a_refused_reload_is_logged_as_a_warning(client: TestClient, reg: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    # It was an info line like every good reload: a bad file pushed to production went unseen.
    app = client.server.app
    with caplog.at_level(logging.INFO, logger="verifier"):
        replace_atomically(reg, reg.read_text("utf-8").replace("- id: cmac\n", "- id: cietac\n", 1))
        assert not await web_app.reload_registry(app)
        replace_atomically(reg, REGISTRY.read_text("utf-8"))
        assert await web_app.reload_registry(app)
    levels = [(r.fields["ok"], r.levelno) for r in caplog.records if r.getMessage() == "registry_reload"]
    assert levels == [(False, logging.WARNING), (True, logging.INFO)]


async def test_pattern_only_a_timed_run_catches_is_refused_and_named(client: TestClient, reg: Path) -> None:
    # It passes the static look; before, it loaded and every long notice paid the pattern timeout.
    before = await served_version(client)
    text = reg.read_text("utf-8")
    old = "  regex: (?:today|tonight)\\sbefore\\s\\d{1,2}\n"
    line = text[: text.index(old)].count("\n") + 1
    replace_atomically(reg, text.replace(old, "  regex: '(?:a?){30}a{30}$'\n", 1))
    assert not await holder_of(client).reload()
    after = await served_version(client)
    assert after["version"] == before["version"]
    error = after["last_reload_error"]
    assert f"{reg}:{line}:" in error and "the CONTENT_DEADLINE_HOURS pattern: " in error
    assert "ran longer than" in error
    status, body = await verify(client)
    assert status == 200 and body["registry"]["version"] == before["version"]


async def test_half_written_file_never_served(client: TestClient, reg: Path) -> None:
    before = await served_version(client)
    text = reg.read_text("utf-8")
    reg.write_text(text[: len(text) // 2], "utf-8")  # a writer caught mid-way
    assert not await holder_of(client).reload()
    assert (await served_version(client))["version"] == before["version"]
    status, body = await verify(client)
    assert status == 200 and body["registry"]["version"] == before["version"]


async def test_twenty_reloads_while_requests_stream(client: TestClient, reg: Path) -> None:
    original = reg.read_text("utf-8")
    holder = holder_of(client)
    versions = {holder.current.version}
    statuses: list[int] = []
    seen: set[str] = set()
    stop = asyncio.Event()

    async def stream() -> None:
        while not stop.is_set():
            status, body = await verify(client)
            statuses.append(status)
            seen.add(body.get("registry", {}).get("version", "?"))

    streams = [asyncio.create_task(stream()) for _ in range(4)]
    try:
        for n in range(20):
            if n % 5 == 4:  # every fifth edit is broken: the last good one must keep serving
                replace_atomically(reg, original.replace("- id: cmac\n", "- id: cietac\n", 1))
                assert not await holder.reload()
            else:
                replace_atomically(reg, original.replace(LABEL, f"version: stream-{n}\n", 1))
                assert await holder.reload(), holder.last_error
            versions.add(holder.current.version)
            await asyncio.sleep(0)  # let requests run between reloads
    finally:
        stop.set()
        await asyncio.gather(*streams)
    assert statuses and set(statuses) == {200}
    assert seen <= versions
    assert holder.reloads_ok >= 17 and holder.reloads_failed == 4
