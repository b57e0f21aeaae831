"""Processes under test and the load tool: start a server, wait until ready, run wrk against it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from mix import ROOT

BENCH = ROOT / "bench"


def require_wrk() -> str:
    """wrk from Debian's packages; installed here when we may (root with apt), else a clear error."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk (apt-get install -y wrk)", file=sys.stderr, flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False,
                       stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if not found:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False,
                           stdout=subprocess.DEVNULL)
            found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: needs the load tool wrk; install it with `apt-get install wrk`")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), in MB."""
    total = 0.0
    pids = [pid] + _children(pid)
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return round(total, 1)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    started_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, logdir: Path, timeout: float = 600.0) -> Server:
        self.port = free_port()
        self.log = logdir / f"{self.name}.log"
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        t0 = time.perf_counter()
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(argv, env={**os.environ, **self.env}, stdout=out,
                                         stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: {self.name} exited ({self.proc.returncode}); see {self.log}:\n"
                                 + self.log.read_text(errors="replace")[-2000:])
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        self.started_s = time.perf_counter() - t0
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"bench: {self.name} not ready after {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def get_json(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())


def verifier(name: str, registry: Path, workers: int = 1, network: str = "off",
             extra_env: dict[str, str] | None = None) -> Server:
    env = {
        "VERIFIER_NETWORK_CHECKS": network,
        "VERIFIER_RATE_LIMIT": "100000000/second",  # measure the service, not the limiter
        "VERIFIER_MAX_CONCURRENCY": "100000",
        "VERIFIER_RELOAD_INTERVAL_S": "3600",  # reloads come from the bench (SIGHUP) only
        **(extra_env or {}),
    }
    argv = [sys.executable, "-m", "verifier", "serve", "--host", "127.0.0.1", "--port", "{port}",
            "--workers", str(workers), "--registry", str(registry)]
    return Server(name, argv, env)


def baseline() -> Server:
    return Server("baseline", [sys.executable, str(BENCH / "baseline.py"), "127.0.0.1", "{port}"])


@dataclass
class Wrk:
    exe: str
    script: Path
    connections: int = 32
    threads: int = 1

    def argv(self, url: str, seconds: float) -> list[str]:
        return [self.exe, f"-t{self.threads}", f"-c{self.connections}", f"-d{max(1, round(seconds))}s",
                "--timeout", "10s", "-s", str(self.script), url + "/v1/verify"]

    def run(self, server: Server, seconds: float) -> dict:
        out = subprocess.run(self.argv(server.url, seconds), capture_output=True, text=True,
                             check=False)
        return parse(out.stdout, out.stderr)

    def start(self, server: Server) -> subprocess.Popen[str]:
        """A long run in the background; `finish` stops it (SIGINT: wrk prints its summary)."""
        return subprocess.Popen(self.argv(server.url, 3600), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> dict:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return parse(out, err)


def parse(stdout: str, stderr: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[len("WRKJSON "):])
            r["rps"] = round(r["requests"] / (r["duration_us"] / 1e6), 1) if r["duration_us"] else 0.0
            r["errors"] = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            return r
    raise SystemExit(f"bench: wrk gave no result:\n{stdout}\n{stderr}")
