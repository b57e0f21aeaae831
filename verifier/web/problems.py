"""RFC 9457 problem details: the one shape of every error the service returns."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aiohttp import web

from verifier.models import ErrorLocation, Problem

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Each problem type links to its explanation on /docs.
TYPES: dict[int, tuple[str, str]] = {
    400: ("malformed-request", "The request body is not a JSON object."),
    404: ("not-found", "There is nothing at this path."),
    405: ("method-not-allowed", "This path does not accept that method."),
    408: ("timeout", "The request body did not arrive in time; send the whole request at once."),
    413: ("too-large", "The request body is larger than the service accepts."),
    415: ("unsupported-media-type", "Send the body as application/json."),
    422: ("validation", "Some fields are missing or invalid; `errors` lists them."),
    429: ("rate-limited", "Too many requests from this client; retry after Retry-After seconds."),
    500: ("internal", "The service failed; the request id helps the operators find out why."),
    503: ("unavailable", "The service cannot answer right now; retry after Retry-After seconds."),
}


def problem_type(status: int) -> str:
    slug = TYPES.get(status, (None,))[0]
    return f"/docs#problem-{slug}" if slug else "about:blank"


class ProblemError(Exception):
    """Raised by handlers and middlewares; rendered as application/problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[tuple[Sequence[str | int], str]] | None = None,
        headers: Mapping[str, str] | None = None,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = [ErrorLocation(loc=list(loc), msg=msg) for loc, msg in errors or ()]
        self.headers = dict(headers or {})
        self.title = title or HTTPStatus(status).phrase
        self.extra = dict(extra or {})  # RFC 9457 extension members

    def problem(self, request_id: str | None) -> Problem:
        return Problem(
            type=problem_type(self.status),
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=self.errors or None,
            request_id=request_id,
        )


def problem_body(problem: Problem) -> dict[str, Any]:
    return problem.model_dump(mode="json", exclude_none=True)


def problem_response(error: ProblemError, request_id: str | None) -> web.Response:
    body = json.dumps(problem_body(error.problem(request_id)) | error.extra, ensure_ascii=False)
    response = web.Response(
        text=body, status=error.status, content_type=PROBLEM_CONTENT_TYPE, headers=error.headers
    )
    if response.headers.get("Connection", "").lower() == "close":
        response.force_close()  # also stops aiohttp lingering to read the rest of a body
    return response


def from_http_exception(exc: web.HTTPException) -> ProblemError:
    """aiohttp's own errors (404, 405, 413 from the router or reader) in our shape."""
    status = exc.status
    headers: dict[str, str] = {}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        headers["Allow"] = allowed
        detail = f"Use one of: {allowed}."
    elif status == 404:
        detail = "No such path; GET /docs lists the endpoints."
    elif status == 413:
        detail = "The request body is too large; send a smaller one."
    else:
        detail = TYPES.get(status, ("", HTTPStatus(status).phrase))[1]
    if "Retry-After" in exc.headers:
        headers["Retry-After"] = exc.headers["Retry-After"]
    return ProblemError(status, detail, headers=headers)
