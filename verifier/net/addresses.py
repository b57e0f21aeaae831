"""Address policy for outbound connections: which IPs the link expander may never reach.

The standard library's `is_global` is not enough on its own: on Python 3.11 it calls multicast,
IPv4-mapped IPv6, 6to4 and NAT64 forms of loopback "global". So the policy is an explicit deny
list plus a look at the IPv4 address embedded in every IPv6 transition form.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_DENY_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT: inside some provider's network
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata endpoints
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast
    )
)
_DENY_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback, deprecated IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped: a v6 socket would reach the v4 address
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",
        "3fff::/20",  # documentation (2024)
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_forbidden(ip: IPAddress) -> bool:
    """True when connecting to `ip` could reach anything but the public internet."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return True  # a zone index only makes sense for link-local targets
        embedded = _embedded_v4(ip)
        if embedded is not None and is_forbidden(embedded):
            return True
        if any(ip in net for net in _DENY_V6):
            return True
    elif any(ip in net for net in _DENY_V4):
        return True
    return ip.is_multicast or ip.is_reserved or not ip.is_global


def is_allowed(ip: IPAddress, allow_networks: Iterable[IPNetwork] = ()) -> bool:
    """The policy with explicit exceptions (only tests pass any: loopback test servers)."""
    return any(ip in net for net in allow_networks) or not is_forbidden(ip)


_V4_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
_NUMERIC_LABEL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


def parse_ipv4_legacy(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton's forms: 2130706433, 0x7f.1, 017700000001, 127.1 -> 127.0.0.1; else None."""
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_V4_PART.match(p) for p in parts):
        return None
    values = []
    for p in parts:
        if p[:2].lower() == "0x":
            values.append(int(p[2:] or "0", 16))
        elif len(p) > 1 and p.startswith("0"):
            values.append(int(p, 8))
        else:
            values.append(int(p))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, v in enumerate(head):
        number |= v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def host_ip(host: str) -> IPAddress | None | bool:
    """An IP literal in a URL host -> its address; a name -> None; an unparseable number -> False.

    Like the WHATWG URL parser, a host whose last label is numeric is an IPv4 literal (or
    invalid), never a name to look up: a resolver library might map it onto an address.
    """
    h = host.strip()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    if ":" in h:
        try:
            return ipaddress.IPv6Address(h)
        except ValueError:
            return False
    last = h.rstrip(".").rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.match(last):
        return None
    return parse_ipv4_legacy(h) or False
