"""Middlewares: request ids, problem rendering, the catch-all, metrics and the access log;
then the per-client rate limit and the concurrency bound on the verify routes."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import web

from verifier.web import keys
from verifier.web.body import read_json_object, request_cost
from verifier.web.framing import framing_problem
from verifier.web.limits import rate_key
from verifier.web.logs import event
from verifier.web.metrics import method_label
from verifier.web.problems import ProblemError, from_http_exception, problem_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REQUEST_ID = web.RequestKey("request_id", str)
# Filled by the verify handlers for the access event and metrics: verdicts and reason codes.
OUTCOMES = web.RequestKey("outcomes", list)
REGISTRY_VERSION = web.RequestKey("registry_version", str)
# Limits besides the client's (a partner key's), set by middlewares before `guard`: each has
# already refused a request with nothing left before its body was read, and is charged here once
# the request's cost is known, raising its own 429 problem.
CHARGES = web.RequestKey("charges", list)

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# A client's id goes into our log: one carrying seven or more digits in a row (a phone, card or ID
# number a client used as its id) is replaced by ours, so no such number reaches a log line.
_NUMBER_IN_ID = re.compile(r"\d(?:[._-]?\d){6}")
# Routes whose work is the engine's: rate limited and bounded in concurrency.
GUARDED_ROUTES = frozenset({"verify", "verify_batch"})
OVERLOAD_RETRY_AFTER = "1"


def route_template(request: web.Request) -> str:
    """The matched route's template ("/v1/verify"), never the raw path a client sent."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(unmatched)"


class _Ids:
    """Our request ids: 32 hex characters, a random per-process prefix and a counter. Unique
    across workers and restarts without a random draw (a system call) per request; they are
    labels, not secrets."""

    def __init__(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count(1)

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


_ids = _Ids()
os.register_at_fork(after_in_child=_ids.__init__)  # each worker its own prefix


def _request_id(request: web.Request) -> str:
    """The client's id if it gave exactly one sane id; else ours. Two X-Request-ID lines are
    the list "a, b" (refused on one line): the first was echoed while a proxy in front may log
    the last, so one request carried two ids across the logs."""
    given = request.headers.getall("X-Request-ID", ())
    if len(given) == 1 and _SANE_ID.match(given[0]) and not _NUMBER_IN_ID.search(given[0]):
        return given[0]
    return _ids.next()


@web.middleware
async def outer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: every response gets a request id, a problem body if it is an error, a metric
    and one access event. Unexpected exceptions become a 500 problem without internals."""
    started = time.perf_counter()
    rid = _request_id(request)
    request[REQUEST_ID] = rid
    request[OUTCOMES] = []
    in_flight = request.app[keys.IN_FLIGHT]
    in_flight.enter()
    try:
        response = await _handle(request, handler, rid)
        if in_flight.draining:  # shutting down: no further requests on this connection
            response.force_close()
        response.headers["X-Request-ID"] = rid
        _account(request, response.status, time.perf_counter() - started)
        return response
    finally:
        in_flight.leave()


async def _handle(request: web.Request, handler: Handler, rid: str) -> web.StreamResponse:
    if (faulty := framing_problem(request)) is not None:
        response = problem_response(faulty, rid)
        response.force_close()
        return response
    try:
        response = await handler(request)
    except ProblemError as exc:
        response = problem_response(exc, rid)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = problem_response(from_http_exception(exc), rid)
    except Exception as exc:  # noqa: BLE001 - the catch-all: log the type and where, never the message
        event("unhandled_error", logging.ERROR, request_id=rid, route=route_template(request),
              error=type(exc).__name__, where="".join(traceback.format_tb(exc.__traceback__)))
        response = problem_response(
            ProblemError(500, "The service failed on this request; quote the request id if you "
                              "report it."), rid)
    return response


def _account(request: web.Request, status: int, seconds: float) -> None:
    route = route_template(request)
    outcomes = request.get(OUTCOMES, [])
    app = request.app
    app[keys.METRICS].observe_request(route, request.method, status, seconds)
    verdicts = [verdict for verdict, _ in outcomes]
    codes = sorted({code for _, cs in outcomes for code in cs})
    event(
        "access",
        request_id=request[REQUEST_ID],
        method=method_label(request.method),
        route=route,
        status=status,
        verdict=(verdicts[0] if len(verdicts) == 1 else verdicts) or None,
        codes=codes or None,
        registry=request.get(REGISTRY_VERSION),
        ms=round(seconds * 1000, 2),
    )


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Per-client rate limit, then the body (read under its deadline, outside the bound: a client
    trickling its body is not being analysed), then the concurrency bound: past it a fast 503,
    never a queue. A batch is charged one per notice, so its body is read before the limit is
    charged; a client with nothing left is refused before that read (its body is never read).
    The other limits of the request (CHARGES) are charged the same cost after the client's."""
    route = request.match_info.route.name
    if route not in GUARDED_ROUTES:
        return await handler(request)
    app = request.app
    settings = app[keys.SETTINGS]
    key = _client_key(request)
    limiter = app[keys.RATE_LIMITER]
    if route == "verify_batch":
        wait = await limiter.retry_after(key)
        if wait:
            raise _too_many(request, wait, batch=True)
    cost, body_problem = await request_cost(request, settings.max_body_bytes, settings.read_timeout_s)
    allowed, retry_after = await limiter.hit(key, cost)
    if not allowed:
        raise _too_many(request, retry_after, batch=cost > 1)
    for charge in request.get(CHARGES, ()):
        await charge(cost)
    if body_problem is not None:
        raise body_problem
    await read_json_object(request, settings.max_body_bytes, settings.read_timeout_s)
    limiter = app[keys.CONCURRENCY]
    if not limiter.try_acquire():
        app[keys.METRICS].overloaded.inc()
        raise ProblemError(503, "The service is busy; retry in a moment.",
                           headers={"Retry-After": OVERLOAD_RETRY_AFTER})
    app[keys.METRICS].in_flight.inc()
    try:
        return await handler(request)
    finally:
        limiter.release()
        app[keys.METRICS].in_flight.dec()


def _client_key(request: web.Request) -> str:
    settings = request.app[keys.SETTINGS]
    return rate_key(request.remote, request.headers.getall("X-Forwarded-For", ()),
                    settings.proxy_networks)


async def client_has_nothing_left(request: web.Request) -> bool:
    """The client would be refused 429 before its body is read (keys.REFUSED_UNREAD)."""
    return bool(await request.app[keys.RATE_LIMITER].retry_after(_client_key(request)))


def _too_many(request: web.Request, retry_after: int, *, batch: bool) -> ProblemError:
    """The 429 for a client over its limit (counted in the metrics)."""
    request.app[keys.METRICS].rate_limited.inc()
    limit = request.app[keys.SETTINGS].rate_limit
    return ProblemError(429, f"Too many requests from this client (limit {limit}"
                             f"{'; each notice of a batch counts' if batch else ''}); "
                             f"retry in {retry_after} s.", headers={"Retry-After": str(retry_after)})
