"""Test support for the deploy tests: a real redis-server on a free loopback port, and real
`verifier serve` processes pointed at it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (apt-get install -y redis-server; `make system-deps`)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _answers(port: int, request: bytes, expect: bytes) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(request)
            return s.recv(64).startswith(expect)
    except OSError:
        return False


class RedisServer:
    """A throwaway redis-server: no persistence, loopback only; stop and start on one port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _answers(self.port, b"PING\r\n", b"+PONG"), 10, "redis-server")

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, like a crashed node."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for one test (import it into the test module), killed after it."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


class Service:
    """One `verifier serve` process on its own port (network checks off)."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.port = free_port()
        self.log = workdir / f"verifier-{self.port}.log"
        environ = os.environ | {
            "VERIFIER_HOST": "127.0.0.1", "VERIFIER_PORT": str(self.port),
            "VERIFIER_NETWORK_CHECKS": "off", "VERIFIER_LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
        } | env
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "verifier", "serve"], env=environ,
                                         cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_until(self._ready, 30, f"verifier on port {self.port}")
        except AssertionError:
            self.stop()
            raise AssertionError(self.log.read_text()) from None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()
        return _answers(self.port, b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        b"HTTP/1.1 200")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)
