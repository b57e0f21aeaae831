"""The embeddable check: /embed (the page), /embed.js (the loader), /widget/* (its assets), and
the partner gate on the verify API (keys, CORS, per-key rate limits).

`create_app` calls `setup_embed(app, settings)` once. Who may frame /embed and who may call the
API from a browser both follow the partners file (see partners.py); with no file the page is
served on this origin only.
"""

from __future__ import annotations

import hashlib
import html
import re
import string
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from verifier.settings import Settings
from verifier.web import keys
from verifier.web.lang import choose
from verifier.web.limits import RateLimiter
from verifier.web.middleware import CHARGES, GUARDED_ROUTES, Handler, guard
from verifier.web.partners import (
    NO_PARTNERS,
    Partner,
    Partners,
    PartnersError,
    load_partners,
    origin_of,
)
from verifier.web.problems import ProblemError
from verifier.web.shared import shared_limiter

LANGS = ("zh-Hans", "zh-Hant", "en")
PARTNER_KEY_HEADER = "X-Verifier-Key"
PREFLIGHT_MAX_AGE = "600"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True)
class Assets:
    """The widget's files, read once from the package; `version` busts caches when they change."""

    files: dict[str, Asset]
    page: string.Template
    refusal: string.Template
    version: str


# Declared here rather than in keys.py so the widget stays one separable piece.
PARTNERS = web.AppKey("partners", Partners)
PARTNER_LIMITERS = web.AppKey["dict[str, RateLimiter]"]("partner_limiters")
ASSETS = web.AppKey("embed_assets", Assets)

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_SERVED = ("widget.js", "widget.css", "embed.js")


