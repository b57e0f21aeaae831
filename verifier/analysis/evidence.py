"""Facts gathered about one notice: what the text holds and what the network said.

The engine (`evaluate`) only reads these frozen objects; probes fill `NetworkEvidence`.
Every probe outcome distinguishes "found", "not found" and "could not check".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Resolution = Literal["exists", "nxdomain", "unknown"]
"""exists: the name has records; nxdomain: it does not exist; unknown: could not check."""


@dataclass(frozen=True, slots=True)
class DnsblResult:
    zone: str
    status: Literal["listed", "clean", "unknown", "refused"]
    return_code: str | None = None  # e.g. "127.0.1.2"; the lowest when several came back
    return_codes: tuple[str, ...] = ()  # every code the zone returned, sorted


@dataclass(frozen=True, slots=True)
class ExpansionResult:
    status: Literal["expanded", "blocked", "failed", "skipped"]
    final_url: str | None = None
    final_domain: str | None = None
    hops: int = 0
    why: str | None = None  # machine word, e.g. "private_address", "timeout", "too_many_hops"


@dataclass(frozen=True, slots=True)
class DomainEvidence:
    domain: str  # registered domain as extracted
    resolution: Resolution = "unknown"
    dnsbl: tuple[DnsblResult, ...] = ()
    expansion: ExpansionResult | None = None


@dataclass(frozen=True, slots=True)
class NetworkEvidence:
    """What the probes found. `enabled=False`: network checks are off (no probe ran)."""

    enabled: bool
    domains: dict[str, DomainEvidence] = field(default_factory=dict)
    timed_out: bool = False
    # per submitted URL (a domain can host several short links); DomainEvidence.expansion
    # holds the first one for that domain
    expansions: dict[str, ExpansionResult] = field(default_factory=dict)

    @classmethod
    def off(cls) -> NetworkEvidence:
        return cls(enabled=False)
