"""Async DNS client: dnspython's resolver behind a shared cache, with three-way outcomes.

Every failure to get an answer (timeout, SERVFAIL, REFUSED, a garbled reply, no resolver
configured) is "could not check" and is never cached, so it can never become evidence.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from verifier.analysis.evidence import Resolution
from verifier.net.addresses import host_ip
from verifier.net.cache import LookupCache

log = logging.getLogger(__name__)

A = dns.rdatatype.A
AAAA = dns.rdatatype.AAAA

# Names that must never leave the machine as DNS queries (mDNS, loopback, reserved).
_NEVER_QUERIED_TLDS = frozenset({"localhost", "local", "invalid", "onion", "home", "lan"})
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one (name, type) query, as cached."""

    kind: Literal["answer", "nodata", "nxdomain", "error"]
    addresses: tuple[str, ...] = ()  # A/AAAA rdata as text, when kind == "answer"
    why: str | None = None  # for "error": timeout | no_nameservers | failed | busy


@functools.lru_cache(maxsize=4096)  # parsing a name costs more than a cached lookup
def to_name(domain: str) -> dns.name.Name | None:
    """A domain as an absolute DNS name, or None when it is not worth asking DNS about.

    IDN is encoded to punycode; IP literals, single labels, over-long names and labels, and
    characters no hostname can hold give None (the caller reports "could not check").
    """
    d = domain.strip().rstrip(".").lower()
    if not d or len(d) > 253 or host_ip(d) is not None:
        return None
    try:
        name = dns.name.from_text(d) if d.isascii() else dns.name.from_unicode(d)
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None
    labels = [label.decode("ascii", "replace").lower() for label in name.labels[:-1]]
    if len(labels) < 2 or labels[-1] in _NEVER_QUERIED_TLDS:
        return None
    if not all(_LABEL.match(label) for label in labels):
        return None
    return name


def _negative_ttl(response: dns.message.Message | None, default: float, cap: float) -> float:
    # RFC 2308: a negative answer lives for min(SOA TTL, SOA MINIMUM); no SOA: a short default
    if response is not None:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
                return float(min(rrset.ttl, rrset[0].minimum, cap))
    return min(default, cap)


# Queries on the wire at once, per process. Each holds a socket while it waits: unbounded, one
# batch of 100 notices with 20 new domains each opened 2,000 and the process ran out of file
# descriptors (accept() failed for every other client). A query that finds no slot within the
# budget is "could not check" (why "busy"), never evidence.
MAX_IN_FLIGHT = 128


class DnsClient:
    """One per process. `nameservers` empty means the system's (/etc/resolv.conf)."""

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]],
        timeout: float,
        *,
        cache: LookupCache[Answer] | None = None,
        negative_ttl: float = 60.0,
        max_negative_ttl: float = 300.0,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.timeout = timeout
        self._slots = asyncio.Semaphore(max_in_flight)
        self.cache: LookupCache[Answer] = cache if cache is not None else LookupCache()
        self._negative_ttl = negative_ttl
        self._max_negative_ttl = max_negative_ttl
        self._resolver = self._make_resolver(nameservers, timeout)

    @staticmethod
    def _make_resolver(
        nameservers: Sequence[tuple[str, int]], timeout: float
    ) -> dns.asyncresolver.Resolver:
        if nameservers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [dns.nameserver.Do53Nameserver(h, p) for h, p in nameservers]
        else:
            try:
                resolver = dns.asyncresolver.Resolver(configure=True)
            except dns.exception.DNSException:
                log.warning("dns: no system resolver configuration; lookups will be unknown")
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = []
        # one query never outlives a request's budget; with several servers each gets a share
        count = max(1, len(resolver.nameservers))
        resolver.lifetime = timeout
        resolver.timeout = max(timeout / count, min(timeout, 0.15))
        resolver.cache = None  # our own cache is shared and bounded
        resolver.search = []
        return resolver

    async def query(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Answer:
        """Cached, single-flight lookup of one (name, type)."""
        return await self.cache.get(_key(name, rdtype), lambda: self._fetch(name, rdtype))

    def peek(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Answer | None:
        """The cached answer without waiting (lets a warm request skip creating tasks)."""
        return self.cache.peek(_key(name, rdtype))

    def lookup_task(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> asyncio.Task[tuple[Answer, float]]:
        """The shared in-flight query for (name, type): wait on it, never cancel it."""
        return self.cache.task(_key(name, rdtype), lambda: self._fetch(name, rdtype))

    async def _fetch(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> tuple[Answer, float]:
        if not self._resolver.nameservers:
            return Answer("error", why="no_nameservers"), 0.0
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            return Answer("error", why="busy"), 0.0
        try:
            return await self._ask(name, rdtype)
        finally:
            self._slots.release()

    async def _ask(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> tuple[Answer, float]:
        try:
            answer = await self._resolver.resolve(name, rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as exc:
            responses = list(exc.responses().values())  # type: ignore[no-untyped-call]
            ttl = _negative_ttl(
                responses[-1] if responses else None, self._negative_ttl, self._max_negative_ttl
            )
            return Answer("nxdomain"), ttl
        except dns.exception.Timeout:
            return Answer("error", why="timeout"), 0.0
        except dns.resolver.NoNameservers:
            return Answer("error", why="no_nameservers"), 0.0  # SERVFAIL, REFUSED, garbage
        except (dns.exception.DNSException, OSError, ValueError, EOFError):
            return Answer("error", why="failed"), 0.0
        if answer.rrset is None:
            ttl = _negative_ttl(answer.response, self._negative_ttl, self._max_negative_ttl)
            return Answer("nodata"), ttl
        ttl = float(min(rrset.ttl for rrset in answer.response.answer))
        return Answer("answer", tuple(r.to_text() for r in answer.rrset)), ttl

    async def resolve(self, domain: str) -> Resolution:
        """Does `domain` exist? A NODATA answer (no A record) still proves the name exists.

        No AAAA query follows a NODATA: it could not change the answer, only cost time.
        """
        name = to_name(domain)
        if name is None:
            return "unknown"
        return resolution_of(await self.query(name, A))

    async def addresses(self, host: str) -> tuple[list[str], str | None]:
        """A and AAAA addresses of `host` (for connecting), or ([], why) when there are none."""
        name = to_name(host)
        if name is None:
            return [], "bad_name"
        v4, v6 = await asyncio.gather(self.query(name, A), self.query(name, AAAA))
        found = [*v4.addresses, *v6.addresses]
        if found:
            return found, None
        if v4.kind == "nxdomain":
            return [], "nxdomain"
        if "error" in (v4.kind, v6.kind):
            return [], "dns_error"
        return [], "no_address"

    async def close(self) -> None:
        await self.cache.close()


def _key(name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> tuple[bytes, int]:
    # the raw labels, not to_text(): this runs for every lookup of every request
    return b".".join(name.labels).lower(), int(rdtype)


def resolution_of(answer: Answer) -> Resolution:
    """What an A query's answer says about the name's existence."""
    if answer.kind in ("answer", "nodata"):
        return "exists"
    if answer.kind == "nxdomain":
        return "nxdomain"
    return "unknown"
