"""Hot reload: the holder swaps only to a valid registry, keeps the old one on any failure, never
loads a half-written file, and its watcher sees edits, list changes and ConfigMap symlink flips."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import weakref
from pathlib import Path

import pytest

from verifier.settings import bundled_registry_path
from verifier.registry import holder as holder_mod
from verifier.registry.holder import RegistryHolder, RegistryWatcher, install_sighup, watch

REGISTRY = Path(__file__).resolve().parent.parent / "registry" / "registry.yaml"
LABEL = re.search(r"^version: .*\n", bundled_registry_path().read_text("utf-8"), re.M)[0]  # the edition label


def copy_registry(into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(REGISTRY, into / "registry.yaml")
    shutil.copytree(REGISTRY.parent / "lists", into / "lists")
    return into / "registry.yaml"


def relabel(text: str, n: int) -> str:
    assert LABEL in text
    return text.replace(LABEL, f"version: test-{n}\n", 1)


def append_in_place(path: Path, text: str) -> None:
    """What a non-atomic writer does: the same file grows (same inode)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def replace_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    return copy_registry(tmp_path)


@pytest.fixture
async def loaded(reg: Path) -> RegistryHolder:
    h = RegistryHolder(reg)
    assert await h.reload(), h.last_error
    return h


async def test_first_load(loaded: RegistryHolder) -> None:
    assert loaded.current is not None
    assert loaded.loaded_at == loaded.current.loaded_at
    assert (loaded.reloads_ok, loaded.reloads_failed, loaded.last_error) == (1, 0, None)


async def test_good_file_gives_new_version(loaded: RegistryHolder, reg: Path) -> None:
    old = loaded.current
    replace_atomically(reg, relabel(reg.read_text("utf-8"), 1))
    assert await loaded.reload()
    assert loaded.current is not old and loaded.current is not None and old is not None
    assert loaded.current.version != old.version
    assert loaded.current.label == "test-1"
    assert loaded.reloads_ok == 2


async def test_broken_file_keeps_old_version_and_names_file_and_line(loaded: RegistryHolder, reg: Path) -> None:
    old = loaded.current
    text = reg.read_text("utf-8")
    line = text[: text.index("- id: cmac\n")].count("\n") + 1
    replace_atomically(reg, text.replace("- id: cmac\n", "- id: cietac\n", 1))
    assert not await loaded.reload()
    assert loaded.current is old
    assert loaded.last_error is not None and f"{reg}:{line}:" in loaded.last_error
    assert "duplicate institution id" in loaded.last_error
    assert loaded.last_error_at is not None and loaded.reloads_failed == 1
    # Fixing the file recovers and clears the error.
    replace_atomically(reg, relabel(text, 2))
    assert await loaded.reload()
    assert loaded.last_error is None and loaded.last_error_at is None
    assert loaded.current is not old


