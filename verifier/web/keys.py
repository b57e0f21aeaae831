"""Typed application keys: every shared object of the web app is declared here, once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from verifier.net.probes import Probes
from verifier.registry.holder import RegistryHolder
from verifier.settings import Settings
from verifier.web.limits import ConcurrencyLimiter, InFlight, RateLimiter
from verifier.web.metrics import Metrics
from verifier.web.shared import RedisLink

SETTINGS = web.AppKey("settings", Settings)
REGISTRY_HOLDER = web.AppKey("registry_holder", RegistryHolder)
# None when settings.network_checks == "off": the engine then reports the NET_ checks as not run.
PROBES = web.AppKey[Probes | None]("probes")
RATE_LIMITER = web.AppKey[RateLimiter]("rate_limiter")
# None when settings.redis_url is unset: every limit is then counted in this process.
REDIS = web.AppKey[RedisLink | None]("redis")
CONCURRENCY = web.AppKey("concurrency", ConcurrencyLimiter)
IN_FLIGHT = web.AppKey("in_flight", InFlight)
METRICS = web.AppKey("metrics", Metrics)
OPENAPI = web.AppKey[dict[str, Any]]("openapi")
DOCS_HTML = web.AppKey("docs_html", str)
# Checks that would refuse a verify request before its body is read (a client or partner key
# with nothing left): "Expect: 100-continue" is then not answered "100 Continue".
REFUSED_UNREAD = web.AppKey[list[Callable[[web.Request], Awaitable[bool]]]]("refused_unread")
