"""Network probes of one request: every DNS, DNSBL and expansion lookup under one deadline.

`Probes` is created once per process (an aiohttp cleanup context calls `start`/`close`) and
shares its cache across requests. `gather` never raises and never waits past the deadline: what
has not arrived by then is "unknown" and `timed_out` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
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
from verifier.net.dns import A, Answer, DnsClient, resolution_of, to_name
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
        deadline = loop.time() + self.budget
        resolved: dict[str, Resolution] = {}
        listed: dict[tuple[str, str], DnsblResult] = {}
        expanded: dict[str, ExpansionResult] = {}
        extra: list[str] = []  # final domains of expansions, probed once known
        zones = self.settings.dnsbl_zone_list
        # Wait on the shared queries themselves: cached answers are filled in at once, and no
        # per-request wrapper task or shield is created, so N requests waiting on one popular
        # name cost N callbacks, not N tasks.
        slots: dict[asyncio.Future[Any], list[tuple[str, str | None]]] = {}

        def fill(domain: str, zone: str | None, answer: Answer) -> None:
            if zone is None:
                resolved[domain] = resolution_of(answer)
            else:
                listed[domain, zone] = dnsbl.interpret(zone, answer)

        for domain in picked:
            for zone, qname in [(None, to_name(domain))] + [
                (z, dnsbl.query_name(domain, z)) for z in zones
            ]:
                if qname is None:
                    continue  # unusable name: stays "unknown", no query
                answer = self.dns.peek(qname, A)
                if answer is not None:
                    fill(domain, zone, answer)
                else:
                    slots.setdefault(self.dns.lookup_task(qname, A), []).append((domain, zone))

        async def expand(url: str) -> None:
            assert self._expander is not None
            result = await self._expander.expand(url)
            expanded[url] = result
            final = result.final_domain
            # IP literals and unusable names have no DNS evidence to add
            if final and final not in picked and final not in extra and to_name(final):
                extra.append(final)

                async def res() -> None:
                    resolved[final] = await self.dns.resolve(final)

                async def bl(zone: str) -> None:
                    listed[final, zone] = await dnsbl.lookup(self.dns, final, zone)

                await asyncio.gather(res(), *(bl(z) for z in zones))

        own: set[asyncio.Future[Any]] = set()  # this request's tasks: cancelled at the deadline
        if urls and self._expander is not None:
            own = {asyncio.ensure_future(expand(url)) for url in urls}
            deadline += self.expand_timeout
        else:
            expanded = {u: ExpansionResult("skipped", why="disabled") for u in urls}

        pending: set[asyncio.Future[Any]] = set()
        try:
            if slots or own:
                done, pending = await asyncio.wait(
                    {*slots, *own}, timeout=max(0.0, deadline - loop.time())
                )
                for task in done & slots.keys():
                    if not task.cancelled() and task.exception() is None:
                        for domain, zone in slots[task]:
                            fill(domain, zone, task.result()[0])
        finally:  # also when the request itself is cancelled (client went away)
            for task in own:
                task.cancel()
            if own:
                await asyncio.gather(*own, return_exceptions=True)

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
            log.debug(
                "probes: deadline passed, %d of %d waits pending",
                len(pending),
                len(slots) + len(own),
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
