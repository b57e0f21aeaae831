"""Hostile JSON and hostile URLs over HTTP, beyond test_web_hostile.py: nesting 100,000 deep,
huge numbers, duplicate keys, bidi controls and mixed scripts in links and in the request path.
Each gets a clear 4xx or a verdict within a bound, and a normal request is answered meanwhile."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from web_support import make_settings

from verifier.web.app import create_app
from verifier.web.body import parse_json_object
from verifier.web.problems import ProblemError

JSON = {"Content-Type": "application/json"}
BOUND_S = 10  # a correctness bound (no runaway), not a speed target
SCAM = "【网络仲裁委员会】您的案件已立案，请于24小时内联系13812345678处理"


async def post(client, raw: bytes | str, path: str = "/v1/verify"):
    started = time.monotonic()
    resp = await client.post(path, data=raw, headers=JSON)
    body = await resp.json()
    assert time.monotonic() - started < BOUND_S
    return resp, body


async def alongside(client, raw: bytes | str, path: str = "/v1/verify"):
    """Send `raw` and, at the same time, a normal notice: both answered, the normal one a verdict."""
    (resp, body), (normal, verdict) = await asyncio.gather(
        post(client, raw, path), post(client, json.dumps({"text": SCAM}, ensure_ascii=False)))
    assert normal.status == 200 and verdict["verdict"] == "likely_scam"
    assert resp.status < 500, body
    return resp, body


def assert_problem(resp, body, status: int) -> None:
    assert resp.status == status, body
    assert resp.content_type == "application/problem+json"
    assert body["status"] == status and body["detail"]


DEEP = 100_000


@pytest.mark.parametrize("path", ["/v1/verify", "/v1/verify/batch"])
@pytest.mark.parametrize("raw", [
    "[" * DEEP + "]" * DEEP,
    '{"a":' * DEEP + "1" + "}" * DEEP,
    '{"text": "x", "links": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"notices": [' + '{"a":' * DEEP + "1" + "}" * DEEP + "]}",
], ids=["array", "object", "in-a-field", "in-a-notice"])
async def test_nested_100000_deep(aiohttp_client, bundled_holder, path, raw):
    """With the default body limit these are 413s; with a limit large enough to let them in
    (VERIFIER_MAX_BODY_BYTES is up to 16 MiB) the parser sees them: a 400, never a crash."""
    app = create_app(make_settings(max_body_bytes=1 << 20), registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    resp, body = await alongside(client, raw.encode(), path)
    assert_problem(resp, body, 400)
    assert "nested too deeply" in json.dumps(body)


async def test_nested_100000_deep_over_the_default_limit(client, settings):
    raw = "[" * DEEP + "]" * DEEP
    assert len(raw) > settings.max_body_bytes
    resp, body = await alongside(client, raw.encode())
    assert_problem(resp, body, 413)


@pytest.mark.parametrize("path", ["/v1/verify", "/v1/verify/batch"])
async def test_nested_deep_within_the_size_limit(client, settings, path):
    depth = settings.max_body_bytes // 2 - 10  # as deep as fits
    resp, body = await alongside(client, b"[" * depth + b"]" * depth, path)
    assert_problem(resp, body, 400)
    assert "nested too deeply" in json.dumps(body)


@pytest.mark.parametrize("raw,status", [
    ('{"text": "x", "channel": ' + "9" * 4000 + "}", 422),  # parses (under 4300 digits), wrong type
    ('{"text": "x", "channel": ' + "9" * 4301 + "}", 400),  # Python's int limit: refused, no 500
    ('{"text": "x", "links": [' + ",".join(["1" * 4000] * 10) + "]}", 422),
    ('{"text": "x", "lang": 1e999999}', 422),  # float overflow is inf: a wrong type, not a crash
    ('{"text": "x", "lang": -0.0e-99999}', 422),
    ('{"text": ' + "1" * 4000 + ".5e99999}", 422),
    ('{"notices": [{"text": "x"}], "n": ' + "9" * 4200 + "}", 422),
])
async def test_huge_numbers(client, raw, status):
    resp, body = await alongside(client, raw)
    assert_problem(resp, body, status)
    assert "9999" not in body["detail"] and all("9999" not in e["msg"] for e in body.get("errors", []))


async def test_a_number_too_long_to_convert_is_explained_without_pythons_hint(client):
    # the 400's detail told the client to "use sys.set_int_max_str_digits() to increase the
    # limit": advice about our interpreter, which no client can follow
    resp, body = await alongside(client, '{"text": "x", "channel": ' + "9" * 4301 + "}")
    assert_problem(resp, body, 400)
    assert "4301 digits" in body["detail"] and "sys." not in body["detail"], body["detail"]


@pytest.mark.parametrize("path,raw", [
    ("/v1/verify", '{"text": "明天开会", "text": "' + SCAM + '"}'),
    ("/v1/verify", '{"text": "x", "links": ["a.cn"], "links": ["wlzc-case.top"]}'),
    ("/v1/verify/batch", '{"notices": [{"text": "x"}], "notices": [{"text": "y"}]}'),
    ("/v1/verify/batch", '{"notices": [{"text": "明天开会", "text": "' + SCAM + '"}]}'),
    ("/v1/verify", '{"text": "x", "meta": {"a": 1, "a": 2}}'),
])
async def test_duplicate_keys_are_refused(client, path, raw):
    """A body whose keys repeat means different things to different parsers (a filter in front
    may read the first, we the last): refused, not guessed."""
    resp, body = await alongside(client, raw.encode(), path)
    assert_problem(resp, body, 400)  # the body is parsed whole: a repeat anywhere refuses it
    assert "duplicate" in body["detail"]


WARNED = ("suspicious", "likely_scam")
BIDI_AND_MIXED = [
    ("text", "【北京仲裁委员会】请访问 http://bjac.org.cn\u202e.pay-case.cc\u202c 查询", WARNED),
    ("text", "【北京仲裁委员会】请访问 https://www.bjас.org.cn/case 查询", WARNED),  # Cyrillic а, с
    ("text", "【北京仲裁委员会】请访问 https://xn--bjc-8cd2a.org.cn 查询", WARNED),
    ("text", "【北京仲裁委员会】请访问 http://bjac\u2066.org\u2069.cn.evil.top 查询", WARNED),
    # official in logical order, but shown reordered: warned as obfuscated, never likely_genuine
    ("text", "【北京仲裁委员会】请访问 https://www.bjac.org.cn\u202e/esac 查询", WARNED),
    # reversed on screen, "nt.gro.cajb" in logical order: no public suffix, so no link at all
    ("text", "【北京仲裁委员会】请访问 http://\u202ent.gro.cajb\u202c/ 查询", ("unverified", *WARNED)),
    ("links", "http://bjac.org.cn\u202e.pay-case.cc", WARNED),
    ("links", "https://www.bjас.org.cn", WARNED),
    ("links", "http://bjac.org.cn@evil.top/", WARNED),
    ("links", "http://ｂｊａｃ．ｏｒｇ．ｃｎ．evil.top", WARNED),
]


@pytest.mark.parametrize("field,value,verdicts", BIDI_AND_MIXED)
async def test_bidi_and_mixed_scripts_in_links_are_never_official(client, field, value, verdicts):
    payload = {"text": value} if field == "text" else {"text": "【北京仲裁委员会】请访问链接查询", "links": [value]}
    resp, body = await alongside(client, json.dumps(payload, ensure_ascii=False).encode())
    assert resp.status == 200, body
    codes = {r["code"] for r in body["reasons"]}
    assert body["verdict"] in verdicts, (body["verdict"], codes)
    if field == "text" and ("\u202e" in value or "\u2066" in value):
        assert "LINK_OBFUSCATED" in codes or not body["extracted"]["links"], codes


@pytest.mark.parametrize("target", [
    "/v1/verify\u202e", "/v1/vеrify", "/v1/verify/%E2%80%AE", "/%00", "/..%2f..%2fetc/passwd",
    "/v1/verify?x=\u202e", "/" + "a" * 7000, "//v1//verify", "/v1/verify/../verify",
])
async def test_hostile_request_paths(client, target):
    """Raw bytes in the request line: a problem (404/405) or the real route, never a 500; the
    access log and metrics only ever name route templates."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    body = json.dumps({"text": "x"}).encode()
    writer.write(b"POST " + target.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), BOUND_S)
    writer.close()
    status = int(raw.split(b" ", 2)[1])
    assert 200 <= status < 500, raw[:200]
    metrics = await (await client.get("/metrics")).text()
    assert "\u202e" not in metrics and "passwd" not in metrics and "aaaa" not in metrics


