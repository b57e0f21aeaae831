"""Shortened-link expansion: follow a shortener's redirects without becoming an SSRF tool.

Every hop is checked twice. Before asking, the URL itself (scheme, credentials, port, IP
literals in any inet_aton spelling). At connect time, the resolver hands aiohttp only addresses
that passed the policy, and the socket factory re-checks the address actually dialled, so DNS
rebinding between a check and the connect cannot slip through. No cookies, no credentials, no
proxy from the environment, no response body is read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from verifier.analysis.evidence import ExpansionResult
from verifier.net.addresses import IPNetwork, host_ip, is_allowed
from verifier.net.dns import DnsClient

log = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_LOCATION = 4096
# Expansions at once, per process (each holds up to two connections and their DNS queries): a
# batch of 100 notices would otherwise start 300. One without a slot within its timeout is
# "failed" (why "busy"), which is "could not check".
MAX_IN_FLIGHT = 16


class ForbiddenAddress(OSError):
    """The name resolved to (or the socket was about to dial) an address outside the policy."""


class Unresolvable(OSError):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class GuardedResolver(AbstractResolver):
    """aiohttp resolver: our DNS client, and refuse the host if ANY address is forbidden.

    All-or-nothing, because a name that mixes public and private addresses is a rebinding trick.
    """

    def __init__(self, dns: DnsClient, allow_networks: Iterable[IPNetwork] = ()) -> None:
        self._dns = dns
        self._allow = tuple(allow_networks)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found, why = await self._dns.addresses(host)
        if not found:
            raise Unresolvable(why or "no_address")
        ips = [ipaddress.ip_address(a) for a in found]
        if not all(is_allowed(ip, self._allow) for ip in ips):
            raise ForbiddenAddress("forbidden address")
        return [
            ResolveResult(
                hostname=host,
                host=str(ip),
                port=port,
                family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for ip in ips
        ]

    async def close(self) -> None:
        return None


class _SocketGuard:
    """aiohappyeyeballs socket factory: the last check, on the address really being dialled."""

    def __init__(self, allow_networks: Iterable[IPNetwork]) -> None:
        self._allow = tuple(allow_networks)
        self.tripped = False

    def __call__(self, addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        try:
            ip = ipaddress.ip_address(sockaddr[0])
        except ValueError:
            ip = None
        if ip is None or not is_allowed(ip, self._allow):
            self.tripped = True
            raise ForbiddenAddress("forbidden address")
        return socket.socket(family=family, type=type_, proto=proto)


class Expander:
    """Follows redirects of one URL per `expand` call, each call in a fresh session.

    `allow_networks` exists only so tests can reach redirectors on loopback; nothing reads it
    from the environment. `ports=None` allows any port (tests); by default only 80 and 443 are
    dialled, so the expander cannot be used to probe other services.
    """

    def __init__(
        self,
        dns: DnsClient,
        *,
        max_hops: int = 5,
        timeout: float = 2.0,
        allow_networks: Iterable[IPNetwork] = (),
        ports: frozenset[int] | None = frozenset({80, 443}),
        domain_of: Callable[[str], str] = str.lower,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._dns = dns
        self._slots = asyncio.Semaphore(max_in_flight)
        self.max_hops = max_hops
        self.timeout = timeout
        self._allow = tuple(allow_networks)
        self._ports = ports
        self._domain_of = domain_of

    def refuse(self, url: URL) -> str | None:
        """Why this URL must not be requested, or None when it may be."""
        if url.scheme not in ("http", "https"):
            return "scheme"
        if url.user is not None or url.password is not None:
            return "credentials_in_url"
        host = url.raw_host
        if not host:
            return "bad_host"
        ip = host_ip(host)
        if ip is False:
            return "bad_host"
        if ip is not None and not is_allowed(ip, self._allow):  # type: ignore[arg-type]
            return "private_address"
        if self._ports is not None and url.port not in self._ports:
            return "port"
        return None

    async def expand(self, url: str) -> ExpansionResult:
        """Never raises; the result says expanded, blocked (and why) or failed (and why)."""
        try:
            current = URL(url.strip())
            if not current.is_absolute():
                return ExpansionResult("failed", why="bad_url")
        except (ValueError, TypeError):
            return ExpansionResult("failed", why="bad_url")
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            return self._result("failed", current, 0, "busy")
        try:
            return await self._follow(current)
        finally:
            self._slots.release()

    async def _follow(self, current: URL) -> ExpansionResult:
        hops = 0
        guard = _SocketGuard(self._allow)
        try:
            async with asyncio.timeout(self.timeout), self._session(guard) as session:
                while True:
                    why = self.refuse(current)
                    if why is not None:
                        return self._result("blocked", current, hops, why)
                    if hops >= self.max_hops:
                        return self._result("failed", current, hops, "too_many_hops")
                    status, location = await self._ask(session, current)
                    if location is None:
                        if hops == 0 and status >= 400:
                            return self._result("failed", current, hops, "http_error")
                        return self._result("expanded", current, hops, None)
                    if len(location) > _MAX_LOCATION:
                        return self._result("failed", current, hops, "bad_location")
                    current = current.join(URL(location))
                    hops += 1
        except TimeoutError:
            return self._result("failed", current, hops, "timeout")
        except aiohttp.ClientConnectorError as exc:
            if guard.tripped or isinstance(exc.os_error, ForbiddenAddress):
                return self._result("blocked", current, hops, "private_address")
            if isinstance(exc.os_error, Unresolvable):
                return self._result("failed", current, hops, exc.os_error.why)
            return self._result("failed", current, hops, "connect")
        except aiohttp.InvalidURL:
            return self._result("blocked", current, hops, "bad_host")
        except (aiohttp.ClientError, ValueError, OSError):
            if guard.tripped:
                return self._result("blocked", current, hops, "private_address")
            return self._result("failed", current, hops, "http")
        except Exception as exc:  # noqa: BLE001 - a hostile server's reply must not crash a verdict
            # the type only: messages and tracebacks can hold the URL, which is personal data
            log.error("expand: unexpected error %s", type(exc).__name__)
            return self._result("failed", current, hops, "error")

    def _result(self, status: Any, url: URL, hops: int, why: str | None) -> ExpansionResult:
        host = (url.host or "").rstrip(".")
        domain = self._domain_of(host) if host else None
        return ExpansionResult(status, str(url), domain or None, hops, why)

    def _session(self, guard: _SocketGuard) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self._dns, self._allow),
            socket_factory=guard,
            use_dns_cache=False,  # every connect goes through the guarded resolver
            force_close=True,
            limit=2,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # no proxy or netrc credentials from the environment
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"User-Agent": "verifier-link-check/1", "Accept": "*/*"},
            auto_decompress=False,
            max_line_size=8190,
            max_field_size=8190,
            max_headers=64,
            read_bufsize=16 * 1024,
        )

    async def _ask(self, session: aiohttp.ClientSession, url: URL) -> tuple[int, str | None]:
        """(status, Location) of one hop: HEAD, or GET when HEAD is refused. Body never read."""
        status, location = await self._request(session, "HEAD", url)
        if location is None and status >= 400:
            status, location = await self._request(session, "GET", url)
        return status, location

    @staticmethod
    async def _request(
        session: aiohttp.ClientSession, method: str, url: URL
    ) -> tuple[int, str | None]:
        resp = await session.request(method, url, allow_redirects=False, auth=None)
        try:
            location = resp.headers.get("Location") if resp.status in _REDIRECTS else None
            return resp.status, location
        finally:
            resp.close()  # drop the connection: nothing of the body is read
