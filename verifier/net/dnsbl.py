"""DNSBL lookups of a link's domain: `<domain>.<zone>` A queries read with Spamhaus semantics.

Return codes in 127.0.0.0/8 mean listed (the registry maps their prefixes to reason codes);
127.255.255.x means the zone refused to answer us (public resolver, over quota) and, like a
timeout or an answer outside 127/8 (a resolver that rewrites NXDOMAIN), is "could not check".
"""

from __future__ import annotations

import functools
import ipaddress

import dns.exception
import dns.name

from verifier.analysis.evidence import DnsblResult
from verifier.net.dns import A, Answer, DnsClient, to_name

_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
_REFUSED = ipaddress.IPv4Network("127.255.255.0/24")


def interpret(zone: str, answer: Answer) -> DnsblResult:
    """A zone's answer for one domain as a DnsblResult (pure; tested without a network)."""
    if answer.kind in ("nxdomain", "nodata"):
        return DnsblResult(zone, "clean")
    if answer.kind != "answer":
        return DnsblResult(zone, "unknown")
    codes: list[ipaddress.IPv4Address] = []
    for text in answer.addresses:
        try:
            codes.append(ipaddress.IPv4Address(text))
        except ValueError:
            return DnsblResult(zone, "unknown")
    codes.sort()
    if not codes or any(code not in _LOOPBACK for code in codes):
        return DnsblResult(zone, "unknown")
    if any(code in _REFUSED for code in codes):
        refused = next(str(c) for c in codes if c in _REFUSED)
        return DnsblResult(zone, "refused", refused, (refused,))
    texts = tuple(str(c) for c in codes)
    return DnsblResult(zone, "listed", texts[0], texts)


@functools.lru_cache(maxsize=4096)
def query_name(domain: str, zone: str) -> dns.name.Name | None:
    """`<domain>.<zone>` as an absolute name, or None when either part is unusable."""
    name, zone_name = to_name(domain), to_name(zone)
    if name is None or zone_name is None:
        return None
    try:
        return dns.name.Name(name.labels[:-1] + zone_name.labels)
    except dns.exception.DNSException:  # over 255 octets together
        return None


async def lookup(client: DnsClient, domain: str, zone: str) -> DnsblResult:
    qname = query_name(domain, zone)
    if qname is None:
        return DnsblResult(zone, "unknown")
    return interpret(zone, await client.query(qname, A))
