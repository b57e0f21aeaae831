"""Run the service: `serve(settings)` binds the port, then runs one app per worker process.

With `workers > 1` the parent reserves the port and forks workers; each worker listens on its
own SO_REUSEPORT socket (so the kernel spreads connections across them — on one shared socket
the first worker to wake takes every pending connection) and builds its own app. SIGTERM (or SIGINT) stops accepting,
lets in-flight requests finish (up to SHUTDOWN_TIMEOUT seconds), then exits. SIGHUP reloads
the registry. The workers share their metrics through files in a temporary directory (see
web/metrics.py), removed when the service stops.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from aiohttp import web

from verifier.settings import Settings
from verifier.web import keys
from verifier.web.app import StartupError, create_app
from verifier.web.logs import configure_logging, event
from verifier.web.metrics import enable_multiprocess, multiprocess_dir, worker_exited
from verifier.web.protocol_errors import ProblemAppRunner

SHUTDOWN_TIMEOUT = 30.0  # seconds an in-flight request may take to finish after SIGTERM
LINGER_S = 2.0  # seconds to discard an unread body after answering (see make_runner)
STARTUP_FAILED = 3  # a worker's exit status when its app cannot start (bad registry)
_RESPAWN_WINDOW = 10.0  # a worker dying sooner than this after start is not respawned


REUSE_PORT = hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, backlog: int = 1024, *, listen: bool = True,
         reuse_port: bool = False) -> socket.socket:
    """The listening socket, bound before any worker starts (so port 0 and errors are early).
    With `listen=False` it only reserves the port for the workers' SO_REUSEPORT sockets."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(address)
    if listen:
        sock.listen(backlog)
    sock.setblocking(False)
    return sock


def ignore_sighup() -> None:
    """SIGHUP means "reload the registry", but its default action ends the process: one that
    arrived before the registry watcher took it over (while the registry loads at start-up, a
    second or more) stopped the service, and with several workers the supervisor read the early
    exit as a failed start and stopped them all. Ignored until the watcher installs its handler
    (and again once it is removed, while stopping); the start-up load reads the newest files."""
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _install_signals(app: web.Application, stop: asyncio.Event) -> None:
    """SIGTERM/SIGINT start one graceful shutdown; repeats change nothing (Ctrl-C reaches the
    workers from the terminal and from the parent). SIGHUP is the registry watcher's."""
    loop = asyncio.get_running_loop()

    def on_stop(signame: str) -> None:
        if not stop.is_set():
            event("stopping", signal=signame, pid=os.getpid())
            stop.set()

    loop.add_signal_handler(signal.SIGTERM, on_stop, "SIGTERM")
    loop.add_signal_handler(signal.SIGINT, on_stop, "SIGINT")


