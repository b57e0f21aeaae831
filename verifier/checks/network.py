"""Network evidence: what DNS, DNSBLs and shortener expansion said about the notice's links."""

from __future__ import annotations

from verifier.analysis.evidence import NetworkEvidence
from verifier.analysis.extract import Extraction
from verifier.analysis.urls import parse_link
from verifier.checks import links as link_checks
from verifier.checks.finding import Finding, item
from verifier.registry.compiled import Registry

EMITS = frozenset({
    "NET_CHECKS_OFF", "NET_DOMAIN_EXISTS", "NET_DOMAIN_NXDOMAIN", "NET_DNS_UNAVAILABLE",
    "NET_DNSBL_LISTED", "NET_DNSBL_ABUSED_LEGIT", "NET_DNSBL_CLEAN", "NET_DNSBL_REFUSED",
    "NET_SHORTENER_EXPANDED", "NET_SHORTENER_BLOCKED", "NET_SHORTENER_FAILED",
})
_RESOLUTION = {"exists": "NET_DOMAIN_EXISTS", "nxdomain": "NET_DOMAIN_NXDOMAIN", "unknown": "NET_DNS_UNAVAILABLE"}
_DNSBL = {"clean": "NET_DNSBL_CLEAN", "refused": "NET_DNSBL_REFUSED", "unknown": "NET_DNS_UNAVAILABLE"}


def _dnsbl_code(zone: str, return_code: str | None, reg: Registry) -> str:
    for z, prefix, code in reg.dnsbl:
        if z == zone and return_code and return_code.startswith(prefix):
            return code
    return "NET_DNSBL_LISTED"


def check(ex: Extraction, reg: Registry, net: NetworkEvidence) -> list[Finding]:
    domains = [lk.domain for lk in ex.links if lk.domain]
    if not domains:
        return []
    if not net.enabled:
        return [Finding("NET_CHECKS_OFF")]
    out: list[Finding] = []
    for domain in dict.fromkeys(domains):
        d = net.domains.get(domain)
        ev = (item("network", domain),)
        if d is None:
            out.append(Finding("NET_DNS_UNAVAILABLE", ev))
            continue
        out.append(Finding(_RESOLUTION[d.resolution], ev))
        for r in d.dnsbl:
            code = _dnsbl_code(r.zone, r.return_code, reg) if r.status == "listed" else _DNSBL[r.status]
            out.append(Finding(code, (item("network", f"{domain} @ {r.zone} {r.return_code or ''}".strip()),)))
    for link in ex.links:
        x = net.expansions.get(link.url)
        if x is None and link.domain in net.domains:
            x = net.domains[link.domain].expansion
        if x is None or x.status == "skipped":
            continue
        if x.status == "expanded" and x.final_url:
            out.append(Finding("NET_SHORTENER_EXPANDED", (item("network", x.final_domain or ""),)))
            final = parse_link(x.final_url, field="network")
            if final:
                out.extend(f for f in link_checks.check_link(final, reg, "network")
                           if f.code not in ("LINK_OBFUSCATED",))
        elif x.status == "blocked":
            out.append(Finding("NET_SHORTENER_BLOCKED", (item("network", x.why or "blocked"),)))
        else:
            out.append(Finding("NET_SHORTENER_FAILED", (item("network", x.why or "failed"),)))
    return out