@pytest.mark.parametrize(("path", "raw"), [
    ("/v1/verify", json.dumps({"text": "x", **{f"k{i}": 1 for i in range(5000)}})),
    ("/v1/verify/batch", json.dumps({"notices": [{"links": [1] * 50} for _ in range(100)]})),
    # the batch's own unknown keys: 59 KB of them made a 419 KB answer with 5,001 entries
    ("/v1/verify/batch", json.dumps({"notices": [{"text": "x"}], **{f"k{i}": 1 for i in range(5000)}})),
])
async def test_a_problem_lists_at_most_twenty_errors(client, path, raw):
    # 16 KB of wrong-typed links made a 460 KB answer (one entry per value): the first 20 say enough
    resp, body = await alongside(client, raw, path)
    problems = [r["error"] for r in body["results"]] if "results" in body else [body]
    for problem in problems:
        assert problem["status"] == 422 and len(problem["errors"]) == 20
        assert "the first 20 of" in problem["detail"]


@pytest.mark.parametrize("raw,says", [
    (b'\xef\xbb\xbf{"text": "x"}', "Unexpected UTF-8 BOM"),  # json.loads' own refusal, kept
    (b'{"text": "x", "risk": NaN}', "NaN is not valid JSON"),
    (b'{"text": "x", "text": "y"}', "duplicate key"),
    (b'{"text": "x"} {}', "Extra data"),
])
def test_the_shared_decoder_refuses_what_json_loads_refused(raw, says):
    """The body is parsed by one decoder built at import; it answers each malformed body as the
    per-call json.loads did, and a good body after a bad one still parses."""
    with pytest.raises(ProblemError) as exc:
        parse_json_object(raw)
    assert exc.value.status == 400 and says in exc.value.detail
    assert parse_json_object('{"text": "明天开会", "links": []}'.encode()) == {"text": "明天开会", "links": []}