def make_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner with the served connection options (tests use it too).

    aiohttp's keep-alive timer starts when a connection opens and closes it if no complete
    request head has arrived by then (its default is an hour): with `read_timeout_s` a client
    trickling its headers a byte at a time, or connecting and sending nothing, is cut off.
    After an answer to a body we did not read (413, 408), aiohttp reads and discards the rest
    for `lingering_time` so the client sees the answer; a trickling client would otherwise keep
    the connection for its default 10 s. Requests aiohttp cannot parse get problem+json too
    (see protocol_errors)."""
    return ProblemAppRunner(app, handle_signals=False, access_log=None,
                         shutdown_timeout=SHUTDOWN_TIMEOUT,
                         keepalive_timeout=settings.read_timeout_s,
                         lingering_time=LINGER_S)


async def _serve(app: web.Application, sock: socket.socket) -> None:
    # aiohttp's own shutdown stops reading from every connection at once, which strands a
    # request whose body is still arriving; so first stop accepting and let every request
    # that has started finish, then let aiohttp close the (now idle) connections.
    runner = make_runner(app, app[keys.SETTINGS])
    await runner.setup()  # the cleanup contexts run here: StartupError if the registry is bad
    stop = asyncio.Event()
    _install_signals(app, stop)
    site = web.SockSite(runner, sock)
    await site.start()
    host, port = sock.getsockname()[:2]
    event("listening", host=host, port=port, pid=os.getpid(),
          open_files=resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    try:
        await stop.wait()
        await site.stop()
        in_flight = app[keys.IN_FLIGHT]
        in_flight.draining = True
        await asyncio.sleep(0)  # requests parsed just before the stop reach the middleware
        drained = await in_flight.wait_idle(SHUTDOWN_TIMEOUT)
        event("drained", ok=drained, unfinished=in_flight.count, pid=os.getpid())
    finally:
        await runner.cleanup()


def run_worker(settings: Settings, sock: socket.socket) -> None:
    """One process serving the app on `sock` until SIGTERM/SIGINT; drains before returning."""
    app = create_app(settings)
    try:
        asyncio.run(_serve(app, sock))
    except StartupError as exc:
        print(f"verifier: cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(STARTUP_FAILED) from None
    event("stopped", pid=os.getpid())


def _fork_worker(settings: Settings, sock: socket.socket) -> int:
    pid = os.fork()
    if pid:
        return pid
    for sig in (signal.SIGTERM, signal.SIGINT):  # the app installs its own
        signal.signal(sig, signal.SIG_DFL)
    ignore_sighup()  # not the parent's forwarder; the worker's watcher installs its own
    code = 0
    try:
        if REUSE_PORT:  # the parent's socket only reserves the port; listen on our own
            host, port = sock.getsockname()[:2]
            own = bind(host, port, reuse_port=True)
            sock.close()
            sock = own
        run_worker(settings, sock)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - a worker must exit, never return into the parent
        print(f"verifier: worker failed: {type(exc).__name__}", file=sys.stderr, flush=True)
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def _supervise(settings: Settings, sock: socket.socket) -> int:
    """Start the workers, restart one that crashes, forward signals; the exit status."""
    children: dict[int, float] = {}
    stopping = False
    status = 0

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            sock.close()  # the workers' copies keep accepting until they each stop
        for pid in children:
            _kill(pid, signal.SIGTERM)

    def forward(signum: int, _frame: FrameType | None) -> None:
        for pid in children:
            _kill(pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, forward)
    for _ in range(settings.workers):
        children[_fork_worker(settings, sock)] = time.monotonic()
    while children:
        pid, wait_status = os.wait()
        started = children.pop(pid, None)
        if started is None:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        worker_exited(pid)
        if stopping:
            continue
        if code == STARTUP_FAILED or time.monotonic() - started < _RESPAWN_WINDOW:
            event("worker_exited", pid=pid, code=code, action="stopping all")
            status = code or 1
            stop(signal.SIGTERM, None)
            continue
        event("worker_exited", pid=pid, code=code, action="restarting")
        children[_fork_worker(settings, sock)] = time.monotonic()
    return status


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def raise_open_files_limit() -> None:
    """Lift the soft limit on open files to the hard one (as Go's runtime does): each client
    connection is a file, and the soft limit is often 1,024 where the hard one is far higher."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):  # above the kernel's nr_open: keep what we have
            pass


def serve(settings: Settings) -> None:
    """Run the service until SIGTERM/SIGINT. Exits non-zero if it cannot start."""
    ignore_sighup()
    configure_logging(settings.log_format, settings.log_level)
    raise_open_files_limit()
    shared = settings.workers > 1 and REUSE_PORT
    try:
        sock = bind(settings.host, settings.port, listen=not shared, reuse_port=shared)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a host name IDNA cannot encode
        reason = "not a valid host name" if isinstance(exc, UnicodeError) else (exc.strerror or str(exc))
        raise SystemExit(f"verifier: cannot listen on {settings.host}:{settings.port}: "
                         f"{reason}; choose another --port or --host") from None
    if settings.workers == 1:
        run_worker(settings, sock)
        return
    own_dir = None
    if multiprocess_dir() is None:  # /metrics of any worker must count every worker's requests
        own_dir = Path(tempfile.mkdtemp(prefix="verifier-metrics-"))
        enable_multiprocess(own_dir)
    try:
        status = _supervise(settings, sock)
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
    if status:
        raise SystemExit(status)


if __name__ == "__main__":
    # Not a second way in: `python -m verifier.web.server` built Settings() itself and so skipped
    # the command line's checks (a misspelt VERIFIER_* variable served on the default, a bad one
    # was a traceback, a broken registry was found only after binding the port). It is
    # `verifier serve`, with the same flags.
    from verifier.cli import main

    main(["serve", *sys.argv[1:]])
