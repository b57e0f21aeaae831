"""The DNS stand-in for the network-checks run: tests/dns_server.py (a real UDP/TCP DNS server)
on loopback, answering every link domain of the corpus. Prints its port, then serves until killed.
Run: python bench/dns_standin.py"""

from __future__ import annotations

import asyncio
import sys

from mix import ROOT, bodies, corpus

sys.path.insert(0, str(ROOT / "tests"))
from dns_server import DnsServer


def link_domains() -> set[str]:
    import json

    from verifier.analysis.extract import extract
    from verifier.models import VerifyRequest
    from verifier.registry.compiled import load_registry
    from verifier.settings import bundled_registry_path

    reg = load_registry(bundled_registry_path())
    out: set[str] = set()
    for body in bodies(corpus()):
        ex = extract(VerifyRequest.model_validate(json.loads(body)), reg)
        out.update(lk.domain for lk in ex.links if lk.domain)
    return out


async def main() -> None:
    server = DnsServer(soa_ttl=3600, soa_minimum=3600)
    for i, domain in enumerate(sorted(link_domains())):
        if i % 3:  # two thirds resolve, one third NXDOMAIN (cached negatively)
            server.a(domain, f"203.0.113.{i % 250 + 1}", ttl=3600)
    await server.start()
    print(server.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
