"""One verification, end to end: extract, gather network evidence, evaluate.

Shared by the HTTP handlers and the command line so both give the same answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from verifier.analysis.evidence import NetworkEvidence
from verifier.analysis.extract import extract
from verifier.engine import Evidence, answer
from verifier.models import VerifyRequest, VerifyResponse
from verifier.registry.compiled import Registry

if TYPE_CHECKING:
    from collections.abc import Iterable


class Probes(Protocol):
    async def gather(self, domains: Iterable[str], urls_for_expansion: Iterable[str] = ()) -> NetworkEvidence: ...


async def verify(
    req: VerifyRequest, registry: Registry, lang: str, probes: Probes | None = None,
    request_id: str | None = None,
) -> VerifyResponse:
    return VerifyResponse.model_validate(await verify_answer(req, registry, lang, probes, request_id))


async def verify_answer(
    req: VerifyRequest, registry: Registry, lang: str, probes: Probes | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The answer as `verify(...).model_dump(mode="json")` without building the models:
    what the HTTP handlers send (engine.to_json gives the model's exact JSON)."""
    ex = extract(req, registry)
    network = NetworkEvidence.off()
    if probes is not None and ex.links:
        domains = [lk.domain for lk in ex.links if lk.domain]
        expand = [lk.url for lk in ex.links if lk.domain in registry.shorteners or lk.host in registry.shorteners]
        network = await probes.gather(domains, expand)
    return answer(Evidence(ex, network), registry, lang, request_id)
