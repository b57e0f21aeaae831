"""Typed application keys: every shared object of the web app is declared here, once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from verifier.settings import Settings
from verifier.web.limits import ConcurrencyLimiter, InFlight, RateLimiter
from verifier.web.metrics import Metrics

if TYPE_CHECKING:
    from verifier.net.probes import Probes
    from verifier.registry.holder import RegistryHolder

SETTINGS = web.AppKey("settings", Settings)
REGISTRY_HOLDER = web.AppKey["RegistryHolder"]("registry_holder")
# None when settings.network_checks == "off": the engine then reports the NET_ checks as not run.
PROBES = web.AppKey["Probes | None"]("probes")
RATE_LIMITER = web.AppKey["RateLimiter"]("rate_limiter")
CONCURRENCY = web.AppKey("concurrency", ConcurrencyLimiter)
METRICS = web.AppKey("metrics", Metrics)
OPENAPI = web.AppKey["dict[str, Any]"]("openapi")
DOCS_HTML = web.AppKey("docs_html", str)
IN_FLIGHT = web.AppKey("in_flight", InFlight)
