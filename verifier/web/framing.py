"""Requests whose framing or version two readers of the same bytes may read differently.

aiohttp's parsers (llhttp in C, and the pure-Python one under AIOHTTP_NO_EXTENSIONS=1) pass some
of these through, and not the same ones: `Transfer-Encoding: gzip, chunked` was read by both as
plain chunked (the gzip ignored), `chunked, chunked` by the Python one, an empty Transfer-Encoding
beside a Content-Length by llhttp; a request line without a version (HTTP/0.9) by llhttp and
`HTTP/2.0` by both were answered with a full HTTP/1 response in that version. A proxy in front
reads such bytes its own way (request smuggling), so each is refused with a 400 problem naming
the header or the version, and the connection is closed (the rest of its bytes are not read as
a next request).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.http import HttpVersion10, HttpVersion11

from verifier.web.problems import ProblemError

SERVED_VERSIONS = frozenset({HttpVersion10, HttpVersion11})


def framing_problem(request: web.Request) -> ProblemError | None:
    """The problem with how the request is framed, or None if it is HTTP/1.0 or 1.1 with a body
    framed by Content-Length or by `Transfer-Encoding: chunked` alone (RFC 9112 6.1, 6.3)."""
    if request.version not in SERVED_VERSIONS:
        return ProblemError(400, "Only HTTP/1.1 and HTTP/1.0 are served; send the request line "
                                 "as `METHOD /path HTTP/1.1`.",
                            errors=[(("version",), "must be HTTP/1.1 or HTTP/1.0")])
    codings = request.headers.getall("Transfer-Encoding", ())
    if not codings:
        return None
    if request.version < HttpVersion11:
        # HTTP/1.0 has no Transfer-Encoding: aiohttp read it as chunked and kept the connection,
        # while a proxy reading a body-less 1.0 request takes the "body" as the next request
        return ProblemError(400, "HTTP/1.0 has no Transfer-Encoding; send the body with "
                                 "Content-Length, or use HTTP/1.1.",
                            errors=[(("header", "Transfer-Encoding"), "not allowed in HTTP/1.0")])
    if "Content-Length" in request.headers:
        return ProblemError(400, "Send either Content-Length or Transfer-Encoding: chunked, "
                                 "not both.",
                            errors=[(("header", "Transfer-Encoding"),
                                     "`chunked` alone, never with Content-Length")])
    if ", ".join(codings).strip().lower() != "chunked":
        # gzip (or any coding) before chunked was ignored: the body was read as if plain chunked
        return ProblemError(400, "The only transfer coding accepted is `chunked`, alone; compress "
                                 "the body with Content-Encoding instead.",
                            errors=[(("header", "Transfer-Encoding"), "must be `chunked` alone")])
    return None
