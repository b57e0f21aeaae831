"""The widget over HTTP (no browser): pages and their CSP, assets, the partner gate and CORS."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
from aiohttp import web
from multidict import CIMultiDict

from web_support import bundled_holder  # noqa: F401
from widget_support import (
    SCAM,
    widget_settings,
    write_partners,
)
from verifier.web.app import StartupError, create_app

PARTNER = "https://partner.example"
EVIL = "https://evil.example"
KEY = "cg-partner"


@pytest.fixture
def partners_file(tmp_path):
    return write_partners(tmp_path, [
        {"key": KEY, "name": "消费者协会", "origins": [PARTNER, "https://www.partner.example"]},
        {"key": "tiny-limit", "name": "Tiny", "origins": [PARTNER], "rate_limit": "2/minute"},
    ])


@pytest.fixture
async def client(aiohttp_client, bundled_holder, partners_file):  # noqa: F811
    app = create_app(widget_settings(partners=partners_file),
                     registry_holder=bundled_holder)
    return await aiohttp_client(app)


@pytest.fixture
async def bare_client(aiohttp_client, bundled_holder):  # noqa: F811
    app = create_app(widget_settings(), registry_holder=bundled_holder)
    return await aiohttp_client(app)


def csp(resp) -> dict[str, str]:
    out = {}
    for part in resp.headers["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def own(client) -> str:
    return f"http://{client.server.host}:{client.server.port}"


def assert_page_headers(resp):
    policy = csp(resp)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "unsafe" not in resp.headers["Content-Security-Policy"]
    assert policy["form-action"] == "'none'"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in resp.headers


async def test_standalone_default_is_own_origin_only(bare_client):
    resp = await bare_client.get("/embed")
    assert resp.status == 200 and resp.content_type == "text/html"
    assert_page_headers(resp)
    assert csp(resp)["frame-ancestors"] == "'self'"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    page = await resp.text()
    assert '<script src="/widget/widget.js?v=' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None, "no inline scripts"
    assert ' style="' not in page and "<style" not in page, "no inline styles"
    assert 'data-key=""' in page and 'data-parent=""' in page


async def test_no_partners_file_refuses_any_key(bare_client):
    resp = await bare_client.get("/embed", params={"key": KEY, "parent": PARTNER})
    assert resp.status == 403
    assert csp(resp)["frame-ancestors"] == "'none'"


async def test_partner_page_framed_by_its_origins(client):
    resp = await client.get("/embed", params={"key": KEY, "parent": PARTNER, "lang": "zh-Hant"})
    assert resp.status == 200
    assert_page_headers(resp)
    assert csp(resp)["frame-ancestors"] == f"'self' {PARTNER} https://www.partner.example"
    assert "X-Frame-Options" not in resp.headers
    page = await resp.text()
    assert f'data-key="{KEY}"' in page and f'data-parent="{PARTNER}"' in page
    assert '<html lang="zh-Hant">' in page


@pytest.mark.parametrize(("params", "reason"), [
    ({"key": "no-such-key", "parent": PARTNER}, "unknown-key"),
    ({"key": KEY, "parent": EVIL}, "origin"),
    ({"key": KEY, "parent": '"><script>alert(1)</script>'}, "origin"),
    ({"parent": EVIL}, "no-key"),
])
async def test_refusals_are_pages_nobody_can_frame(client, params, reason):
    resp = await client.get("/embed", params=params)
    assert resp.status == 403 and resp.content_type == "text/html"
    assert csp(resp)["frame-ancestors"] == "'none'"
    assert resp.headers["X-Frame-Options"] == "DENY"
    page = await resp.text()
    assert f'data-refused="{reason}"' in page
    assert "<script" not in page
    assert "not enabled for this site" in page and "未在此网站开通" in page


@pytest.mark.parametrize(("query", "header", "expected"), [
    ("en", None, "en"), ("zh-Hant", None, "zh-Hant"), ("klingon", "en-GB", "en"),
    (None, "zh-TW,zh;q=0.8", "zh-Hant"), (None, None, "zh-Hans"),
])
async def test_page_language(client, query, header, expected):
    params = {"lang": query} if query else {}
    headers = {"Accept-Language": header} if header else {}
    page = await (await client.get("/embed", params=params, headers=headers)).text()
    assert f'<html lang="{expected}">' in page and f'data-lang="{expected}"' in page


async def test_assets(client):
    js = await client.get("/embed.js")
    assert js.status == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert js.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = await client.get("/embed.js", headers={"If-None-Match": js.headers["ETag"]})
    assert again.status == 304
    for path, kind in (("/widget/widget.js", "text/javascript"),
                       ("/widget/widget.css", "text/css")):
        resp = await client.get(path)
        assert resp.status == 200 and resp.headers["Content-Type"].startswith(kind)
        assert resp.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/widget/embed.html", "/widget/__init__.py", "/widget/..%2Fembed.py"):
        missing = await client.get(path)
        assert missing.status == 404 and missing.content_type == "application/problem+json"


@pytest.mark.parametrize(("header", "status"), [
    # RFC 9110 section 13.1.2: "*" matches any current representation (was 200)
    ("*", 304), (" * ", 304),
    ('"{tag}"', 304), ('W/"{tag}"', 304),  # If-None-Match compares weakly
    ('"a", W/"{tag}"', 304), ('W/"b","{tag}" , "c"', 304), ('"a", , "{tag}",', 304),
    ('"a", W/"b"', 200), ('W/"x{tag}"', 200), ('"{tag}x"', 200), ('"*"', 200), ('""', 200),
    ('"{tag}" junk', 200), ('*, "{tag}"', 200), ("{tag}", 200),  # malformed: send the body
])
@pytest.mark.parametrize("path", ["/embed.js", "/widget/widget.js", "/widget/widget.css"])
async def test_if_none_match(client, path, header, status):
    fresh = await client.get(path)
    tag = fresh.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    for method in ("GET", "HEAD"):
        resp = await client.request(method, path, headers={"If-None-Match": header.format(tag=tag.strip('"'))})
        assert resp.status == status, (method, header)
        assert resp.headers["ETag"] == tag and resp.headers["Cache-Control"] == fresh.headers["Cache-Control"]
        sent = status == 200 and method == "GET"
        assert await resp.read() == (await fresh.read() if sent else b"")


async def test_if_none_match_over_several_field_lines(client):
    tag = (await client.get("/embed.js")).headers["ETag"]
    for lines, status in ([['"a"', tag], 304], [['"a"', "*"], 304], [['"a"', 'W/"b"'], 200]):
        headers = CIMultiDict(("If-None-Match", line) for line in lines)
        assert (await client.get("/embed.js", headers=headers)).status == status, lines


@pytest.mark.parametrize("name", ["widget.js", "embed.js"])
def test_scripts_never_write_markup_or_store(name):
    from importlib import resources

    source = resources.files("verifier.widget").joinpath(name).read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)  # comments may name what is not done
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                   "localStorage", "sessionStorage", "indexedDB", "document.cookie",
                   "new Function", 'postMessage(message, "*")'):
        assert banned not in code, banned
    assert re.findall(r"https?://[\w.-]+", code) == [], "no third-party hosts"


async def post_verify(client, headers=None, body=None):
    data = json.dumps(body or {"text": SCAM, "lang": "en"}, ensure_ascii=False)
    return await client.post("/v1/verify", data=data,
                             headers={"Content-Type": "application/json", **(headers or {})})


async def test_partner_call_gets_cors(client):
    resp = await post_verify(client, {"Origin": PARTNER, "X-Verifier-Key": KEY})
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Origin" in resp.headers.getall("Vary")
    assert "X-Request-ID" in resp.headers["Access-Control-Expose-Headers"]
    assert (await resp.json())["verdict"] == "likely_scam"


async def test_own_page_with_key_needs_no_cors(client):
    resp = await post_verify(client, {"Origin": own(client), "X-Verifier-Key": KEY})
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_cross_origin_without_key_gets_no_cors(client):
    resp = await post_verify(client, {"Origin": EVIL})
    assert resp.status == 200  # the browser will not let the page read it
    assert "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.parametrize(("headers", "detail"), [
    ({"Origin": EVIL, "X-Verifier-Key": KEY}, "not enabled for the page's origin"),
    ({"Origin": PARTNER, "X-Verifier-Key": "no-such-key"}, "not a known partner key"),
    ({"X-Verifier-Key": "../../../etc/passwd"}, "not a known partner key"),
])
async def test_partner_refusals_are_problems(client, headers, detail):
    resp = await post_verify(client, headers)
    assert resp.status == 403
    assert resp.content_type == "application/problem+json"
    body = await resp.json()
    assert body["status"] == 403 and detail in body["detail"]
    assert body["request_id"] == resp.headers["X-Request-ID"]
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_preflight(client):
    ok = await client.options("/v1/verify", headers={
        "Origin": PARTNER, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-verifier-key"})
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == PARTNER
    assert ok.headers["Access-Control-Allow-Methods"] == "POST"
    assert "X-Verifier-Key" in ok.headers["Access-Control-Allow-Headers"]
    refused = await client.options("/v1/verify/batch", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert refused.status == 204
    assert "Access-Control-Allow-Origin" not in refused.headers


async def test_per_key_rate_limit_keeps_cors(client):
    headers = {"Origin": PARTNER, "X-Verifier-Key": "tiny-limit"}
    assert (await post_verify(client, headers)).status == 200
    assert (await post_verify(client, headers)).status == 200
    resp = await post_verify(client, headers)
    assert resp.status == 429 and resp.content_type == "application/problem+json"
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["Access-Control-Allow-Origin"] == PARTNER, "the page can read why"
    # the limit is the key's: another key from the same client is still served
    assert (await post_verify(client, {"Origin": PARTNER, "X-Verifier-Key": KEY})).status == 200


async def test_a_batch_through_a_partner_key_costs_one_per_notice(client):
    headers = {"Origin": PARTNER, "X-Verifier-Key": "tiny-limit", "Content-Type": "application/json"}
    body = json.dumps({"notices": [{"text": SCAM}] * 2}, ensure_ascii=False)
    assert (await client.post("/v1/verify/batch", data=body, headers=headers)).status == 200
    resp = await post_verify(client, {"Origin": PARTNER, "X-Verifier-Key": "tiny-limit"})
    assert resp.status == 429, "two notices spent the key's 2/minute"


async def test_text_never_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = SCAM + "张三身份证110101199003071234"
    resp = await post_verify(client, {"Origin": PARTNER, "X-Verifier-Key": KEY},
                             {"text": secret, "sender": "+8613800138000"})
    assert resp.status == 200
    logged = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "access" in logged
    for fragment in ("网络仲裁", "110101199003071234", "13800138000"):
        assert fragment not in logged


async def test_invalid_partners_file_is_fatal(tmp_path, bundled_holder):  # noqa: F811
    bad = tmp_path / "partners.yaml"
    bad.write_text("- key: ok-key\n  name: x\n  origins: [https://*.example.org]\n",
                   encoding="utf-8")
    app = create_app(widget_settings(partners=bad), registry_holder=bundled_holder)
    runner = web.AppRunner(app)
    with pytest.raises(StartupError, match=r"partners.yaml:1: partner 1, origins"):
        await runner.setup()
    await runner.cleanup()


async def test_per_client_limit_keeps_cors(
    aiohttp_client, bundled_holder, partners_file  # noqa: F811
):
    app = create_app(widget_settings(partners=partners_file, rate_limit="1/minute"),
                     registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    headers = {"Origin": PARTNER, "X-Verifier-Key": KEY}
    assert (await post_verify(client, headers)).status == 200
    resp = await post_verify(client, headers)
    assert resp.status == 429
    assert resp.headers["Access-Control-Allow-Origin"] == PARTNER
    refused = await post_verify(client, {"Origin": EVIL, "X-Verifier-Key": KEY})
    assert "Access-Control-Allow-Origin" not in refused.headers


async def _head_of_unsent_body(client, path: str, headers: dict[str, str]) -> bytes:
    """The status line and headers answered to a request whose body never comes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 1000\r\n{lines}\r\n{{\"notices\": [".encode())
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()


@pytest.mark.parametrize("path", ["/v1/verify", "/v1/verify/batch"])
async def test_a_partner_with_nothing_left_is_refused_before_its_body_is_read(
        aiohttp_client, bundled_holder, partners_file, path):  # noqa: F811
    # The client's limit and the body were handled first, the key's limit last: a key with no
    # allowance still had every body read in full (up to the read deadline) before its 429.
    app = create_app(widget_settings(partners=partners_file, read_timeout_s=60),
                     registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    headers = {"Origin": PARTNER, "X-Verifier-Key": "tiny-limit"}
    assert (await post_verify(client, headers)).status == 200
    assert (await post_verify(client, headers)).status == 200
    head = await _head_of_unsent_body(client, path, headers)
    assert head.startswith(b"HTTP/1.1 429 "), head
    assert re.search(rb"Retry-After: [1-9]", head), head
    assert f"Access-Control-Allow-Origin: {PARTNER}".encode() in head, "the page can read why"
    # another key from the same client is still served (the refusal charged nothing)
    assert (await post_verify(client, {"Origin": PARTNER, "X-Verifier-Key": KEY})).status == 200


async def test_an_unknown_key_is_refused_before_its_body_is_read(client):
    head = await _head_of_unsent_body(client, "/v1/verify", {"X-Verifier-Key": "no-such-key"})
    assert head.startswith(b"HTTP/1.1 403 "), head


@pytest.mark.parametrize("key", ["tiny-limit", "no-such-key"])
async def test_a_refused_partner_key_is_not_asked_for_its_body(client, key):
    # "100 Continue" was said before the key was looked at: the body was asked for, then refused
    headers = {"Origin": PARTNER, "X-Verifier-Key": "tiny-limit"}
    for _ in range(2):
        assert (await post_verify(client, headers)).status == 200
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(f"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Origin: {PARTNER}\r\nX-Verifier-Key: {key}\r\n"
                     "Expect: 100-continue\r\nContent-Length: 20\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
    assert head.startswith((b"HTTP/1.1 429 ", b"HTTP/1.1 403 ")), head
