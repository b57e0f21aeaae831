"""Reading and validating request bodies: bounded, strict UTF-8 JSON objects, then pydantic.

Every way a client can get a body wrong ends here as a ProblemError (400/413/415/422) that
names the field, so nothing a client sends reaches the catch-all 500.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from aiohttp.helpers import parse_mimetype
from aiohttp.http_exceptions import DecompressSizeError, HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from pydantic import ValidationError

from verifier.models import VerifyRequest
from verifier.web.problems import ProblemError

Loc = tuple[str | int, ...]
MAX_DEPTH = 32  # deeper JSON is refused before it reaches pydantic
MAX_BATCH = 100  # notices in one batch request
# Entries in one problem's `errors`: 64 KiB of unknown keys or wrong-typed links made ~8,000
# (a 460 KB answer to a 16 KB batch); the first ones say what is wrong.
MAX_ERRORS = 20
# The parsed body, read once: by the guard middleware before it takes a concurrency slot (so a
# client trickling its body never holds one), then handed to the handler.
JSON_BODY = web.RequestKey("json_body", dict)
_EMPTY_FIELDS = ("text", "sender", "links", "institution")
_ACCEPTED_CHARSETS = {None, "utf-8", "utf8"}
# What aiohttp's parser decodes (one coding, matched exactly). Any other value it passes through
# undecoded: `x-gzip` or `gzip, gzip` then read as "not valid UTF-8", `compress` as plain JSON.
_DECODED_CODINGS = {"", "identity", "gzip", "deflate", "br", "zstd"}
# What no string may hold: NUL and lone surrogates (one C-level scan instead of a Python loop).
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")


def _check_content_type(request: web.Request) -> None:
    ctype = request.content_type.lower()
    if ctype != "application/json" and not (ctype.startswith("application/") and ctype.endswith("+json")):
        raise ProblemError(415, "Send the body as JSON with Content-Type: application/json.",
                           errors=[(("header", "Content-Type"), "must be application/json")])
    charset = request.charset.lower() if request.charset else None
    if charset not in _ACCEPTED_CHARSETS or _charset_repeated(request):
        raise ProblemError(415, "Send the body in UTF-8 (charset=utf-8 or no charset).",
                           errors=[(("header", "Content-Type"), "charset must be utf-8")])
    # Every Content-Encoding line, as one list (RFC 9110 5.3): aiohttp decodes by the last line,
    # and only the first was checked, so `identity` then `x-custom` passed the check undecoded
    if ", ".join(request.headers.getall("Content-Encoding", ())).strip().lower() not in _DECODED_CODINGS:
        raise ProblemError(415, "Send the body uncompressed, or compressed with one of gzip, "
                                "deflate or br (Content-Encoding: gzip).",
                           errors=[(("header", "Content-Encoding"), "must be gzip, deflate or br")],
                           headers={"Accept-Encoding": "gzip, deflate, br"})


def refused_unread(request: web.Request, max_bytes: int) -> bool:
    """Whether the body would be refused before it is read (too large by Content-Length, a
    content type, charset or coding we do not take): then "100 Continue" is not said, and the
    client is spared sending it."""
    length = request.content_length
    if length is not None and length > max_bytes:
        return True
    try:
        _check_content_type(request)
    except ProblemError:
        return True
    return False


def _charset_repeated(request: web.Request) -> bool:
    """`charset=utf-8;charset=latin1`: aiohttp reads the first, a proxy may read the last; refused
    as duplicate JSON keys are, not guessed."""
    raw = request.headers.get("Content-Type", "")
    return raw.lower().count("charset") > 1 and \
        len(parse_mimetype(raw).parameters.getall("charset", [])) > 1


def _too_large(max_bytes: int) -> ProblemError:
    return ProblemError(413, f"The body is larger than {max_bytes} bytes; send a smaller one "
                             "(split a batch into several requests).")


async def read_bounded(request: web.Request, max_bytes: int, timeout: float | None = None) -> bytes:
    """The body, refusing more than max_bytes: from Content-Length before reading, and while
    reading a chunked body; and a body still arriving after `timeout` seconds (a 408). A body
    aiohttp cannot decompress (Content-Encoding: gzip over garbage), or one cut off by the client
    closing the connection, is the client's error."""
    try:
        return await _read_bounded(request, max_bytes, timeout)
    except DecompressSizeError:
        raise _too_large(max_bytes) from None
    except (HttpProcessingError, RequestPayloadError):
        raise ProblemError(400, "The body could not be decoded as its Content-Encoding says; send it "
                                "uncompressed or correctly compressed.",
                           errors=[(("body",), "bad content encoding")],
                           headers={"Connection": "close"}) from None
    except ConnectionResetError:
        # the client closed the connection mid-body: its error (nobody reads this answer), not a
        # 500 in the metrics and an error traceback in the log for every client that gives up
        raise ProblemError(400, "The connection closed before the whole body arrived; send it "
                                "again.", errors=[(("body",), "incomplete")],
                           headers={"Connection": "close"}) from None