async def test_truncated_file_is_not_loaded(loaded: RegistryHolder, reg: Path) -> None:
    old = loaded.current
    text = reg.read_text("utf-8")
    for cut in (len(text) // 2, len(text) // 3 + 7, 100):
        reg.write_text(text[:cut], "utf-8")
        assert not await loaded.reload(), f"a file cut at {cut} characters was loaded"
        assert loaded.current is old


def test_a_file_cut_at_any_line_before_its_last_section_is_refused(reg: Path) -> None:
    """A copy that stopped (full disk) must not load with its later sections empty: cut at
    len // 3 the bundled file once loaded with no fake bodies, cities or patterns."""
    from verifier.registry.load import RegistryError, read_registry

    text = reg.read_text("utf-8")
    lines = text[: text.rindex("\nreporting_channels:")].splitlines(keepends=True)
    for n in range(10, len(lines), max(1, len(lines) // 12)):
        reg.write_text("".join(lines[:n]), "utf-8")
        with pytest.raises(RegistryError):
            read_registry(reg)


@pytest.mark.parametrize("how", ["directory", "deleted", "dangling_symlink", "not_utf8", "empty",
                                 "fifo", "device"])
async def test_unusable_file_keeps_old_version(loaded: RegistryHolder, reg: Path, how: str) -> None:
    old = loaded.current
    reg.unlink()
    if how == "directory":
        reg.mkdir()
    elif how == "dangling_symlink":
        reg.symlink_to(reg.parent / "nowhere.yaml")
    elif how == "not_utf8":
        reg.write_bytes(b"schema_version: 1\nversion: \xff\xfe\n")
    elif how == "empty":
        reg.write_bytes(b"")
    elif how == "fifo":  # opening it would block the reload thread (and its lock) forever
        os.mkfifo(reg)
    elif how == "device":  # reading it would never end
        reg.symlink_to("/dev/zero")
    assert not await asyncio.wait_for(loaded.reload(), 20)
    assert loaded.current is old
    assert loaded.last_error is not None and loaded.last_error.startswith(f"{reg}:")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
async def test_unreadable_file_keeps_old_version(loaded: RegistryHolder, reg: Path) -> None:
    old = loaded.current
    reg.chmod(0)
    try:
        assert not await loaded.reload()
        assert loaded.current is old and "cannot read" in (loaded.last_error or "")
    finally:
        reg.chmod(0o644)


def _builders() -> list[int]:
    """Our child processes that are building a registry (builder.py)."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in children:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"verifier.registry.builder" in cmd:
                pids.append(int(pid))
    return pids


async def _when_a_builder_runs(reload: asyncio.Task[bool]) -> list[int]:
    async with asyncio.timeout(60):
        while not reload.done():
            if pids := _builders():
                return pids
            await asyncio.sleep(0.002)
    return []


needs_proc = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


@needs_proc
async def test_registry_is_built_in_another_process(loaded: RegistryHolder) -> None:
    reload = asyncio.create_task(loaded.reload())
    pids = await _when_a_builder_runs(reload)
    assert await reload, loaded.last_error
    assert pids and os.getpid() not in pids


@needs_proc
async def test_first_load_of_a_small_registry_is_in_process_of_a_large_one_not(
        reg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from verifier.registry import builder

    h = RegistryHolder(reg)
    first = asyncio.create_task(h.reload())
    assert not await _when_a_builder_runs(first) and await first
    # The same file counted as large (a threshold below its size): a builder process does it.
    monkeypatch.setattr(builder, "IN_PROCESS_FIRST_LOAD_BYTES", 1)
    h = RegistryHolder(reg)
    first = asyncio.create_task(h.reload())
    assert await _when_a_builder_runs(first) and await first, h.last_error


@needs_proc
async def test_file_changed_while_reading_is_rejected(loaded: RegistryHolder, reg: Path) -> None:
    """The files are stat'ed before the builder starts and after it is done: a writer that goes
    on meanwhile (here: once the builder process exists) makes the result unusable."""
    old = loaded.current
    reload = asyncio.create_task(loaded.reload())
    assert await _when_a_builder_runs(reload), "the reload finished before a builder was seen"
    append_in_place(reg, "# the writer was not finished\n")
    assert not await reload
    assert loaded.current is old and "changed while it was being read" in (loaded.last_error or "")


def test_changed_sources_compares_the_files_seen_before_and_after(reg: Path) -> None:
    lists = reg.parent / "lists" / "shorteners.txt"
    sources = (reg, lists)
    before = dict(zip(sources, holder_mod._identity(sources)))
    assert not holder_mod.changed_sources(before, sources, holder_mod._identity(sources))
    append_in_place(lists, "zzz-short.cn\n")
    assert holder_mod.changed_sources(before, sources, holder_mod._identity(sources))
    # A list file the old registry did not name has no "before": it cannot have changed.
    assert not holder_mod.changed_sources({reg: before[reg]}, sources, holder_mod._identity(sources))


async def test_a_build_that_takes_too_long_is_stopped_and_the_old_one_serves(reg: Path) -> None:
    from verifier.registry.builder import BuildFailed, build_in_subprocess

    with pytest.raises(BuildFailed, match="longer than"):
        await build_in_subprocess(reg, timeout=0.001)
    if Path("/proc/self/task").exists():
        assert not _builders()  # killed and reaped


async def test_a_cancelled_reload_stops_its_builder(loaded: RegistryHolder, reg: Path) -> None:
    """Shutdown cancels a reload in progress: the child is killed, nothing hangs."""
    old = loaded.current
    replace_atomically(reg, relabel(reg.read_text("utf-8"), 9))
    reload = asyncio.create_task(loaded.reload())
    await asyncio.sleep(0.05)
    reload.cancel()
    await asyncio.wait_for(asyncio.gather(reload, return_exceptions=True), 30)
    assert loaded.current is old
    if Path("/proc/self/task").exists():
        assert not _builders()
    assert await loaded.reload() and loaded.current is not None and loaded.current.label == "test-9"


async def test_watcher_waits_for_a_half_written_file(loaded: RegistryHolder, reg: Path) -> None:
    """A writer that appends between polls is not loaded until two polls see the same file,
    even when its prefix would validate on its own (cut before the last reporting channel)."""
    watcher = RegistryWatcher(loaded, interval=3600)
    assert not await watcher.poll_once()  # nothing changed
    full = relabel(reg.read_text("utf-8"), 3)
    prefix = full[: full.index("- id: ch12368\n")]
    reg.write_text(prefix, "utf-8")
    assert not await watcher.poll_once()  # changed: wait for it to settle
    append_in_place(reg, full[len(prefix):])
    assert not await watcher.poll_once()  # changed again: still waiting
    assert loaded.reloads_ok == 1
    assert await watcher.poll_once()  # stable across two polls: load it
    assert loaded.current is not None and loaded.current.label == "test-3"
    channels = full[full.index("\nreporting_channels:\n"):]
    assert len(loaded.current.reporting_channels) == channels.count("\n- id: ")
    assert loaded.reloads_ok == 2
    assert not await watcher.poll_once()  # loaded: nothing more to do


async def test_watcher_sees_a_list_file_change(loaded: RegistryHolder, reg: Path) -> None:
    old = loaded.current
    watcher = RegistryWatcher(loaded, interval=3600)
    shorteners = reg.parent / "lists" / "shorteners.txt"
    replace_atomically(shorteners, shorteners.read_text("utf-8") + "zzz-short.cn\n")
    assert not await watcher.poll_once()
    assert await watcher.poll_once()
    assert loaded.current is not old and loaded.current is not None and old is not None
    assert "zzz-short.cn" in loaded.current.shorteners and loaded.current.version != old.version


async def test_watcher_does_not_retry_a_broken_file_until_it_changes(loaded: RegistryHolder, reg: Path) -> None:
    watcher = RegistryWatcher(loaded, interval=3600)
    text = reg.read_text("utf-8")
    replace_atomically(reg, text.replace("- id: cmac\n", "- id: cietac\n", 1))
    assert not await watcher.poll_once()
    assert await watcher.poll_once() and loaded.reloads_failed == 1
    assert not await watcher.poll_once() and loaded.reloads_failed == 1


def _configmap_version(root: Path, name: str, n: int) -> None:
    """A ConfigMap volume: <root>/..<name>/ holds the files, ..data points at the current one."""
    reg = copy_registry(root / name)
    reg.write_text(relabel(reg.read_text("utf-8"), n), "utf-8")
    tmp = root / "..data_tmp"
    tmp.symlink_to(name)
    os.replace(tmp, root / "..data")  # the atomic flip kubelet does


async def test_watcher_follows_a_configmap_symlink_flip(tmp_path: Path) -> None:
    root = tmp_path / "cm"
    root.mkdir()
    _configmap_version(root, "..2026_11_24_01", 1)
    (root / "registry.yaml").symlink_to("..data/registry.yaml")
    (root / "lists").symlink_to("..data/lists")
    h = RegistryHolder(root / "registry.yaml")
    assert await h.reload() and h.current is not None and h.current.label == "test-1"
    task = asyncio.create_task(watch(h, 0.01, sighup=False))
    try:
        _configmap_version(root, "..2026_11_24_02", 2)
        async with asyncio.timeout(30):  # a generous bound; it normally takes a few polls
            while h.current.label != "test-2":
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert h.reloads_ok == 2 and h.reloads_failed == 0


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
async def test_sighup_reloads(loaded: RegistryHolder, reg: Path) -> None:
    uninstall = install_sighup(loaded.reload)
    if uninstall is None:
        pytest.skip("signal handlers need the main thread")
    try:
        replace_atomically(reg, relabel(reg.read_text("utf-8"), 4))
        os.kill(os.getpid(), signal.SIGHUP)
        async with asyncio.timeout(30):
            while loaded.current is None or loaded.current.label != "test-4":
                await asyncio.sleep(0.01)
    finally:
        uninstall()
    assert loaded.reloads_ok == 2


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
async def test_sighups_during_a_reload_are_one_more_reload_of_the_newest_file(
        loaded: RegistryHolder, reg: Path) -> None:
    # Every SIGHUP queued a build of its own; now those arriving while one runs are one more
    # build after it, which must read the file as it is by then (a change is never dropped).
    started, calls = asyncio.Event(), 0

    async def reload() -> bool:  # what the app passes: the holder's reload, plus a count
        nonlocal calls
        calls += 1
        started.set()
        return await loaded.reload()

    uninstall = install_sighup(reload)
    if uninstall is None:
        pytest.skip("signal handlers need the main thread")
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.wait_for(started.wait(), 10)
        replace_atomically(reg, relabel(reg.read_text("utf-8"), 9))
        for _ in range(20):
            os.kill(os.getpid(), signal.SIGHUP)
            await asyncio.sleep(0.002)
        async with asyncio.timeout(60):
            while loaded.reloads_ok + loaded.reloads_failed < 3:
                await asyncio.sleep(0.01)
        await asyncio.sleep(1.5)  # a build's time: none more may start
    finally:
        uninstall()
    assert calls == 2 and loaded.reloads_ok + loaded.reloads_failed == 3
    assert loaded.current is not None and loaded.current.label == "test-9"


async def test_concurrent_reloads_are_serialised(loaded: RegistryHolder, reg: Path) -> None:
    replace_atomically(reg, relabel(reg.read_text("utf-8"), 5))
    results = await asyncio.gather(*(loaded.reload() for _ in range(3)))
    assert results == [True, True, True] and loaded.reloads_ok == 4
    assert loaded.current is not None and loaded.current.label == "test-5"


async def test_a_replaced_snapshot_is_freed_once_unused_and_never_while_used(
        loaded: RegistryHolder, reg: Path) -> None:
    from verifier.registry import retire

    kept = loaded.current
    assert kept is not None
    before = (len(kept.institutions), len(kept.names), len(kept.lookalikes.by_deletion))
    replace_atomically(reg, relabel(reg.read_text("utf-8"), 7))
    assert await loaded.reload()
    await asyncio.sleep(retire.POLL_S * 3)  # several polls: still held here, so left whole
    assert (len(kept.institutions), len(kept.names), len(kept.lookalikes.by_deletion)) == before
    gone = weakref.ref(kept)
    del kept
    async with asyncio.timeout(30):
        while gone() is not None:
            await asyncio.sleep(0.02)


async def test_release_empties_an_unused_snapshot_and_spares_a_used_one(reg: Path) -> None:
    from verifier.registry.compiled import load_registry
    from verifier.registry.retire import release

    used = load_registry(reg)
    assert not await release(used, max_wait_s=0.3)
    assert used.institutions and used.names
    one = next(iter(used.institutions.values()))
    names = used.names  # a view someone holds is never emptied
    del used
    # Only the task refers to the snapshot now.
    assert await release(load_registry(reg))
    snapshot = load_registry(reg)
    held_view = snapshot.names
    task = asyncio.create_task(release(snapshot))
    del snapshot
    assert await task
    assert held_view and names and one.name  # still whole: referred to from here