def load_assets() -> Assets:
    root = resources.files("verifier.widget")
    files: dict[str, Asset] = {}
    digest = hashlib.sha256()
    for name in _SERVED:
        body = root.joinpath(name).read_bytes()
        digest.update(body)
        ext = name[name.rfind("."):]
        files[name] = Asset(body, _TYPES[ext], '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
    page = root.joinpath("embed.html").read_text(encoding="utf-8")
    refusal = root.joinpath("refused.html").read_text(encoding="utf-8")
    return Assets(files, string.Template(page), string.Template(refusal), digest.hexdigest()[:12])


# ---------------------------------------------------------------- headers


def page_csp(frame_ancestors: str) -> str:
    """Our pages: scripts and styles only as files from this origin, data only to this origin."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {frame_ancestors}"
    )


def _own_origins(request: web.Request) -> set[str]:
    """This service's origin as the browser sees it (either scheme: TLS may end at a proxy)."""
    host = request.host
    return {o for o in (origin_of(f"http://{host}"), origin_of(f"https://{host}")) if o}


def _common_headers(response: web.StreamResponse) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"


# ---------------------------------------------------------------- pages


def _lang(request: web.Request) -> str:
    asked = request.query.get("lang")
    return choose(asked if asked in LANGS else None, request.headers.get("Accept-Language"))


def _page(request: web.Request, *, key: str, parent: str, ancestors: str) -> web.Response:
    assets = request.app[ASSETS]
    lang = _lang(request)
    text = assets.page.substitute(
        lang=lang, key=html.escape(key), parent=html.escape(parent), v=assets.version,
    )
    response = web.Response(text=text, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = page_csp(ancestors)
    response.headers["Cache-Control"] = "no-cache"
    if ancestors == "'self'":
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    _common_headers(response)
    return response


def _refusal(request: web.Request, reason: str) -> web.Response:
    """A small page, never frameable, saying why the check is not shown here."""
    assets = request.app[ASSETS]
    text = assets.refusal.substitute(lang=_lang(request), reason=reason, v=assets.version)
    response = web.Response(text=text, status=403, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = page_csp("'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    _common_headers(response)
    return response


async def embed_page(request: web.Request) -> web.Response:
    """GET /embed[?key=K&lang=L&parent=ORIGIN]: the check, framed only by the key's origins."""
    partners = request.app[PARTNERS]
    key = request.query.get("key", "")
    parent_raw = request.query.get("parent", "")
    parent = origin_of(parent_raw) or ""
    own = _own_origins(request)
    if not key:
        if parent_raw and parent not in own:
            return _refusal(request, "no-key")
        return _page(request, key="", parent="", ancestors="'self'")
    partner = partners.get(key)
    if partner is None:
        return _refusal(request, "unknown-key")
    if parent_raw and not (partner.allows(parent) or parent in own):
        return _refusal(request, "origin")
    ancestors = " ".join(("'self'", *partner.origins))
    return _page(request, key=partner.key, parent=parent, ancestors=ancestors)


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    found = request.app[ASSETS].files.get(name) if name in ("widget.js", "widget.css") else None
    if found is None:
        raise web.HTTPNotFound()
    return _asset_response(request, found, cross_origin=False)


async def embed_js(request: web.Request) -> web.StreamResponse:
    return _asset_response(request, request.app[ASSETS].files["embed.js"], cross_origin=True)


# One element of an If-None-Match list (RFC 9110 sections 5.6.1, 8.8.3): an entity-tag (optional
# W/, then a quoted opaque value: no '"' inside, ',' may be) or nothing, then a comma or the end.
_LIST_ELEMENT = re.compile(r'\s*(?:(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*)?(?:,|\Z)')


def _not_modified(if_none_match: Iterable[str], etag: str) -> bool:
    """Whether If-None-Match (each field line of it) matches this representation's `etag`
    (RFC 9110 section 13.1.2): `*` matches any current one; otherwise a listed tag that compares
    weakly equal (W/"x" and "x" alike). A malformed line matches nothing, so the body is sent."""
    ours = etag.removeprefix("W/").strip('"')
    for line in if_none_match:
        line = line.strip()
        if line == "*":
            return True
        at, tags = 0, set[str | None]()
        while at < len(line) and (m := _LIST_ELEMENT.match(line, at)):
            tags.add(m[1])
            at = m.end()
        if at == len(line) and ours in tags:
            return True
    return False


def _asset_response(
    request: web.Request, found: Asset, *, cross_origin: bool
) -> web.StreamResponse:
    headers = {
        "ETag": found.etag,
        # embed.js is fetched by partner pages on every load: short cache, revalidated by ETag.
        "Cache-Control": "public, max-age=300",
        "Cross-Origin-Resource-Policy": "cross-origin" if cross_origin else "same-origin",
    }
    if _not_modified(request.headers.getall("If-None-Match", ()), found.etag):
        response: web.StreamResponse = web.Response(status=304, headers=headers)
    else:
        response = web.Response(body=found.body, headers=headers)
        response.headers["Content-Type"] = found.content_type
    _common_headers(response)
    return response


# ---------------------------------------------------------------- the API gate


def _refuse(detail: str) -> ProblemError:
    return ProblemError(403, detail, title="Forbidden")


def _allowed_cross_origin(request: web.Request) -> tuple[Partner | None, str | None]:
    """(the partner named by the key header, the page's origin if it is cross-origin and allowed
    for that partner). Pure header logic, shared by the gate and the CORS headers."""
    key = request.headers.get(PARTNER_KEY_HEADER)
    partner = request.app[PARTNERS].get(key.strip()) if key is not None else None
    origin = origin_of(request.headers.get("Origin"))
    if partner is None or origin is None or origin in _own_origins(request):
        return partner, None
    return partner, origin if partner.allows(origin) else None


@web.middleware
async def partner_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """On the verify routes: a request carrying a partner key must come from one of the key's
    origins (or from our own page); it then counts against the key's own rate limit. Runs before
    `guard`, so a bad key and a key with nothing left are refused before the body is read (a
    refused key's body was read in full, up to the read deadline); `guard` charges the key."""
    if request.match_info.route.name not in GUARDED_ROUTES or request.method != "POST":
        return await handler(request)
    if PARTNER_KEY_HEADER not in request.headers:  # an ordinary API client
        return await handler(request)
    partner, refusal = await _partner_refusal(request)
    if refusal is not None:
        if refusal.status == 429:
            request.app[keys.METRICS].rate_limited.inc()
        raise refusal
    assert partner is not None
    limiter = request.app[PARTNER_LIMITERS][partner.key]

    async def charge(cost: int) -> None:
        allowed, retry_after = await limiter.hit(partner.key, cost)
        if not allowed:
            request.app[keys.METRICS].rate_limited.inc()
            raise _partner_too_many(partner, retry_after)

    request.setdefault(CHARGES, []).append(charge)
    return await handler(request)


async def _partner_refusal(request: web.Request) -> tuple[Partner | None, ProblemError | None]:
    """The request's partner, or why it is refused before its body is read: the key is unknown,
    not enabled for the page's origin, or has nothing left (its limit read, not charged)."""
    partner, allowed_origin = _allowed_cross_origin(request)
    if partner is None:
        return None, _refuse(f"The {PARTNER_KEY_HEADER} given is not a known partner key. Check "
                             "the key in your script tag, or ask the operators to add your site.")
    origin_raw = request.headers.get("Origin")
    if origin_raw is not None and allowed_origin is None \
            and origin_of(origin_raw) not in _own_origins(request):
        return partner, _refuse("This partner key is not enabled for the page's origin "
                                f"({origin_of(origin_raw) or 'unknown'}). Ask the operators to "
                                "add the origin to the key.")
    wait = await request.app[PARTNER_LIMITERS][partner.key].retry_after(partner.key)
    return partner, (_partner_too_many(partner, wait) if wait else None)


async def _partner_refuses_unread(request: web.Request) -> bool:
    """keys.REFUSED_UNREAD for a request carrying a partner key (counted when answered)."""
    if PARTNER_KEY_HEADER not in request.headers:
        return False
    _partner, refusal = await _partner_refusal(request)
    return refusal is not None


def _partner_too_many(partner: Partner, retry_after: int) -> ProblemError:
    return ProblemError(
        429, f"Too many checks through this partner's widget (limit {partner.rate_limit}); "
             f"retry in {retry_after} s.", headers={"Retry-After": str(retry_after)})


async def _cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response to an allowed cross-origin verify call carries CORS, errors included
    (a 429 from any limiter must be readable by the page, so it can say "retry later")."""
    if request.match_info.route.name not in GUARDED_ROUTES or request.method != "POST":
        return
    response.headers.add("Vary", "Origin")
    _partner, origin = _allowed_cross_origin(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After, X-Request-ID"


async def preflight(request: web.Request) -> web.Response:
    """OPTIONS on the verify routes: allowed for any partner's origin (a preflight cannot carry
    the key's value; the actual request is checked against its key by partner_gate)."""
    origin = origin_of(request.headers.get("Origin"))
    response = web.Response(status=204)
    response.headers["Vary"] = "Origin"
    if origin is not None and origin in request.app[PARTNERS].all_origins \
            and request.headers.get("Access-Control-Request-Method", "").upper() == "POST":
        response.headers.update({
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": f"Content-Type, Accept-Language, {PARTNER_KEY_HEADER}",
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        })
    else:
        response.headers["Allow"] = "POST, OPTIONS"
    return response


# ---------------------------------------------------------------- wiring


async def partners_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load the partners file at start-up; an invalid one is fatal, naming file:line: field."""
    settings = app[keys.SETTINGS]
    try:
        app[PARTNERS] = load_partners(settings.partners)
    except PartnersError as exc:
        from verifier.web.app import StartupError  # app imports this module

        raise StartupError(f"the widget partners file cannot be used:\n{exc}\n"
                           "Fix it, or unset VERIFIER_PARTNERS to serve the widget on this "
                           "origin only.") from exc
    yield


async def partner_limiters_ctx(app: web.Application) -> AsyncIterator[None]:
    """One token bucket per partner key, at the rate the partners file gives it (in Redis,
    shared by every replica, when VERIFIER_REDIS_URL is set)."""
    limiters: dict[str, RateLimiter] = {}
    for partner in app[PARTNERS]:
        count, per = partner.rate
        limiters[partner.key] = shared_limiter(app[keys.REDIS], count, per, scope="partner",
                                               max_keys=1)
    app[PARTNER_LIMITERS] = limiters
    yield
    for limiter in limiters.values():
        await limiter.close()


def setup_embed(app: web.Application, settings: Settings) -> None:
    """Add the widget's routes, the partner gate and CORS to the app (before it starts)."""
    del settings  # read at start-up from app[keys.SETTINGS], like the other contexts
    app[PARTNERS] = NO_PARTNERS
    app[ASSETS] = load_assets()
    app.cleanup_ctx.extend([partners_ctx, partner_limiters_ctx])
    app.middlewares.insert(app.middlewares.index(guard), partner_gate)  # see partner_gate
    app[keys.REFUSED_UNREAD].append(_partner_refuses_unread)
    app.on_response_prepare.append(_cors_headers)
    r = app.router
    r.add_get("/embed", embed_page, name="embed")
    r.add_get("/embed.js", embed_js, name="embed_js")
    r.add_get("/widget/{name}", asset, name="widget_asset")
    r.add_route("OPTIONS", "/v1/verify", preflight, name="verify_preflight")
    r.add_route("OPTIONS", "/v1/verify/batch", preflight, name="verify_batch_preflight")