async def _read_bounded(request: web.Request, max_bytes: int, timeout: float | None) -> bytes:
    length = request.content_length
    if length is not None and length > max_bytes:
        raise _too_large(max_bytes)
    if request.content.is_eof():  # arrived whole with the headers (most bodies): nothing to wait for
        body = request.content.read_nowait(-1)
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
        return body
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                chunk = await request.content.read(min(65_536, max_bytes + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(max_bytes)
                chunks.append(chunk)
    except TimeoutError:
        # the rest of the body is never read: the connection must not be reused
        raise ProblemError(408, f"The body did not arrive within {timeout:g} s; send the whole "
                                "request at once.", errors=[(("body",), "incomplete")],
                           headers={"Connection": "close"}) from None
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys repeat means different things to different parsers (a filter in
    front may read the first value, json.loads keeps the last): refuse it rather than guess."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey
    return obj


def _walk(value: Any, loc: Loc, depth: int) -> Iterator[tuple[Loc, str]]:
    """Strings no field may hold: NUL characters and lone surrogates (from \\ud800 escapes)."""
    if depth > MAX_DEPTH:
        yield loc, f"nested more than {MAX_DEPTH} levels deep"
        return
    if isinstance(value, str):
        if _BAD_CHAR.search(value) is None:
            return
        if "\x00" in value:
            yield loc, "contains a NUL character (\\u0000); remove it"
        else:
            yield loc, "contains a lone surrogate (invalid Unicode escape); send valid Unicode text"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key, loc + (key if _clean(key) else "(key)",), depth + 1)
            yield from _walk(item, loc + (key if _clean(key) else "(key)",), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, loc + (index,), depth + 1)


def _clean(key: str) -> bool:
    return _BAD_CHAR.search(key) is None


async def read_json_object(request: web.Request, max_bytes: int,
                           timeout: float | None = None) -> dict[str, Any]:
    """The request's JSON object, read and parsed once per request (see JSON_BODY)."""
    if JSON_BODY in request:
        return request[JSON_BODY]
    _check_content_type(request)
    data = parse_json_object(await read_bounded(request, max_bytes, timeout))
    request[JSON_BODY] = data
    return data


# Built once: json.loads with any hook builds a decoder and its C scanner on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body's bytes to a JSON object, or a 400 problem saying what is wrong. Pure (the fuzz
    harness in tests/fuzz calls it without HTTP)."""
    if not raw.strip():
        raise ProblemError(400, "The body is empty; send a JSON object.", errors=[(("body",), "empty")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(400, f"The body is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON.",
                           errors=[(("body",), "invalid UTF-8")]) from None
    try:
        if text.startswith("\ufeff"):  # what json.loads refuses before decoding
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _DECODER.decode(text)
    except _DuplicateKey:
        raise ProblemError(400, "The body has an object with a duplicate key; send each key once.",
                           errors=[(("body",), "duplicate key")]) from None
    except json.JSONDecodeError as exc:
        raise ProblemError(400, f"The body is not valid JSON: {exc.msg} at line {exc.lineno} "
                                f"column {exc.colno}.", errors=[(("body",), exc.msg)]) from None
    except RecursionError:
        raise ProblemError(400, f"The JSON is nested too deeply; at most {MAX_DEPTH} levels.",
                           errors=[(("body",), "nested too deeply")]) from None
    except ValueError as exc:  # NaN/Infinity, integers longer than Python converts
        why = str(exc).split(";")[0]  # not Python's own hint (use sys.set_int_max_str_digits())
        raise ProblemError(400, f"The body is not valid JSON: {why}.",
                           errors=[(("body",), "invalid JSON value")]) from None
    if not isinstance(data, dict):
        raise ProblemError(400, f"The body must be a JSON object, not {_json_type(data)}.",
                           errors=[(("body",), "must be an object")])
    return data


def _flat_and_clean(data: Any) -> bool:
    """An object of clean keys and clean strings or other scalars (a notice as clients send it):
    nothing for _walk to find, told without its generators."""
    if type(data) is not dict:
        return False
    search = _BAD_CHAR.search
    for key, value in data.items():
        if search(key) is not None:
            return False
        kind = type(value)
        if kind is str:
            if search(value) is not None:
                return False
        elif value is not None and kind is not int and kind is not float and kind is not bool:
            return False
    return True


def check_values(data: Any, prefix: Loc) -> None:
    """Refuse NUL characters, lone surrogates and deep nesting anywhere in `data` (a 422 naming
    where), before pydantic or the engine see them or an error message could echo them."""
    if _flat_and_clean(data):
        return
    bad = list(_walk(data, prefix, 0))
    if bad:
        raise ProblemError(422, "Some values cannot be processed; `errors` lists where.", errors=bad[:MAX_ERRORS])


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def validation_errors(exc: ValidationError, prefix: Loc) -> list[tuple[Loc, str]]:
    errors = exc.errors(include_url=False)
    return [(prefix + tuple(err["loc"]), err["msg"]) for err in errors[:MAX_ERRORS]]


def parse_notice(data: Any, prefix: Loc = ("body",)) -> VerifyRequest:
    """One notice object to a VerifyRequest, or a 422 naming every bad field."""
    if not isinstance(data, dict):
        raise ProblemError(422, "Each notice must be a JSON object.",
                           errors=[(prefix, f"must be an object, not {_json_type(data)}")])
    check_values(data, prefix)
    try:
        req = VerifyRequest.model_validate(data)
    except ValidationError as exc:
        count = exc.error_count()
        lists = "lists them" if count <= MAX_ERRORS else f"lists the first {MAX_ERRORS} of {count}"
        raise ProblemError(422, f"Some fields are invalid; `errors` {lists}.",
                           errors=validation_errors(exc, prefix)) from None
    if req.is_empty():
        msg = "give at least one of text, sender, links, institution"
        raise ProblemError(422, "The notice is empty: give at least one of text, sender, links, "
                                "institution.", errors=[(prefix + (f,), msg) for f in _EMPTY_FIELDS])
    return req


def rate_cost(route: str | None, data: dict[str, Any]) -> int:
    """What a request costs against a rate limit: one per notice it asks to check, so a batch of
    N costs N (it did one, and 100 notices went through a 60/minute limit per minute). A batch
    the handler will refuse (no list, too many) costs one."""
    notices = data.get("notices") if route == "verify_batch" else None
    return len(notices) if isinstance(notices, list) and 1 <= len(notices) <= MAX_BATCH else 1


async def request_cost(request: web.Request, max_bytes: int, timeout_s: float) -> tuple[int, ProblemError | None]:
    """A verify request's cost for the rate limiters (the client's and a partner key's), and what
    is wrong with its body if it cannot be read: such a body still costs one, and its problem is
    answered after the limit. Only a batch's body is read for this."""
    route = request.match_info.route.name
    if route != "verify_batch":
        return 1, None
    try:
        return rate_cost(route, await read_json_object(request, max_bytes, timeout_s)), None
    except ProblemError as exc:
        return 1, exc
