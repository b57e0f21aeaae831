"""Hot reload: the holder of the current registry snapshot, its file watcher and SIGHUP handler.

Handlers read `holder.current` once per request and use that snapshot to the end, so a reload
never changes the rules under a request. `reload()` has the new file read, validated and compiled
in a separate low-priority process (builder.py), adopts the result beside the old snapshot in
small steps, and swaps one reference only if every step succeeded; on any failure the old
snapshot keeps serving and `last_error` says `file:line:col: message`. The first load at start-up
takes the same path (at normal priority: there is no traffic yet), so the server never holds the
garbage of a large registry's parse (hundreds of MB); only a small registry (the shipped one) is
loaded in process the first time, which starts the service ~1.5 s sooner.

A file still being written must not be served. Three defences, weakest to strongest:
* a truncated YAML file almost always fails to parse or validate, so it is rejected like any error;
* the watcher reloads only after the files' identity (resolved path, inode, size, mtime, for
  registry.yaml and every list it names) has been the same on two consecutive polls;
* `reload()` stats the files before and after reading and rejects the result if they changed.
Writers should still replace the file atomically (write a temporary file, then rename it over the
old one), which is what `kubectl`'s ConfigMap volumes do with their `..data` symlink flip; the
watcher resolves symlinks, so such a flip is seen as a change.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from verifier.registry.builder import BuildFailed, build_here, build_in_subprocess, small_registry
from verifier.registry.compiled import Registry, load_registry
from verifier.registry.load import Problem, RegistryError
from verifier.registry.retire import release

__all__ = ["Coalescer", "RegistryHolder", "RegistryWatcher", "install_sighup", "load_registry",
           "watch"]

log = logging.getLogger("verifier.registry")

FileId = tuple[Any, ...]
Reloader = Callable[[], Coroutine[Any, Any, Any]]
Identity = tuple[FileId, ...]
MAX_ERROR_LINES = 20


def file_identity(path: Path) -> FileId:
    """What changes when a file is rewritten or replaced, following symlinks (ConfigMap ..data)."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError as exc:
        return (str(path), "unreadable", exc.errno)
    return (real, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _identity(paths: tuple[Path, ...]) -> Identity:
    return tuple(file_identity(p) for p in paths)


def changed_sources(before: dict[Path, FileId], sources: tuple[Path, ...],
                    after: Identity) -> bool:
    """Whether a file seen before the build (same path) is different after it."""
    return any(p in before and before[p] != now for p, now in zip(sources, after))


class RegistryHolder:
    """One reference to the current registry; `reload()` replaces it only with a valid one."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.current: Registry | None = None
        self.last_error: str | None = None  # None once a reload succeeds
        self.last_error_at: float | None = None
        self.loaded_at: float | None = None
        self.reloads_ok = 0
        self.reloads_failed = 0
        self.identity: Identity | None = None  # of the files behind the last attempt
        self._sources: tuple[Path, ...] = (self.path,)  # registry.yaml and the lists it names
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[bool]] = set()

    async def aclose(self) -> None:
        """Stop freeing replaced snapshots step by step (shutdown); they are freed at once."""
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)

    def stat_identity(self) -> Identity:
        return _identity(self._sources)

    async def reload(self) -> bool:
        """Build a new snapshot beside the old one; swap on success, keep the old one on failure."""
        async with self._lock:  # SIGHUP and the watcher may fire together; build one at a time
            before = await asyncio.to_thread(self.stat_identity)
            try:
                if self.current is None and await asyncio.to_thread(small_registry, self.path):
                    adopted = await asyncio.to_thread(build_here, self.path)  # no traffic yet
                else:
                    adopted = await build_in_subprocess(self.path,
                                                        low_priority=self.current is not None)
                sources = (self.path,) + tuple(self.path.parent / rel for rel in adopted.lists)
                after = await asyncio.to_thread(_identity, sources)
                if changed_sources(dict(zip(self._sources, before)), sources, after):
                    raise RegistryError([Problem(
                        str(self.path), 1, 1,
                        "changed while it was being read; it is loaded once it stops changing "
                        "(write a temporary file and rename it into place)")])
            except RegistryError as exc:
                self._failed(exc.problems, before)
                return False
            except Exception as exc:  # any failure keeps the old snapshot serving
                if isinstance(exc, BuildFailed):
                    log.error("registry reload failed: %s", exc)
                else:
                    log.exception("registry reload failed unexpectedly")
                self._failed([Problem(str(self.path), 1, 1, f"cannot load: {exc}")], before)
                return False
            old, self.current = self.current, adopted.registry  # the swap: one reference
            if old is not None:  # freed in small steps once no request holds it
                task = asyncio.create_task(release(old))
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)
                del old
            self._sources, self.identity = sources, after
            self.loaded_at = adopted.registry.loaded_at
            self.last_error = self.last_error_at = None
            self.reloads_ok += 1
            return True

    def _failed(self, problems: list[Problem], identity: Identity) -> None:
        lines = [str(p) for p in problems[:MAX_ERROR_LINES]]
        if len(problems) > MAX_ERROR_LINES:
            lines.append(f"… and {len(problems) - MAX_ERROR_LINES} more (run `verifier registry check`)")
        self.last_error = "\n".join(lines) or f"{self.path}:1:1: invalid registry"
        self.last_error_at = time.time()
        self.reloads_failed += 1
        # Remember what was tried, so the watcher retries only when the files change again.
        self.identity = identity


class RegistryWatcher:
    """Polls the registry's files; reloads a change once it has been stable for one interval."""

    def __init__(self, holder: RegistryHolder, interval: float,
                 reload: Reloader | None = None):
        self.holder, self.interval = holder, interval
        self._reload = reload or holder.reload
        self._pending: Identity | None = None

    async def poll_once(self) -> bool:
        """One poll; True if it started a reload (whatever the reload's outcome)."""
        now = await asyncio.to_thread(self.holder.stat_identity)
        if now == self.holder.identity:
            self._pending = None
            return False
        if now != self._pending:  # changed since the last poll: the writer may not be done
            self._pending = now
            return False
        self._pending = None
        await self._reload()
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a watcher that dies silently would stop all future reloads
                log.exception("registry watcher poll failed; retrying")


class Coalescer:
    """Runs `reload` for a burst of requests (SIGHUPs) at most twice: the one in flight and one
    more after it, which reads whatever the files are by then. A reload takes a second or more
    (a builder process); without this every signal of a burst queued its own build."""

    def __init__(self, reload: Reloader) -> None:
        self._reload = reload
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True  # however many arrive meanwhile: one more reload after this one
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self._reload()
            except asyncio.CancelledError:
                raise
            except Exception:  # the holder keeps the old registry; the next signal tries again
                log.exception("registry reload on SIGHUP failed")
            if not self._again:
                return

    def cancel(self) -> None:
        """Stop a reload in flight (shutdown): the old registry keeps serving until the end."""
        if self._task is not None:
            self._task.cancel()


def install_sighup(reload: Reloader) -> Callable[[], None] | None:
    """Reload on SIGHUP (a burst coalesced: see Coalescer); returns an uninstaller, or None
    where signals are unavailable."""
    if not hasattr(signal, "SIGHUP"):
        return None
    loop = asyncio.get_running_loop()
    coalescer = Coalescer(reload)
    try:
        previous = signal.getsignal(signal.SIGHUP)
        loop.add_signal_handler(signal.SIGHUP, coalescer.request)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        return None

    def uninstall() -> None:
        loop.remove_signal_handler(signal.SIGHUP)  # which leaves the default: end the process
        if previous is not None:  # `serve` ignores SIGHUP outside the watcher's lifetime
            signal.signal(signal.SIGHUP, previous)
        coalescer.cancel()

    return uninstall


async def watch(holder: RegistryHolder, interval: float, *,
                reload: Reloader | None = None, sighup: bool = True) -> None:
    """Run until cancelled: poll every `interval` seconds and reload on SIGHUP.

    `reload` defaults to `holder.reload`; the web app passes its own to log and count reloads.
    """
    do_reload = reload or holder.reload
    uninstall = install_sighup(do_reload) if sighup else None
    try:
        await RegistryWatcher(holder, interval, do_reload).run()
    finally:
        if uninstall is not None:
            uninstall()
