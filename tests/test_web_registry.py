"""The registry in the running service: fatal when invalid at start, hot reload when it changes."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from web_support import make_settings

from verifier.settings import bundled_registry_path
from verifier.web.app import StartupError, create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    src = bundled_registry_path().parent
    shutil.copytree(src, tmp_path / "registry")
    return tmp_path / "registry" / "registry.yaml"


def break_file(path: Path) -> None:
    text = path.read_text("utf-8")
    path.write_text(text.replace("  likely_scam: 70\n", "  likely_scam: [seventy\n", 1), "utf-8")


async def test_invalid_registry_at_start_is_fatal_naming_file_and_line(registry_copy):
    break_file(registry_copy)
    runner = web.AppRunner(create_app(make_settings(registry=registry_copy)))
    with pytest.raises(StartupError) as info:
        await runner.setup()
    await runner.cleanup()
    assert re.search(rf"{re.escape(str(registry_copy))}:\d+:\d+:", str(info.value))
    assert "verifier registry check" in str(info.value)


def test_serve_exits_with_file_and_line(registry_copy):
    break_file(registry_copy)
    env = os.environ | {"VERIFIER_REGISTRY": str(registry_copy), "VERIFIER_PORT": "0",
                        "VERIFIER_NETWORK_CHECKS": "off", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "verifier", "serve"], env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 1
    assert re.search(rf"{re.escape(str(registry_copy))}:\d+:\d+:", proc.stderr)
    assert "Traceback" not in proc.stderr


def test_the_server_module_starts_as_verifier_serve_does(registry_copy):
    # `python -m verifier.web.server` was a second start-up path that built its settings itself:
    # a misspelt setting served on the default, a bad value was a traceback, and a broken
    # registry was found only after the port was bound (exit 3, not 1). Each is now answered as
    # `verifier serve` answers it, before listening.
    base = os.environ | {"VERIFIER_PORT": "0", "PYTHONPATH": str(ROOT)}
    broken = base | {"VERIFIER_REGISTRY": str(registry_copy)}
    break_file(registry_copy)
    cases = [(base | {"VERIFIER_RATE_LIMT": "5/minute"}, [], "unknown setting VERIFIER_RATE_LIMT"),
             (base | {"VERIFIER_PORT": "abc"}, [], "bad setting VERIFIER_PORT"),
             (base, ["--workers", "0"], "bad setting VERIFIER_WORKERS"),
             (broken, [], "the registry is invalid")]
    for env, args, words in cases:
        server, cli = (subprocess.run([sys.executable, "-m", *command, *args], env=env,
                                      capture_output=True, text=True, check=False, timeout=60)
                       for command in (["verifier.web.server"], ["verifier", "serve"]))
        assert server.returncode == cli.returncode != 0, (words, server.stderr[-2000:])
        assert server.stderr == cli.stderr and words in server.stderr, (words, server.stderr[-2000:])


async def wait_for(client, predicate, timeout: float = 20.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = await (await client.get("/v1/registry")).json()
        if predicate(body):
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_hot_reload_good_then_broken_then_fixed(aiohttp_client, registry_copy):
    client = await aiohttp_client(create_app(make_settings(registry=registry_copy,
                                                           reload_interval_s=0.05)))
    first = await wait_for(client, lambda b: True)
    good = registry_copy.read_text("utf-8")

    tmp = registry_copy.with_suffix(".new")  # writers replace the file atomically
    tmp.write_text(good.replace("\nversion: ", "\nversion: reloaded-", 1), "utf-8")
    os.replace(tmp, registry_copy)
    second = await wait_for(client, lambda b: b["version"] != first["version"])
    assert second["last_reload_error"] is None
    answer = await (await client.post("/v1/verify", json={"text": "明天开会"})).json()
    assert answer["registry"]["version"] == second["version"]

    break_file(registry_copy)
    broken = await wait_for(client, lambda b: b["last_reload_error"] is not None)
    assert broken["version"] == second["version"]  # the last good one keeps serving
    assert re.search(r"registry\.yaml:\d+:\d+:", broken["last_reload_error"])
    metrics = await (await client.get("/metrics")).text()
    assert "verifier_registry_last_reload_successful 0.0" in metrics
    assert f'verifier_registry_info{{version="{second["version"]}"}} 1.0' in metrics
    assert (await client.post("/v1/verify", json={"text": "x"})).status == 200
    assert (await client.get("/readyz")).status == 200

    registry_copy.write_text(good, "utf-8")
    fixed = await wait_for(client, lambda b: b["last_reload_error"] is None)
    assert fixed["version"] == first["version"]
    metrics = await (await client.get("/metrics")).text()
    assert "verifier_registry_last_reload_successful 1.0" in metrics
    assert f'version="{second["version"]}"' not in metrics
