"""Shortened-link expansion against real redirectors on loopback, and the SSRF refusals.

Redirectors are aiohttp test servers on 127.0.0.1, reached only because the expander is built
with `allow_networks=[127.0.0.1/32]`. Forbidden targets are listeners on 127.0.0.2 and ::1 that
count accepted connections; other private targets (10.x, 169.254.169.254) are refused before any
socket exists, so nothing here ever sends a packet beyond loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from dns_server import DnsServer, running_dns_server

from verifier.net.dns import DnsClient
from verifier.net.expand import Expander, ForbiddenAddress, GuardedResolver, _SocketGuard
from verifier.net.probes import Probes
from verifier.settings import Settings

LOOPBACK_ONLY = [ipaddress.ip_network("127.0.0.1/32")]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Listener:
    """A TCP listener that only counts connections: the address nothing may reach."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> Listener:
        self._server = await asyncio.start_server(self._on_connect, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _on_connect(self, _r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
async def dns_server() -> AsyncIterator[DnsServer]:
    async with running_dns_server() as server:
        server.a("short.test", "127.0.0.1")
        server.a("site.test", "127.0.0.1")
        server.a("private.test", "10.1.2.3")
        server.a("loop2.test", "127.0.0.2")
        server.a("mixed.test", "127.0.0.1", "10.0.0.1")
        server.a("v6loop.test", "::1")
        yield server


@pytest.fixture
async def dns(dns_server: DnsServer) -> AsyncIterator[DnsClient]:
    client = DnsClient([("127.0.0.1", dns_server.port)], 0.5)
    yield client
    await client.close()


@pytest.fixture
async def forbidden() -> AsyncIterator[Listener]:
    listener = await Listener("127.0.0.2").start()
    yield listener
    await listener.stop()


class Redirector:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.seen_cookies: list[str] = []
        self.seen_auth: list[str] = []
        self.open_now = self.open_most = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/hop/{n}", self.hop)
        app.router.add_route("*", "/to", self.to)
        app.router.add_route("*", "/final", self.final)
        app.router.add_route("*", "/head405", self.head405)
        app.router.add_route("*", "/stream", self.stream)
        app.router.add_route("*", "/slow", self.slow)
        app.router.add_route("*", "/gone", self.gone)
        app.router.add_route("*", "/pause", self.pause)
        return app

    def _log(self, request: web.Request) -> None:
        self.requests.append((request.method, request.path))
        self.seen_cookies.append(request.headers.get("Cookie", ""))
        self.seen_auth.append(request.headers.get("Authorization", ""))

    async def hop(self, request: web.Request) -> web.Response:
        self._log(request)
        n = int(request.match_info["n"])
        target = f"/hop/{n - 1}" if n > 1 else f"http://site.test:{request.url.port}/final"
        resp = web.Response(status=302, headers={"Location": target})
        resp.set_cookie("session", "tracking-id")
        return resp

    async def to(self, request: web.Request) -> web.Response:
        self._log(request)
        return web.Response(status=301, headers={"Location": request.query["u"]})

    async def final(self, request: web.Request) -> web.Response:
        self._log(request)
        return web.Response(text="landing page")

    async def head405(self, request: web.Request) -> web.Response:
        self._log(request)
        if request.method == "HEAD":
            return web.Response(status=405)
        return web.Response(status=302, headers={"Location": "/final"})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        self._log(request)
        if request.method == "HEAD":
            return web.Response(status=405)
        resp = web.StreamResponse()
        await resp.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(2000):  # ~128 MiB if anyone read it
                await resp.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def slow(self, request: web.Request) -> web.Response:
        self._log(request)
        await asyncio.sleep(5)
        return web.Response(status=302, headers={"Location": "/final"})

    async def pause(self, request: web.Request) -> web.Response:
        """A redirect after 0.4 s, counting how many requests are open at once."""
        self._log(request)
        self.open_now += 1
        self.open_most = max(self.open_most, self.open_now)
        try:
            await asyncio.sleep(0.4)
        finally:
            self.open_now -= 1
        return web.Response(status=302, headers={"Location": "/final"})

    async def gone(self, request: web.Request) -> web.Response:
        self._log(request)
        return web.Response(status=404)


@pytest.fixture
async def redirector(aiohttp_server: ServerFactory) -> tuple[Redirector, int]:
    r = Redirector()
    server = await aiohttp_server(r.app())
    assert server.port is not None
    return r, server.port


def expander(dns: DnsClient, **kwargs: object) -> Expander:
    options: dict[str, object] = {"allow_networks": LOOPBACK_ONLY, "ports": None, "timeout": 2.0}
    options.update(kwargs)
    return Expander(dns, **options)  # type: ignore[arg-type]


# -- a normal chain ---------------------------------------------------------------------


async def test_chain_is_followed(dns: DnsClient, redirector: tuple[Redirector, int]) -> None:
    r, port = redirector
    result = await expander(dns).expand(f"http://short.test:{port}/hop/3")
    assert result.status == "expanded"
    assert result.final_url == f"http://site.test:{port}/final"
    assert result.final_domain == "site.test"
    assert result.hops == 3
    assert [m for m, _ in r.requests] == ["HEAD"] * 4  # HEAD only: no body asked for


async def test_no_cookies_or_credentials_are_sent(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    r, port = redirector
    await expander(dns).expand(f"http://short.test:{port}/hop/3")
    assert r.seen_cookies == ["", "", "", ""]  # each hop set a cookie; none came back
    assert r.seen_auth == ["", "", "", ""]


async def test_proxy_environment_is_ignored(
    dns: DnsClient,
    redirector: tuple[Redirector, int],
    forbidden: Listener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _r, port = redirector
    proxy = f"http://127.0.0.2:{forbidden.port}"
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(var, proxy)
    result = await expander(dns).expand(f"http://short.test:{port}/hop/1")
    assert result.status == "expanded"
    assert forbidden.accepted == 0


async def test_head_refused_falls_back_to_get(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    r, port = redirector
    result = await expander(dns).expand(f"http://short.test:{port}/head405")
    assert result.status == "expanded"
    assert result.final_url == f"http://short.test:{port}/final"
    assert r.requests[:2] == [("HEAD", "/head405"), ("GET", "/head405")]


async def test_get_fallback_never_reads_the_body(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    _r, port = redirector
    started = time.monotonic()
    result = await expander(dns).expand(f"http://short.test:{port}/stream")
    assert result.status == "expanded"
    assert time.monotonic() - started < 2.0


async def test_too_many_hops(dns: DnsClient, redirector: tuple[Redirector, int]) -> None:
    r, port = redirector
    result = await expander(dns).expand(f"http://short.test:{port}/hop/9")
    assert result.status == "failed"
    assert result.why == "too_many_hops"
    assert result.hops == 5
    assert len(r.requests) == 5


async def test_timeout_is_bounded(dns: DnsClient, redirector: tuple[Redirector, int]) -> None:
    _r, port = redirector
    started = time.monotonic()
    result = await expander(dns, timeout=0.3).expand(f"http://short.test:{port}/slow")
    assert time.monotonic() - started < 0.3 + 1.0
    assert (result.status, result.why) == ("failed", "timeout")


async def test_disabled_short_link(dns: DnsClient, redirector: tuple[Redirector, int]) -> None:
    _r, port = redirector
    result = await expander(dns).expand(f"http://short.test:{port}/gone")
    assert (result.status, result.why) == ("failed", "http_error")


# -- refusals -----------------------------------------------------------------------------


async def test_loopback_is_refused_without_the_test_allowance(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    r, port = redirector
    strict = Expander(dns, ports=None)  # the production policy, any port
    for url in (
        f"http://127.0.0.1:{port}/final",
        f"http://short.test:{port}/final",
        f"http://2130706433:{port}/final",
        f"http://0x7f.1:{port}/final",
        f"http://017700000001:{port}/final",
        f"http://[::ffff:127.0.0.1]:{port}/final",
    ):
        result = await strict.expand(url)
        assert (result.status, result.why) == ("blocked", "private_address"), url
    assert r.requests == []  # the redirector on 127.0.0.1 was never reached


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{lport}/",
        "http://loop2.test:{lport}/",  # a name our DNS resolves to 127.0.0.2
        "http://10.0.0.1/",
        "http://private.test/admin",  # a name our DNS resolves to 10.1.2.3
        "http://mixed.test:{lport}/",  # one loopback (allowed here) and one private address
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706434:{lport}/",  # 127.0.0.2 in decimal, hex, octal, short forms
        "http://0x7f.2:{lport}/",
        "http://017700000002:{lport}/",
        "http://0x7f000002:{lport}/",
        "http://127.2:{lport}/",
        "http://[::ffff:127.0.0.2]:{lport}/",
        "http://[::1]:{lport}/",
        "http://v6loop.test:{lport}/",
    ],
)
async def test_redirect_to_forbidden_address_is_refused(
    dns: DnsClient, redirector: tuple[Redirector, int], forbidden: Listener, target: str
) -> None:
    r, port = redirector
    location = target.format(lport=forbidden.port)
    result = await expander(dns).expand(f"http://short.test:{port}/to?u={location}")
    assert (result.status, result.why) == ("blocked", "private_address")
    assert result.hops == 1
    assert result.final_url is not None
    assert forbidden.accepted == 0
    assert len(r.requests) == 1


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback here")
async def test_ipv6_loopback_listener_gets_no_connection(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    _r, port = redirector
    listener = await Listener("::1").start()
    try:
        for host in ("[::1]", "v6loop.test"):
            url = f"http://short.test:{port}/to?u=http://{host}:{listener.port}/"
            result = await expander(dns).expand(url)
            assert (result.status, result.why) == ("blocked", "private_address")
        assert listener.accepted == 0
    finally:
        await listener.stop()


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("file:///etc/passwd", "scheme"),
        ("ftp://site.test/x", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("gopher://site.test:70/", "scheme"),
        ("http://user:secret@site.test/", "credentials_in_url"),
        ("http://256.1.1.1/", "bad_host"),
    ],
)
async def test_redirect_to_unsafe_url_is_refused(
    dns: DnsClient, redirector: tuple[Redirector, int], location: str, why: str
) -> None:
    _r, port = redirector
    result = await expander(dns).expand(f"http://short.test:{port}/to?u={location}")
    assert (result.status, result.why) == ("blocked", why)


async def test_only_web_ports_by_default(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    r, port = redirector
    result = await Expander(dns, allow_networks=LOOPBACK_ONLY).expand(
        f"http://short.test:{port}/hop/1"
    )
    assert (result.status, result.why) == ("blocked", "port")
    assert r.requests == []


async def test_unresolvable_and_garbage_urls_fail_quietly(dns: DnsClient) -> None:
    e = expander(dns)
    assert (await e.expand("http://missing.test/x")).why == "nxdomain"
    for garbage in ("", "not a url", "http://", "//x", "http://[::1", "\x00"):
        result = await e.expand(garbage)
        assert result.status in ("failed", "blocked"), garbage


# -- the connect-time guards on their own --------------------------------------------------


def test_socket_guard_refuses_the_dialled_address() -> None:
    guard = _SocketGuard(())
    with pytest.raises(ForbiddenAddress):
        guard((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80)))
    with pytest.raises(ForbiddenAddress):
        guard((socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:10.0.0.1", 80, 0, 0)))
    assert guard.tripped
    allowed = _SocketGuard(LOOPBACK_ONLY)
    allowed((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))).close()


async def test_guarded_resolver_is_all_or_nothing(dns: DnsClient) -> None:
    resolver = GuardedResolver(dns, LOOPBACK_ONLY)
    assert [r["host"] for r in await resolver.resolve("site.test", 80)] == ["127.0.0.1"]
    with pytest.raises(ForbiddenAddress):
        await resolver.resolve("mixed.test", 80)
    with pytest.raises(ForbiddenAddress):
        await GuardedResolver(dns).resolve("site.test", 80)


# -- through Probes.gather -----------------------------------------------------------------


async def test_gather_expands_and_probes_the_final_domain(
    dns_server: DnsServer, dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    _r, port = redirector
    values: dict[str, Any] = {
        "dns_nameservers": dns_server.nameserver,
        "dns_timeout_ms": 300,
        "network_checks": "on",
        "expand_shorteners": "on",
    }
    settings = Settings(**values)
    url = f"http://short.test:{port}/hop/2"
    async with Probes(settings, dns=dns, expander=expander(dns)) as probes:
        evidence = await probes.gather(["short.test"], [url, "http://10.0.0.1/x"])
    assert evidence.expansions[url].final_domain == "site.test"
    assert evidence.domains["short.test"].expansion == evidence.expansions[url]
    assert evidence.domains["site.test"].resolution == "exists"
    assert evidence.expansions["http://10.0.0.1/x"].status == "blocked"
    assert not evidence.timed_out


async def test_gather_bounds_a_slow_expansion_and_survives_cancellation(
    dns_server: DnsServer, dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    _r, port = redirector
    values: dict[str, Any] = {
        "dns_nameservers": dns_server.nameserver,
        "dns_timeout_ms": 200,
        "expand_shorteners": "on",
        "network_checks": "on",  # off by default since f10f3b3
    }
    slow = f"http://short.test:{port}/slow"
    async with Probes(
        Settings(**values), dns=dns, expander=expander(dns, timeout=5.0), expand_timeout=0.3
    ) as probes:
        started = time.monotonic()
        evidence = await probes.gather(["short.test"], [slow])
        assert time.monotonic() - started < 0.2 + 0.3 + 1.0
        assert evidence.timed_out
        assert (evidence.expansions[slow].status, evidence.expansions[slow].why) == (
            "failed",
            "timeout",
        )
        request = asyncio.ensure_future(probes.gather(["short.test"], [slow]))
        await asyncio.sleep(0.05)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request


async def test_expansions_at_once_are_bounded_and_one_without_a_slot_is_busy(
    dns: DnsClient, redirector: tuple[Redirector, int]
) -> None:
    # A batch of 100 notices could start 300 expansions, each with its own connections. Two slots
    # of 0.4 s pauses serve at most six of the twelve within the 1 s timeout; the first two have
    # 0.6 s to spare for a loaded machine (at 0.25 s against 0.1 s, all twelve timed out under load).
    r, port = redirector
    ex = expander(dns, timeout=1.0, max_in_flight=2)
    results = await asyncio.gather(*(ex.expand(f"http://short.test:{port}/pause?n={i}")
                                     for i in range(12)))
    assert r.open_most == 2
    statuses = [(x.status, x.why) for x in results]
    assert ("expanded", None) in statuses and ("failed", "busy") in statuses
    assert {s for s, _ in statuses} <= {"expanded", "failed"}
    # the busy ones never reached the server: two requests per expansion that got a slot
    assert len(r.requests) == 2 * statuses.count(("expanded", None))
