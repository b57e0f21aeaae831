"""One function's answer, computed in a forked child on the other core and sent back pickled.

A large registry's load has independent parts (the big lists, half of the YAML) that take a
second each; a forked child does one while this process does the rest. Forking is safe only
in a single-threaded process (another thread could hold a lock the child needs): the `registry
check` command, the builder process, the bench. Elsewhere `start` returns None and the caller
does the work itself, as it does when a child fails in any way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any

try:
    import fcntl
except ImportError:  # not on this platform: default pipe size
    fcntl = None  # type: ignore[assignment]


class ChildFailed(Exception):
    """The child exited without an answer."""


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


class Forked:
    __slots__ = ("_child", "pid")

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self._child: tuple[int, int] | None = (pid, read_end)

    @classmethod
    def start(cls, work: Callable[[], Any]) -> Forked | None:
        """`work()` running in a child, or None where forking is not safe."""
        if not can_fork():
            return None
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: work, send the answer, exit without any clean-up of ours
            code = 1
            try:
                os.close(read_end)
                answer = work()
                with os.fdopen(write_end, "wb") as out:
                    pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        with contextlib.suppress(AttributeError, OSError):  # Linux: fewer, larger pipe writes
            fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, 1 << 20)
        return cls(pid, read_end)

    def answer(self) -> Any:
        """Wait for the child's answer; ChildFailed if it has none (taken once)."""
        if self._child is None:
            raise ChildFailed("answer already taken or stopped")
        pid, read_end = self._child
        self._child = None
        with os.fdopen(read_end, "rb") as f:
            data = f.read()
        _pid, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise ChildFailed(f"exit status {status}")
        return pickle.loads(data)

    def stop(self) -> None:
        """Kill and reap a child whose answer is not wanted (it would block on a full pipe)."""
        if self._child is not None:
            pid, read_end = self._child
            self._child = None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.close(read_end)
            os.waitpid(pid, 0)
