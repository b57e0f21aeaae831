"""The application factory: `create_app(settings)` builds the one aiohttp app, for serve and tests.

Each shared resource has its own cleanup context with exactly one `yield`: the registry holder
(loaded at start; an invalid registry is fatal), its reload watcher, the network probes, the
Redis link (when VERIFIER_REDIS_URL is set) and the rate limiter's store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import HttpVersion11, web

from verifier.analysis.urls import registered_domain
from verifier.net.probes import Probes
from verifier.registry.holder import RegistryHolder, watch
from verifier.settings import Settings
from verifier.web import handlers, keys
from verifier.web.body import refused_unread
from verifier.web.docs import render_docs
from verifier.web.embed import setup_embed
from verifier.web.limits import ConcurrencyLimiter, InFlight
from verifier.web.logs import event
from verifier.web.metrics import Metrics
from verifier.web.middleware import client_has_nothing_left, guard, outer
from verifier.web.openapi import build_openapi
from verifier.web.shared import RedisLink, connect, shared_limiter

_LOAD_ON_START = web.AppKey("load_registry_on_start", bool)


class StartupError(Exception):
    """The service must not start; the message says why and what to do."""


async def registry_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load the registry before the first request. An invalid one at start-up is fatal."""
    holder = app[keys.REGISTRY_HOLDER]
    if app[_LOAD_ON_START] and holder.current is None:
        path = app[keys.SETTINGS].registry
        if not await holder.reload() or holder.current is None:
            raise StartupError(
                f"the registry {path} cannot be served:\n{holder.last_error}\n"
                f"Fix it (run `verifier registry check {path}`) or point VERIFIER_REGISTRY "
                "at a valid file."
            )
        event("registry_loaded", version=holder.current.version)
    yield
    aclose = getattr(holder, "aclose", None)  # tests may pass a stand-in without one
    if aclose is not None:
        await aclose()


async def reload_registry(app: web.Application) -> bool:
    """Rebuild the registry beside the old one and swap; on failure the old one keeps serving."""
    holder = app[keys.REGISTRY_HOLDER]
    ok = await holder.reload()
    current = holder.current
    # a refused file is what an operator must see: a warning, not one more info line
    event("registry_reload", logging.INFO if ok else logging.WARNING, ok=ok,
          version=current.version if current else None, error=holder.last_error if not ok else None)
    return ok


async def watcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """Watch the registry files (and SIGHUP); a changed, stable file is reloaded."""
    task = None
    if app[_LOAD_ON_START]:
        holder = app[keys.REGISTRY_HOLDER]
        task = asyncio.create_task(watch(holder, app[keys.SETTINGS].reload_interval_s,
                                         reload=lambda: reload_registry(app)))
    yield
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def probes_ctx(app: web.Application) -> AsyncIterator[None]:
    """DNS and link-expansion probes, only when network checks are on."""
    settings = app[keys.SETTINGS]
    probes: Probes | None = None
    if settings.network_checks == "on":
        probes = Probes(settings, domain_of=registered_domain)
        await probes.start()
    app[keys.PROBES] = probes
    yield
    if probes is not None:
        await probes.close()


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """The Redis link and its health watch. Redis down at start-up is not fatal: the service
    starts on per-process limits and switches to the shared ones when Redis answers."""
    settings = app[keys.SETTINGS]
    link: RedisLink | None = None
    task: asyncio.Task[None] | None = None
    if settings.redis_url:
        try:
            client = connect(settings.redis_url, settings.redis_timeout_ms / 1000)
        except ValueError as exc:
            raise StartupError(f"VERIFIER_REDIS_URL cannot be used: {exc}. Write it like "
                               "redis://host:6379/0, or unset it for in-process state.") from exc
        link = RedisLink(client, on_change=app[keys.METRICS].observe_redis)
        await link.ping()
        task = asyncio.create_task(link.run())
    app[keys.REDIS] = link
    yield
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if link is not None:
        await link.close()


async def rate_limiter_ctx(app: web.Application) -> AsyncIterator[None]:
    """The per-client rate limit: shared in Redis when configured, else in this process."""
    count, per = app[keys.SETTINGS].rate
    limiter = shared_limiter(app[keys.REDIS], count, per, scope="client")
    app[keys.RATE_LIMITER] = limiter
    yield
    await limiter.close()


async def expect_continue(request: web.Request) -> None:
    """Say "100 Continue" only to a body we would read: an oversized one gets the 413 problem
    from the handler, a text/plain or x-gzip one the 415, a client or partner key with nothing
    left the 429, without the client sending it (the 415 and 429 came after the client had been
    asked for the body); an unknown Expect value is ignored."""
    if request.version != HttpVersion11 or request.headers.get("Expect", "").lower() != "100-continue":
        return
    if refused_unread(request, request.app[keys.SETTINGS].max_body_bytes):
        return
    for refused in request.app[keys.REFUSED_UNREAD]:  # a client or key with nothing left
        if await refused(request):
            return
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0


def _default_holder(settings: Settings) -> RegistryHolder:
    return RegistryHolder(settings.registry)


def create_app(settings: Settings, *, registry_holder: RegistryHolder | None = None) -> web.Application:
    """The web app. Tests pass their own `registry_holder` (then it is not loaded at start)."""
    app = web.Application(middlewares=[outer, guard], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    app[_LOAD_ON_START] = registry_holder is None
    app[keys.REGISTRY_HOLDER] = (
        registry_holder if registry_holder is not None else _default_holder(settings)
    )
    app[keys.METRICS] = Metrics()
    app[keys.CONCURRENCY] = ConcurrencyLimiter(settings.max_concurrency)
    app[keys.IN_FLIGHT] = InFlight()
    app[keys.OPENAPI] = build_openapi()
    app[keys.DOCS_HTML] = render_docs(app[keys.OPENAPI])
    app[keys.REFUSED_UNREAD] = [client_has_nothing_left]
    app.cleanup_ctx.extend([registry_ctx, watcher_ctx, probes_ctx, redis_ctx,
                            rate_limiter_ctx])

    r = app.router
    r.add_post("/v1/verify", handlers.verify, name="verify", expect_handler=expect_continue)
    r.add_post("/v1/verify/batch", handlers.verify_batch, name="verify_batch",
               expect_handler=expect_continue)
    r.add_get("/v1/registry", handlers.registry_status, name="registry")
    r.add_get("/healthz", handlers.healthz, name="healthz")
    r.add_get("/readyz", handlers.readyz, name="readyz")
    r.add_get("/metrics", handlers.metrics, name="metrics")
    r.add_get("/openapi.json", handlers.openapi, name="openapi")
    r.add_get("/docs", handlers.docs, name="docs")
    setup_embed(app, settings)
    return app
