"""Requests aiohttp refuses before our app sees them, answered in the problem shape.

A malformed request line, header or length is rejected by aiohttp's parser, which answers in
plain text quoting the offending bytes. Clients of this API expect application/problem+json
for every error; so the runner's request handler renders those refusals as problems naming the
part of the request that was wrong, and echoes none of the client's bytes.

aiohttp also logs each refusal at ERROR with a traceback: anyone who can open a socket could
fill the error log and set off alerts meant for the service's own failures. A refusal is the
client's mistake, so it is one `malformed_request` event at INFO (the access event's level)
naming only the part and the parser's error class, and it is counted in the request metrics
under the route `(malformed)`. Failures on our side (5xx) still go to aiohttp's ERROR log.

aiohttp has no public hook for this: `ProblemAppRunner` swaps the class of the server its base
class builds for a subclass whose only change is the request-handler class.
tests/test_web_hostile_conn.py sends raw malformed requests through `verifier serve`'s runner, so
an aiohttp release that changes these internals fails the tests, not silently the clients.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from aiohttp.web_request import BaseRequest

from verifier.web import keys
from verifier.web.logs import event
from verifier.web.metrics import Metrics
from verifier.web.problems import PROBLEM_CONTENT_TYPE, ProblemError, problem_body

MALFORMED_ROUTE = "(malformed)"  # the route label of requests that never reached a route

# Which part of the request each parser error is about (the most specific class first).
_WHERE: tuple[tuple[type[Exception], tuple[str, ...], str], ...] = (
    (http_exceptions.BadHttpMethod, ("method",), "not a valid HTTP method"),
    (http_exceptions.InvalidURLError, ("path",), "not a valid request target"),
    (http_exceptions.LineTooLong, ("header",), "a request line or header is too long"),
    (http_exceptions.InvalidHeader, ("header",), "a header is malformed"),
    (http_exceptions.ContentLengthError, ("header", "Content-Length"), "does not match the body"),
    (http_exceptions.TransferEncodingError, ("body",), "the chunked body is malformed"),
)


# llhttp's reasons ("Invalid header token", "Invalid character in Content-Length") are fixed
# text; aiohttp appends the offending bytes after a colon. Keep a reason only if it is plain words.
_REASON = re.compile(r"[A-Za-z][A-Za-z ,/-]{0,79}")
_BY_WORD: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("content-length", ("header", "Content-Length")),
    ("content-encoding", ("header", "Content-Encoding")),  # zstd where nothing can decode it
    ("transfer-encoding", ("header", "Transfer-Encoding")),
    ("chunk", ("body",)),
    ("header", ("header",)),
    ("method", ("method",)),
    ("url", ("path",)),
    ("http/", ("version",)),
    ("version", ("version",)),
)

# What to say of a part whose reason quotes more than plain words
_FIXED: dict[tuple[str, ...], str] = {
    ("header", "Transfer-Encoding"): "only `chunked`, alone and without Content-Length, is accepted",
    ("header", "Content-Length"): "must be one decimal length, and not beside Transfer-Encoding",
}


def _head(exc: BaseException | None) -> str:
    """The parser's reason, before the bytes it quotes (may still hold quoted client bytes)."""
    message = getattr(exc, "message", None)
    return message.split(":", 1)[0].strip() if isinstance(message, str) else ""


def _reason(exc: BaseException | None) -> str | None:
    head = _head(exc)
    return head if _REASON.fullmatch(head) else None


def protocol_problem(status: int, exc: BaseException | None) -> ProblemError:
    """The problem for a request aiohttp could not parse (400) or failed on outside our app."""
    if status >= 500:
        return ProblemError(status, "The service failed on this request.")
    reason = _reason(exc)
    for kind, loc, msg in _WHERE:
        if isinstance(exc, kind):
            break
    else:
        # the part is found in the reason even when it is not echoed: "Invalid `Transfer-Encoding`
        # header value" and "Content-Length can't be present with Transfer-Encoding" named the
        # whole request, not the header to fix
        words = _head(exc).lower()
        loc = next((where for word, where in _BY_WORD if word in words), ("request",))
        msg = reason[0].lower() + reason[1:] if reason else _FIXED.get(loc, "not valid HTTP/1.1")
    return ProblemError(status, f"The request is not valid HTTP ({msg}); it was not processed. "
                                "Fix the client.", errors=[(loc, msg)])


class _ProblemRequestHandler(RequestHandler):
    metrics: Metrics | None = None

    def log_exception(self, *args: Any, **kw: Any) -> None:
        # After the answer to a body that would not decode (Content-Encoding: gzip over
        # garbage), aiohttp reads on to discard the rest and meets the same error again, which
        # it logged as an unhandled exception: an ERROR line with a traceback for any client.
        # The request was answered (400) and counted; the repeat is not news.
        if isinstance(kw.get("exc_info"), (RequestPayloadError, http_exceptions.HttpProcessingError)):
            self.log_debug("the rest of a request body could not be read", exc_info=kw["exc_info"])
            return
        super().log_exception(*args, **kw)

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status >= 500:  # ours, not the client's: aiohttp logs it at ERROR (scrubbed)
            super().handle_error(request, status, exc, message)
        elif request.writer.output_size > 0:  # as aiohttp: an answer has started, none can follow
            raise ConnectionError("Response is sent already, cannot send another response "
                                  "with the error message")
        problem = protocol_problem(status, exc)
        if status < 500:
            event("malformed_request", status=status,
                  part=".".join(map(str, problem.errors[0].loc)) if problem.errors else None,
                  error=type(exc).__name__ if exc is not None else None)
            if self.metrics is not None:
                self.metrics.observe_request(MALFORMED_ROUTE, "OTHER", status, 0.0)
        body = problem_body(problem.problem(None))
        response = web.Response(text=json.dumps(body, ensure_ascii=False), status=status,
                                content_type=PROBLEM_CONTENT_TYPE)
        response.force_close()
        return response


class _ProblemServer(web.Server):
    metrics: Metrics | None = None

    def __call__(self) -> RequestHandler:
        handler = _ProblemRequestHandler(self, loop=self._loop, **self._kwargs)
        handler.metrics = self.metrics
        return handler


class ProblemAppRunner(web.AppRunner):
    async def _make_server(self) -> Any:
        server = await super()._make_server()
        if type(server) is web.Server:
            server.__class__ = _ProblemServer
            server.metrics = self.app.get(keys.METRICS)
        return server
