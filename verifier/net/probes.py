"""Network probes of one request: every DNS, DNSBL and expansion lookup under one deadline.

`Probes` is created once per process (an aiohttp cleanup context calls `start`/`close`) and
shares its cache across requests. `gather` never raises and never waits past the deadline: what
has not arrived by then is "unknown" and `timed_out` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Self

from yarl import URL

from verifier.analysis.evidence import (
    DnsblResult,
    DomainEvidence,
    ExpansionResult,
    NetworkEvidence,
    Resolution,
)
from verifier.net import dnsbl
from verifier.net.dns import DnsClient
from verifier.net.expand import Expander
from verifier.settings import Settings

log = logging.getLogger(__name__)


class Probes:
    def __init__(
        self,
        settings: Settings,
        *,
        dns: DnsClient | None = None,
        expander: Expander | None = None,
        max_domains: int = 20,
        max_expansions: int = 3,
        expand_timeout: float = 2.0,
        domain_of: Callable[[str], str] = str.lower,
    ) -> None:
        """`domain_of` maps a host to the registered domain the engine keys evidence by."""
        self.settings = settings
        self.budget = settings.dns_timeout_ms / 1000
        self.max_domains = max_domains
        self.max_expansions = max_expansions
        self.expand_timeout = expand_timeout
        self._domain_of = domain_of
        self._dns = dns
        self._expander = expander

    @property
    def dns(self) -> DnsClient:
        if self._dns is None:
            raise RuntimeError("Probes.start() was not called")
        return self._dns

    async def start(self) -> None:
        if self.settings.network_checks == "off":
            return
        if self._dns is None:
            # reads /etc/resolv.conf when no nameservers are configured: do it once, here
            self._dns = DnsClient(self.settings.nameservers, self.budget)
        if self._expander is None and self.settings.expand_shorteners == "on":
            self._expander = Expander(
                self._dns, timeout=self.expand_timeout, domain_of=self._domain_of
            )

    async def close(self) -> None:
        if self._dns is not None:
            await self._dns.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def gather(
        self, domains: Iterable[str], urls_for_expansion: Iterable[str] = ()
    ) -> NetworkEvidence:
        """Evidence about `domains` (keys as given) and expansions of the given short URLs."""
        if self.settings.network_checks == "off":
            return NetworkEvidence.off()
        try:
            picked = _first_distinct(domains, self.max_domains)
            urls = _first_distinct(urls_for_expansion, self.max_expansions)
        except Exception:  # noqa: BLE001 - a caller's iterable that raises: nothing to probe
            return NetworkEvidence(enabled=True, timed_out=False)
        try:
            return await self._gather(picked, urls)
        except Exception as exc:  # noqa: BLE001 - a verdict without network evidence beats a 500
            # the type only: messages and tracebacks can hold domains, which are personal data
            log.error("probes: unexpected error %s; all unknown", type(exc).__name__)
            return NetworkEvidence(enabled=True, domains={d: DomainEvidence(d) for d in picked})

    async def _gather(self, picked: list[str], urls: list[str]) -> NetworkEvidence:
        loop = asyncio.get_running_loop()
        resolved: dict[str, Resolution] = {}
        listed: dict[tuple[str, str], DnsblResult] = {}
        expanded: dict[str, ExpansionResult] = {}
        extra: list[str] = []  # final domains of expansions, probed once known
        zones = self.settings.dnsbl_zone_list
        tasks: set[asyncio.Task[None]] = set()

        def spawn(coro: Coroutine[Any, Any, None]) -> None:
            tasks.add(asyncio.ensure_future(coro))

        async def probe(domain: str) -> None:
            async def res() -> None:
                resolved[domain] = await self.dns.resolve(domain)

            async def bl(zone: str) -> None:
                listed[domain, zone] = await dnsbl.lookup(self.dns, domain, zone)

            await asyncio.gather(res(), *(bl(z) for z in zones))

        async def expand(url: str) -> None:
            assert self._expander is not None
            result = await self._expander.expand(url)
            expanded[url] = result
            final = result.final_domain
            if final and final not in picked and final not in extra:
                extra.append(final)
                await probe(final)

        for domain in picked:
            spawn(probe(domain))
        deadline = loop.time() + self.budget
        if urls and self._expander is not None:
            for url in urls:
                spawn(expand(url))
            deadline += self.expand_timeout
        else:
            expanded = {u: ExpansionResult("skipped", why="disabled") for u in urls}

        pending: set[asyncio.Task[None]] = set()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
            for task in pending:
                task.cancel()  # only stops waiting: shared queries go on for other requests
            await asyncio.gather(*tasks, return_exceptions=True)

        for url in urls:  # still following redirects at the deadline
            expanded.setdefault(url, ExpansionResult("failed", why="timeout"))
        first_expansion: dict[str, ExpansionResult] = {}
        for url in urls:
            first_expansion.setdefault(self._url_domain(url), expanded[url])

        def evidence(domain: str) -> DomainEvidence:
            return DomainEvidence(
                domain=domain,
                resolution=resolved.get(domain, "unknown"),
                dnsbl=tuple(listed.get((domain, z), DnsblResult(z, "unknown")) for z in zones),
                expansion=first_expansion.get(domain),
            )

        out = {d: evidence(d) for d in [*picked, *extra]}
        if pending:
            log.info(
                "probes: deadline passed with %d of %d lookups pending", len(pending), len(tasks)
            )
        return NetworkEvidence(
            enabled=True, domains=out, timed_out=bool(pending), expansions=expanded
        )

    def _url_domain(self, url: str) -> str:
        try:
            host = URL(url.strip()).host or ""
        except (ValueError, TypeError):
            return ""
        return self._domain_of(host.rstrip(".")) if host else ""


def _first_distinct(items: Iterable[str], limit: int) -> list[str]:
    out: list[str] = []
    for item in items:
        if len(out) >= limit:
            break
        if isinstance(item, str) and item.strip() and item not in out:
            out.append(item)
    return out
