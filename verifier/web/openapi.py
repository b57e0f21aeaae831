"""The OpenAPI 3.1 document of the service, generated from the pydantic models at start-up."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from verifier.models import BatchRequest, BatchResponse, Problem, VerifyRequest, VerifyResponse
from verifier.web.problems import PROBLEM_CONTENT_TYPE, TYPES
from verifier.web.schemas import Health, Ready, RegistryStatus

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]

# "At least one of text, sender, links, institution" (non-blank), written so that a generator
# of valid requests (schemathesis) produces only requests the service accepts.
_AT_LEAST_ONE = {
    "anyOf": [
        {"required": ["text"], "properties": {"text": {"type": "string", "pattern": r"\S"}}},
        {"required": ["sender"], "properties": {"sender": {"type": "string", "pattern": r"\S"}}},
        {"required": ["links"], "properties": {"links": {"type": "array", "minItems": 1}}},
        {"required": ["institution"],
         "properties": {"institution": {"type": "string", "pattern": r"\S"}}},
    ]
}


NO_NUL = "^[^\\x00]*$"  # NUL characters are refused (422), so the contract says so


def _forbid_nul(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and "enum" not in node:
            node.setdefault("pattern", NO_NUL)
        for value in node.values():
            _forbid_nul(value)
    elif isinstance(node, list):
        for value in node:
            _forbid_nul(value)


def _schema(components: dict[str, Any], model: type[BaseModel], mode: Mode) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _problem(status: int, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": TYPES[status][1],
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
    }
    if headers:
        out["headers"].update(headers)
    return out


def _ok(description: str, ref: dict[str, str], content_type: str = "application/json") -> dict[str, Any]:
    return {
        "description": description,
        "content": {content_type: {"schema": ref}},
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
    }


RETRY = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}


def build_openapi(version: str = "0.1.0") -> dict[str, Any]:
    c: dict[str, Any] = {}
    verify_req = _schema(c, VerifyRequest, "validation")
    _forbid_nul(c["VerifyRequest"]["properties"])
    c["VerifyRequest"] = c["VerifyRequest"] | _AT_LEAST_ONE
    batch_req = _schema(c, BatchRequest, "validation")
    # Any item is accepted: an invalid notice gets an inline error, not a failed batch.
    c["BatchRequest"]["properties"]["notices"]["items"] = {
        "anyOf": [{"$ref": REF.format(model="VerifyRequest")}, {}],
        "description": "A notice (VerifyRequest); an invalid one gets {\"error\": problem} in "
                       "its place in `results`.",
    }
    verify_resp = _schema(c, VerifyResponse, "serialization")
    batch_resp = _schema(c, BatchResponse, "serialization")
    _schema(c, Problem, "serialization")
    registry = _schema(c, RegistryStatus, "serialization")
    health = _schema(c, Health, "serialization")
    ready = _schema(c, Ready, "serialization")

    accept_language = {"$ref": "#/components/parameters/Accept-Language"}
    body_errors = {
        "400": _problem(400), "408": _problem(408), "413": _problem(413), "415": _problem(415), "422": _problem(422),
        "429": _problem(429, RETRY), "503": _problem(503, RETRY),
    }

    def post(summary: str, description: str, body: dict[str, str], ok: dict[str, Any]) -> dict[str, Any]:
        return {"post": {
            "summary": summary, "description": description,
            "parameters": [accept_language],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"200": ok, **body_errors},
        }}

    def get(summary: str, description: str, ok: dict[str, Any], *extra: int) -> dict[str, Any]:
        responses = {"200": ok} | {str(s): _problem(s, RETRY if s == 503 else None) for s in extra}
        return {"get": {"summary": summary, "description": description, "responses": responses}}

    text_metrics = {"schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "The verifier",
            "version": version,
            "summary": "Is this arbitration notice genuine? A verdict, the reasons, and what to do.",
            "description": (
                "Paste a notice (an SMS, an email) you received and get a verdict "
                "(likely_genuine, unverified, suspicious, likely_scam), the reasons with their "
                "evidence, the named institution's official contacts from the registry, and advice. "
                "Every error is application/problem+json (RFC 9457)."
            ),
        },
        "paths": {
            "/v1/verify": post(
                "Check one notice",
                "At least one of text, sender, links, institution. The answer's language is "
                "`lang`, else Accept-Language, else zh-Hans.",
                verify_req, _ok("The verdict.", verify_resp)),
            "/v1/verify/batch": post(
                "Check up to 100 notices",
                "Results come in the order of `notices`; a notice that is invalid gets "
                "`{\"error\": problem}` in its place and the others are still checked.",
                batch_req, _ok("One result per notice, in order.", batch_resp)),
            "/v1/registry": get("The registry being served",
                                "Version (content hash), when it was loaded, counts, and the last "
                                "reload error if any.", _ok("Registry status.", registry), 503),
            "/healthz": get("Liveness", "The process answers.", _ok("Alive.", health)),
            "/readyz": get("Readiness", "Ready once the registry is loaded.",
                           _ok("Ready.", ready), 503),
            "/metrics": get("Prometheus metrics", "Text exposition format; no personal data.",
                            {"description": "Metrics.", "content": {"text/plain": text_metrics},
                             "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}}),
            "/openapi.json": get("This document", "OpenAPI 3.1.",
                                 _ok("The OpenAPI document.", {"type": "object"})),
            "/docs": get("Human-readable API documentation", "This page, rendered from /openapi.json.",
                         {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}},
                          "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}}),
        },
        "components": {
            "schemas": dict(sorted(c.items())),
            "parameters": {
                "Accept-Language": {
                    "name": "Accept-Language", "in": "header", "required": False,
                    "description": "zh-CN/zh-SG/zh-Hans → zh-Hans; zh-TW/zh-HK/zh-MO/zh-Hant → "
                                   "zh-Hant; en → en; q-values honoured.",
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "X-Request-ID": {
                    "description": "The request's id: the caller's X-Request-ID if it matches "
                                   "^[A-Za-z0-9._-]{1,64}$, else a generated one.",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                },
                "Retry-After": {"description": "Seconds to wait before retrying.",
                                "schema": {"type": "string", "pattern": "^[0-9]+$"}},
            },
        },
        "x-problem-types": {f"/docs#problem-{slug}": text for slug, text in TYPES.values()},
    }


