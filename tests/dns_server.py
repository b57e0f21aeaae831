"""A real DNS server on loopback for tests: UDP and TCP, answers from a small table of rules.

Built on dnspython's message parsing, so the code under test talks real DNS packets over real
sockets. Unknown names are NXDOMAIN (with an SOA); `counts` records queries per name so cache
tests can assert what reached the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

Kind = Literal["a", "nodata", "nxdomain", "servfail", "refused", "garbage", "silent"]


@dataclass
class Rule:
    kind: Kind
    addresses: tuple[str, ...] = ()
    ttl: int = 60
    delay: float = 0.0  # seconds before answering (a slow upstream)


class DnsServer:
    def __init__(self, soa_ttl: int = 60, soa_minimum: int = 60) -> None:
        self.rules: dict[str, Rule] = {}
        self.counts: Counter[str] = Counter()
        self.soa_ttl = soa_ttl
        self.soa_minimum = soa_minimum
        self.host = "127.0.0.1"
        self.port = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    # -- the table -----------------------------------------------------------------------
    def a(self, name: str, *addresses: str, ttl: int = 60, delay: float = 0.0) -> None:
        self.rules[_key(name)] = Rule("a", addresses, ttl, delay)

    def set(self, name: str, kind: Kind, delay: float = 0.0) -> None:
        self.rules[_key(name)] = Rule(kind, delay=delay)

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def count(self, name: str) -> int:
        return self.counts[_key(name)]

    # -- answering -----------------------------------------------------------------------
    def rule_for(self, wire: bytes) -> tuple[Rule, dns.message.Message] | None:
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError):
            return None
        if not query.question:
            return None
        name = _key(query.question[0].name.to_text())
        self.counts[name] += 1
        return self.rules.get(name, Rule("nxdomain")), query

    def answer(self, rule: Rule, query: dns.message.Message) -> bytes | None:
        if rule.kind == "silent":
            return None
        if rule.kind == "garbage":
            return query.id.to_bytes(2, "big") + b"\x81\x80not a dns message"
        response = dns.message.make_response(query)
        question = query.question[0]
        if rule.kind in ("servfail", "refused"):
            response.set_rcode(dns.rcode.SERVFAIL if rule.kind == "servfail" else dns.rcode.REFUSED)
            return response.to_wire()
        wanted = [
            a for a in rule.addresses if (":" in a) == (question.rdtype == dns.rdatatype.AAAA)
        ]
        if rule.kind == "a" and wanted and question.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            rdtype = dns.rdatatype.to_text(question.rdtype)
            response.answer.append(
                dns.rrset.from_text_list(question.name, rule.ttl, "IN", rdtype, wanted)
            )
            return response.to_wire()
        if rule.kind == "nxdomain":
            response.set_rcode(dns.rcode.NXDOMAIN)
        soa = f"ns.test. hostmaster.test. 1 3600 600 86400 {self.soa_minimum}"
        response.authority.append(
            dns.rrset.from_text(dns.name.root, self.soa_ttl, "IN", "SOA", soa)
        )
        return response.to_wire()

    async def reply_later(self, rule: Rule, query: dns.message.Message) -> bytes | None:
        if rule.delay:
            await asyncio.sleep(rule.delay)
        return self.answer(rule, query)

    # -- sockets -------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(20):  # the free UDP port must also be free for TCP
            transport, _proto = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.host, 0)
            )
            port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                transport.close()
                continue
            self._udp, self.port = transport, port
            return
        raise RuntimeError("no free port for the test DNS server")

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                found = self.rule_for(await reader.readexactly(length))
                wire = await self.reply_later(*found) if found else None
                if wire is not None:
                    writer.write(struct.pack("!H", len(wire)) + wire)
                    await writer.drain()
        writer.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        found = self.server.rule_for(data)
        if found is None:
            return
        task = asyncio.ensure_future(self._send(found[0], found[1], addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, rule: Rule, query: dns.message.Message, addr: tuple[str, int]) -> None:
        wire = await self.server.reply_later(rule, query)
        if wire is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(wire, addr)

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self.tasks:
            task.cancel()


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


@contextlib.asynccontextmanager
async def running_dns_server(**kwargs: int) -> AsyncIterator[DnsServer]:
    server = DnsServer(**kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
