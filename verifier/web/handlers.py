"""Route handlers: parse with pydantic, call the engine, serialise. Nothing else lives here."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from verifier import service
from verifier.engine import to_json
from verifier.models import VerifyRequest
from verifier.web import keys
from verifier.web.body import MAX_BATCH, MAX_ERRORS, check_values, parse_notice, read_json_object
from verifier.web.lang import choose
from verifier.web.logs import event
from verifier.web.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from verifier.web.metrics import as_timestamp
from verifier.web.middleware import OUTCOMES, REGISTRY_VERSION, REQUEST_ID
from verifier.web.problems import ProblemError, problem_body
from verifier.web.schemas import Health, Ready, RedisState, RegistryState, RegistryStatus

NOT_READY_RETRY_AFTER = "2"


def _json(model: BaseModel | dict[str, Any], status: int = 200) -> web.Response:
    # pydantic's own serialiser straight to UTF-8 bytes: ~3x faster than model_dump + json.dumps
    # (bench/run.py), and byte for byte what `verifier check --json` prints.
    body = (model.__pydantic_serializer__.to_json(model) if isinstance(model, BaseModel)
            else json.dumps(model, ensure_ascii=False).encode())
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


def _registry_state(app: web.Application) -> RegistryState:
    holder = app[keys.REGISTRY_HOLDER]
    current = holder.current
    return RegistryState(loaded=current is not None,
                         version=current.version if current is not None else None,
                         last_reload_error=holder.last_error)


def _redis_state(app: web.Application) -> dict[str, Any]:
    """Redis as /readyz reports it; only `configured: false` without VERIFIER_REDIS_URL."""
    link = app.get(keys.REDIS)
    if link is None:
        state = RedisState(configured=bool(app[keys.SETTINGS].redis_url))
    else:
        state = RedisState(configured=True, up=link.up,
                           rate_limit_backend="redis" if link.up else "memory",
                           since=_iso(link.changed_at), last_error=link.last_error)
    return state.model_dump(mode="json", exclude_none=True)


def _not_ready(app: web.Application) -> ProblemError:
    return ProblemError(
        503, "The registry is not loaded yet; retry shortly.",
        headers={"Retry-After": NOT_READY_RETRY_AFTER},
        extra={"checks": {"registry": _registry_state(app).model_dump(),
                          "redis": _redis_state(app)}},
    )


def _registry(app: web.Application) -> Any:
    current = app[keys.REGISTRY_HOLDER].current
    if current is None:
        raise _not_ready(app)
    return current


async def _verify_one(request: web.Request, notice: VerifyRequest, registry: Any,
                      request_id: str) -> dict[str, Any]:
    """The VerifyResponse in JSON mode (service.verify_answer): no models built only to dump."""
    lang = choose(notice.lang, request.headers.get("Accept-Language"))
    answer = await service.verify_answer(notice, registry, lang, request.app[keys.PROBES], request_id)
    codes = [reason["code"] for reason in answer["reasons"]]
    request[OUTCOMES].append((answer["verdict"], codes))
    request.app[keys.METRICS].observe_verdict(answer["verdict"], codes)
    return answer


async def verify(request: web.Request) -> web.Response:
    app = request.app
    registry = _registry(app)
    settings = app[keys.SETTINGS]
    data = await read_json_object(request, settings.max_body_bytes, settings.read_timeout_s)
    notice = parse_notice(data)
    request[REGISTRY_VERSION] = registry.version
    answer = await _verify_one(request, notice, registry, request[REQUEST_ID])
    return web.Response(body=to_json(answer), content_type="application/json", charset="utf-8")


def _batch_notices(data: dict[str, Any]) -> list[Any]:
    check_values(list(data), ("body",))  # the keys; each notice is checked on its own
    errors: list[tuple[tuple[str | int, ...], str]] = [
        (("body", key), "unknown field; the batch takes only `notices`") for key in data if key != "notices"
    ]
    notices = data.get("notices")
    if not isinstance(notices, list):
        errors.append((("body", "notices"), "required: a list of 1 to 100 notice objects"))
    elif not 1 <= len(notices) <= MAX_BATCH:
        errors.append((("body", "notices"), f"must hold 1 to {MAX_BATCH} notices, not {len(notices)}"))
    if errors:  # thousands of unknown keys fit in a body: the first ones say enough
        count = len(errors)
        lists = "lists why" if count <= MAX_ERRORS else f"lists the first {MAX_ERRORS} of {count}"
        raise ProblemError(422, f"The batch is invalid; `errors` {lists}.", errors=errors[:MAX_ERRORS])
    assert isinstance(notices, list)
    return notices


async def verify_batch(request: web.Request) -> web.Response:
    app = request.app
    registry = _registry(app)
    settings = app[keys.SETTINGS]
    data = await read_json_object(request, settings.max_body_bytes, settings.read_timeout_s)
    items = _batch_notices(data)
    rid = request[REQUEST_ID]
    request[REGISTRY_VERSION] = registry.version

    async def one(index: int, item: Any) -> dict[str, Any]:
        try:
            notice = parse_notice(item, ("body", "notices", index))
            answer = await _verify_one(request, notice, registry, f"{rid}.{index}")
        except ProblemError as exc:
            return {"error": problem_body(exc.problem(rid))}
        except Exception as exc:  # noqa: BLE001 - one failing item must not fail the other 99
            event("unhandled_error", logging.ERROR, request_id=rid, item=index,
                  error=type(exc).__name__)
            error = ProblemError(500, f"The service failed on notice {index}; quote the request id.")
            return {"error": problem_body(error.problem(rid))}
        return answer

    results = await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
    return _json({"results": list(results)})


def _iso(value: Any) -> str | None:
    ts = as_timestamp(value)
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


async def registry_status(request: web.Request) -> web.Response:
    app = request.app
    current = _registry(app)
    holder = app[keys.REGISTRY_HOLDER]
    loaded_at = getattr(current, "loaded_at", None) or holder.loaded_at
    return _json(RegistryStatus(version=current.version, loaded_at=_iso(loaded_at),
                                counts=current.counts(), last_reload_error=holder.last_error))


async def healthz(request: web.Request) -> web.Response:
    return _json(Health(status="ok"))


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    state = _registry_state(app)
    if not state.loaded:
        raise _not_ready(app)
    # Redis down is degraded, not unready: still 200, and the detail says limits are per process.
    body = Ready(status="ready", registry=state, redis=RedisState(configured=False))
    return _json(body.model_dump(mode="json") | {"redis": _redis_state(app)})


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    holder = app[keys.REGISTRY_HOLDER]
    current = holder.current
    app[keys.METRICS].observe_registry(
        current.version if current is not None else None,
        ok=holder.last_error is None and current is not None,
        loaded_at=as_timestamp(getattr(current, "loaded_at", None) or holder.loaded_at),
    )
    response = web.Response(body=app[keys.METRICS].render())
    response.headers["Content-Type"] = METRICS_CONTENT_TYPE
    return response


async def openapi(request: web.Request) -> web.Response:
    return _json(request.app[keys.OPENAPI])


async def docs(request: web.Request) -> web.Response:
    response = web.Response(text=request.app[keys.DOCS_HTML], content_type="text/html")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
