"""Hot reload follows a Kubernetes ConfigMap update: the kubelet writes the new files into a fresh
`..<timestamp>` directory, then atomically renames a `..data_tmp` symlink over `..data`; the
visible names (`registry.yaml`, `lists`) are symlinks through `..data`. The running app's own
watcher must see the flip, serve a good update, and refuse a broken one."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from verifier.settings import Settings, bundled_registry_path
from verifier.web.app import create_app

SOURCE = bundled_registry_path()
LABEL = re.search(r"^version: .*\n", bundled_registry_path().read_text("utf-8"), re.M)[0]  # the edition label
_stamps = itertools.count(1)


class ConfigMapVolume:
    """A directory laid out the way the kubelet lays out a ConfigMap volume."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current: Path | None = None

    def publish(self, edit: Callable[[Path], None] | None = None) -> Path:
        """Write the bundled registry (then `edit` it) into a new timestamped directory and
        flip `..data` to it in one rename, like the kubelet's AtomicWriter."""
        stamp = self.root / f"..2026_01_01_00_00_00.{next(_stamps):09d}"
        stamp.mkdir()
        shutil.copy(SOURCE, stamp / "registry.yaml")
        shutil.copytree(SOURCE.parent / "lists", stamp / "lists")
        if edit is not None:
            edit(stamp)
        tmp = self.root / "..data_tmp"
        tmp.symlink_to(stamp.name)
        os.replace(tmp, self.root / "..data")  # rename(2): readers see old or new, never neither
        for name in ("registry.yaml", "lists"):
            link = self.root / name
            if not link.is_symlink():
                link.symlink_to(Path("..data") / name)
        old, self.current = self.current, stamp
        if old is not None:
            shutil.rmtree(old)  # the kubelet removes the previous directory after the flip
        return stamp

    @property
    def registry(self) -> Path:
        return self.root / "registry.yaml"


def relabel(label: str) -> Callable[[Path], None]:
    def edit(stamp: Path) -> None:
        path = stamp / "registry.yaml"
        path.write_text(path.read_text("utf-8").replace(LABEL, f"version: {label}\n", 1), "utf-8")
    return edit


def break_it(stamp: Path) -> None:
    """An invalid file: a known institution id used twice, which validation refuses."""
    path = stamp / "registry.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("- id: cmac\n", "- id: cietac\n", 1), "utf-8")


def add_list_line(stamp: Path) -> None:
    with (stamp / "lists" / "shorteners.txt").open("a", encoding="utf-8") as f:
        f.write("# a list-only update\n")


@pytest.fixture
def volume(tmp_path: Path) -> ConfigMapVolume:
    vol = ConfigMapVolume(tmp_path / "registry")
    vol.root.mkdir()
    vol.publish()
    return vol


@pytest.fixture
async def client(volume: ConfigMapVolume) -> AsyncIterator[TestClient]:
    settings = Settings(registry=volume.registry, network_checks="off", reload_interval_s=0.05,
                        rate_limit="1000000/second")
    async with TestClient(TestServer(create_app(settings))) as c:
        yield c


async def status(client: TestClient) -> dict[str, Any]:
    resp = await client.get("/v1/registry")
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def wait_for(client: TestClient, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    # The watcher polls every 50 ms and reloads once stable for a poll; the build runs in another
    # process at low priority, so a loaded machine needs far longer than an idle one (a deadline, not a timing test).
    deadline = asyncio.get_running_loop().time() + 30.0
    while True:
        body = await status(client)
        if check(body):
            return body
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.025)
    raise AssertionError(f"the watcher never got there; last /v1/registry: {body}")


async def test_symlink_flip_is_served_and_a_broken_one_refused(
    client: TestClient, volume: ConfigMapVolume,
) -> None:
    first = await status(client)
    assert first["last_reload_error"] is None

    volume.publish(relabel("configmap-2"))
    second = await wait_for(client, lambda b: b["version"] != first["version"])
    assert second["last_reload_error"] is None

    volume.publish(add_list_line)  # only a referenced list changed, through the `lists` link
    third = await wait_for(client, lambda b: b["version"] != second["version"])

    volume.publish(break_it)
    refused = await wait_for(client, lambda b: b["last_reload_error"] is not None)
    assert refused["version"] == third["version"], "the old registry keeps serving"
    assert "registry.yaml" in refused["last_reload_error"]
    metrics = await (await client.get("/metrics")).text()
    assert "verifier_registry_last_reload_successful 0.0" in metrics
    resp = await client.post("/v1/verify", json={"text": "【网络仲裁委员会】您的案件已立案"})
    assert resp.status == 200 and (await resp.json())["registry"]["version"] == third["version"]
    assert (await client.get("/readyz")).status == 200

    volume.publish(relabel("configmap-4"))  # the fix is picked up like any update
    fixed = await wait_for(client, lambda b: b["last_reload_error"] is None)
    assert fixed["version"] not in (first["version"], second["version"], third["version"])
