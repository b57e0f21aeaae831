"""Build a registry in a separate, low-priority process and adopt the result in the server.

Reading, validating and compiling a large registry takes seconds of CPU in long C calls (libyaml,
pydantic) that hold the GIL; in the serving process they stalled its event loop for seconds
(p99 latency 27× the steady one during reloads). Here `python -m verifier.registry.builder PATH`
does all of it at low priority (nice 10), so the server's requests keep their CPU, and streams the compiled
registry back (handover.py), which the server rebuilds in small steps. The serving process never
holds the parse's garbage either, so its resident memory is the registry's, not the peak's.

The child's stdout carries one header frame, {"ok": True, "lists": [...]} followed by the
registry's frames, or {"ok": False, "problems": [...]} for a file that must not be served.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import verifier
from verifier.registry.compiled import Registry
from verifier.registry.handover import HEADER, decode, encode, frame
from verifier.registry.load import Problem, RegistryError

BUILD_TIMEOUT_S = 600.0  # a build at low priority on a busy machine is slow; a stuck one is killed
# Reloads build at this niceness: the server's requests come first, yet the build still gets
# about a tenth of a CPU the server and the load keep busy (at 19 it got ~1%: minutes a reload).
RELOAD_NICE = 10
# A first load (nothing served yet) of a registry this small is done in process (see build_here).
IN_PROCESS_FIRST_LOAD_BYTES = 4 << 20
_STDERR_TAIL = 2000


@dataclasses.dataclass
class Adopted:
    registry: Registry
    lists: tuple[str, ...]  # the list files the registry names, relative to its directory


class BuildFailed(Exception):
    """The builder process died or spoke nonsense (not a problem with the file itself)."""


async def build_in_subprocess(path: Path, *, low_priority: bool = True,
                              timeout: float = BUILD_TIMEOUT_S) -> Adopted:
    """Build `path` in a child process; raise RegistryError for a bad file, BuildFailed else.
    `low_priority`: at RELOAD_NICE, for reloads beside live traffic (the first load has none to
    protect and would only start later on a busy machine)."""
    env = dict(os.environ)
    package_root = str(Path(verifier.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "verifier.registry.builder", *(["--nice"] if low_priority else []),
        str(path),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stderr_task = asyncio.create_task(proc.stderr.read())
    stdout = proc.stdout

    async def read() -> bytes:
        size = int.from_bytes(await stdout.readexactly(HEADER), "little")
        return await stdout.readexactly(size)

    try:
        async with asyncio.timeout(timeout):
            try:
                head: dict[str, Any] = pickle.loads(await read())
                if not head.get("ok"):
                    raise RegistryError([Problem(*p) for p in head["problems"]])
                was = gc.isenabled()
                gc.disable()  # no full collections over the heap while ~100,000 objects arrive
                try:
                    registry = await decode(read)
                    # A snapshot lives until the next reload: keep the collector's passes off it
                    # (each full pass over a large registry's objects costs ~100 ms).
                    gc.freeze()
                finally:
                    if was:
                        gc.enable()
            except (asyncio.IncompleteReadError, pickle.UnpicklingError, EOFError, KeyError,
                    TypeError, ValueError) as exc:
                code = await proc.wait()
                tail = (await stderr_task)[-_STDERR_TAIL:].decode("utf-8", "replace").strip()
                raise BuildFailed(f"the registry build process failed (exit {code})"
                                  + (f": {tail.splitlines()[-1]}" if tail else "")) from exc
            await proc.wait()
        # loaded_at: when this process has it, as with a load in process.
        return Adopted(dataclasses.replace(registry, loaded_at=time.time()), tuple(head["lists"]))
    except TimeoutError:
        raise BuildFailed(f"the registry build took longer than {timeout:g} s") from None
    finally:
        if proc.returncode is None:  # cancelled (shutdown) or timed out: stop the child
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            # wait() returns only once every pipe is closed, and a paused, unread stdout never is
            await stdout.read()
            await proc.wait()
        stderr_task.cancel()
        await asyncio.gather(stderr_task, return_exceptions=True)


def build_here(path: Path) -> Adopted:
    """Read, validate and compile in this process (raises RegistryError): for a first load with
    no traffic yet, where a small registry is ready in ~0.2 s instead of a process start's ~1.5."""
    from verifier.registry.compiled import read_and_compile

    raw, registry = read_and_compile(path)
    gc.freeze()
    lists = tuple(rel for rel in raw.model.lists.model_dump().values() if rel)
    return Adopted(registry, lists)


def small_registry(path: Path) -> bool:
    """Whether registry.yaml and the list files beside it (lists/) are under
    IN_PROCESS_FIRST_LOAD_BYTES."""
    limit = IN_PROCESS_FIRST_LOAD_BYTES
    try:
        total = path.stat().st_size
        lists = path.parent / "lists"
        if lists.is_dir():
            total += sum(f.stat().st_size for f in lists.iterdir() if f.is_file())
    except OSError:
        return False
    return total < limit


def _child(path: Path, out: Any) -> int:
    from verifier.registry.compiled import read_and_compile

    try:
        raw, registry = read_and_compile(path)
    except RegistryError as exc:
        problems = [(p.path, p.line, p.col, p.message) for p in exc.problems]
        out.write(frame(pickle.dumps({"ok": False, "problems": problems})))
        return 0
    lists = [rel for rel in raw.model.lists.model_dump().values() if rel]
    out.write(frame(pickle.dumps({"ok": True, "lists": lists})))
    for f in encode(registry):
        out.write(f)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    nice = bool(args) and args[0] == "--nice"
    args = args[1:] if nice else args
    if len(args) != 1:
        print("usage: python -m verifier.registry.builder [--nice] REGISTRY.yaml", file=sys.stderr)
        return 2
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(RELOAD_NICE)  # the server's requests come first
    # The frames own the real stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "wb", buffering=1 << 20)
    os.dup2(2, 1)
    try:
        code = _child(Path(args[0]), out)
        out.flush()
    except BrokenPipeError:  # the server gave up on this build (shutdown, timeout)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
