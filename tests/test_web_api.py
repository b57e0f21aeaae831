"""The HTTP API over the real app factory on loopback: routes, statuses, shapes, languages."""

from __future__ import annotations

import asyncio
import json
import os
import re

import pytest
from multidict import CIMultiDict
from web_support import make_settings

from verifier.web.app import create_app

SCAM = "【网络仲裁委员会】您的案件已立案，请于24小时内联系13812345678处理，否则冻结名下所有银行卡。"
JSON = {"Content-Type": "application/json"}


async def post(client, path, body, headers=None):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return await client.post(path, data=data, headers={**JSON, **(headers or {})})


def assert_problem(resp, body, status):
    assert resp.status == status
    assert resp.content_type == "application/problem+json"
    assert set(body) <= {"type", "title", "status", "detail", "errors", "request_id", "checks"}
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["request_id"] == resp.headers["X-Request-ID"]


async def test_verify_shape(client):
    resp = await post(client, "/v1/verify", {"text": SCAM, "sender": "+8613812345678"})
    assert resp.status == 200
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert set(body) == {"verdict", "risk", "reasons", "institution", "extracted", "advice",
                         "registry", "request_id", "lang"}
    assert body["verdict"] in {"likely_genuine", "unverified", "suspicious", "likely_scam"}
    assert 0 <= body["risk"] <= 100
    assert set(body["extracted"]) == {"senders", "phones", "links", "institutions", "case_numbers"}
    assert set(body["registry"]) == {"version"}
    assert body["request_id"] == resp.headers["X-Request-ID"]
    for reason in body["reasons"]:
        assert {"code", "severity", "score", "group", "message", "evidence"} <= set(reason)
        assert reason["code"].isupper()


async def test_verify_scam_is_flagged(client):
    body = await (await post(client, "/v1/verify", {"text": SCAM})).json()
    assert body["verdict"] in {"suspicious", "likely_scam"}
    assert body["reasons"]


@pytest.mark.parametrize("mailbox", ["cietac.case@qq.com", "cietac.legal@163.com"])
async def test_a_mailbox_is_answered_as_a_mailbox_not_a_link(client, mailbox):
    # '.case' and '.legal' are TLDs too: the mailbox was read as a disguised link to qq.com
    text = f"【中国国际经济贸易仲裁委员会】答辩材料请于10日内发送至 {mailbox}，逾期视为放弃答辩。"
    body = await (await post(client, "/v1/verify", {"text": text, "lang": "en"})).json()
    assert body["extracted"]["links"] == []
    codes = {r["code"]: r for r in body["reasons"]}
    assert "LINK_NONE" in codes and not {c for c in codes if c.startswith("LINK_")} - {"LINK_NONE"}
    mail = codes["CONSISTENCY_EMAIL_NOT_OFFICIAL"]
    start = text.index(mailbox)
    assert mail["evidence"][0] == {"field": "text", "value": mailbox, "start": start,
                                   "end": start + len(mailbox)}
    assert "e-mail" in mail["message"].lower() and mailbox in mail["message"]
    assert body["verdict"] in {"suspicious", "likely_scam"}


@pytest.mark.parametrize(
    ("header", "field", "expected"),
    [
        (None, None, "zh-Hans"),
        ("zh-CN,zh;q=0.9", None, "zh-Hans"),
        ("zh-SG", None, "zh-Hans"),
        ("zh-TW", None, "zh-Hant"),
        ("zh-HK,en;q=0.5", None, "zh-Hant"),
        ("zh-Hant-MO", None, "zh-Hant"),
        ("en-US,en;q=0.9", None, "en"),
        ("fr-FR, en;q=0.3, zh-TW;q=0.8", None, "zh-Hant"),
        ("fr, de", None, "zh-Hans"),
        ("en;q=0, zh-HK;q=0.1", None, "zh-Hant"),
        ("en", "zh-Hant", "zh-Hant"),
        (None, "en", "en"),
    ],
)
async def test_language(client, header, field, expected):
    body = {"text": SCAM} | ({"lang": field} if field else {})
    resp = await post(client, "/v1/verify", body, {"Accept-Language": header} if header else None)
    assert (await resp.json())["lang"] == expected


async def test_request_id_echo_and_replace(client):
    resp = await post(client, "/v1/verify", {"text": "hi"}, {"X-Request-ID": "abc-123.X_y"})
    assert resp.headers["X-Request-ID"] == "abc-123.X_y"
    assert (await resp.json())["request_id"] == "abc-123.X_y"
    resp = await post(client, "/v1/verify", {"text": "hi"}, {"X-Request-ID": "bad id\u00e9" * 3})
    rid = resp.headers["X-Request-ID"]
    assert len(rid) == 32 and rid.isalnum()
    resp = await client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert resp.headers["X-Request-ID"] != "x" * 65


async def test_two_request_ids_are_replaced_as_one_list_would_be(client):
    headers = CIMultiDict([("Content-Type", "application/json"), ("X-Request-ID", "abc"),
                           ("X-Request-ID", "def")])
    resp = await client.post("/v1/verify", data=json.dumps({"text": "hi"}), headers=headers)
    rid = resp.headers["X-Request-ID"]
    assert rid not in ("abc", "def") and len(rid) == 32 and (await resp.json())["request_id"] == rid
    one_line = await post(client, "/v1/verify", {"text": "hi"}, {"X-Request-ID": "abc, def"})
    assert len(one_line.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize("given", ["13800138000", "req-13800138000", "138-0013-8000", "6222021234567890123"])
async def test_request_id_holding_a_number_is_replaced(client, given):
    """A client's id is logged: a phone, card or ID number used as one never is."""
    resp = await post(client, "/v1/verify", {"text": "hi"}, {"X-Request-ID": given})
    rid = resp.headers["X-Request-ID"]
    assert rid != given and len(rid) == 32 and (await resp.json())["request_id"] == rid


def test_generated_request_ids_unique_across_forked_workers():
    """Workers are forked from one parent: each must draw its own id prefix."""
    from verifier.web.middleware import _ids

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "worker"
        os.write(write_end, _ids.next().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read_end, 64).decode()
    os.close(read_end)
    os.close(write_end)
    first, second = _ids.next(), _ids.next()
    assert len(child) == len(first) == 32 and first != second
    assert child[:16] != first[:16] and first[:16] == second[:16]


async def test_batch_in_order_with_inline_errors(client):
    notices = [{"text": SCAM}, {"text": 5}, {}, "not an object", {"text": "明天下午三点开会", "lang": "en"}]
    resp = await post(client, "/v1/verify/batch", {"notices": notices})
    assert resp.status == 200
    results = (await resp.json())["results"]
    assert len(results) == 5
    assert results[0]["verdict"] in {"suspicious", "likely_scam"}
    assert results[1]["error"]["status"] == 422
    assert results[1]["error"]["errors"][0]["loc"] == ["body", "notices", 1, "text"]
    assert {tuple(e["loc"]) for e in results[2]["error"]["errors"]} == {
        ("body", "notices", 2, f) for f in ("text", "sender", "links", "institution")}
    assert results[3]["error"]["errors"][0]["loc"] == ["body", "notices", 3]
    assert results[4]["lang"] == "en" and "verdict" in results[4]
    rid = resp.headers["X-Request-ID"]
    assert results[0]["request_id"] == f"{rid}.0"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"notices": []}, ["body", "notices"]),
        ({"notices": [{"text": "x"}] * 101}, ["body", "notices"]),
        ({"notices": {"text": "x"}}, ["body", "notices"]),
        ({}, ["body", "notices"]),
        ({"notices": [{"text": "x"}], "extra": 1}, ["body", "extra"]),
    ],
)
async def test_batch_envelope_errors(client, body, loc):
    resp = await post(client, "/v1/verify/batch", body)
    problem = await resp.json()
    assert_problem(resp, problem, 422)
    assert loc in [e["loc"] for e in problem["errors"]]


async def test_registry_endpoint(client):
    resp = await client.get("/v1/registry")
    assert resp.status == 200
    body = await resp.json()
    assert set(body) == {"version", "loaded_at", "counts", "last_reload_error"}
    assert body["version"] and body["loaded_at"].endswith("Z")
    assert body["last_reload_error"] is None
    assert isinstance(body["counts"], dict) and body["counts"]


async def test_health_and_ready(client):
    resp = await client.get("/healthz")
    assert resp.status == 200 and await resp.json() == {"status": "ok"}
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200 and body["status"] == "ready"
    assert body["registry"]["loaded"] is True and body["registry"]["version"]
    assert body["redis"] == {"configured": False}


class _Unloaded:
    current = None
    last_error = None
    loaded_at = None

    async def reload(self) -> bool:
        return False


async def test_not_ready_is_503_problem(aiohttp_client):
    client = await aiohttp_client(create_app(make_settings(), registry_holder=_Unloaded()))
    for method, path in [("GET", "/readyz"), ("GET", "/v1/registry"), ("POST", "/v1/verify")]:
        resp = await client.request(method, path, json={"text": "x"})
        body = await resp.json()
        assert_problem(resp, body, 503)
        assert int(resp.headers["Retry-After"]) >= 1
    assert body["checks"]["registry"]["loaded"] is False
    assert (await client.get("/healthz")).status == 200


async def test_metrics(client):
    await post(client, "/v1/verify", {"text": SCAM})
    await client.get("/nope/13812345678?q=secret")
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    text = await resp.text()
    assert 'verifier_http_requests_total{method="POST",route="/v1/verify",status="200"} 1.0' in text
    assert 'route="(unmatched)"' in text
    assert "verifier_verdicts_total{" in text and "verifier_reasons_total{" in text
    assert "verifier_http_request_duration_seconds_bucket" in text
    assert 'verifier_registry_info{version="' in text
    assert "verifier_registry_last_reload_successful 1.0" in text
    assert "13812345678" not in text and "secret" not in text and "网络" not in text


async def test_metrics_per_app(aiohttp_client):
    a = await aiohttp_client(create_app(make_settings()))
    b = await aiohttp_client(create_app(make_settings()))
    await a.get("/healthz")
    text_b = await (await b.get("/metrics")).text()
    assert 'route="/healthz"' not in text_b


async def test_unknown_method_label_is_bounded(client):
    resp = await client.request("PROPFIND", "/v1/verify")
    assert resp.status == 405
    text = await (await client.get("/metrics")).text()
    assert "PROPFIND" not in text and 'method="OTHER"' in text


async def test_openapi_and_docs(client):
    resp = await client.get("/openapi.json")
    doc = await resp.json()
    assert doc["openapi"].startswith("3.1")
    assert {"/v1/verify", "/v1/verify/batch", "/v1/registry", "/healthz", "/readyz",
            "/metrics", "/openapi.json", "/docs"} <= set(doc["paths"])
    assert "VerifyResponse" in doc["components"]["schemas"]
    resp = await client.get("/docs")
    html = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert "/v1/verify" in html and "VerifyRequest" in html
    assert "<script" not in html and "http://cdn" not in html and "https://" not in html
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


async def test_404_and_405_are_problems(client):
    resp = await client.get("/v2/nothing")
    assert_problem(resp, await resp.json(), 404)
    resp = await client.get("/v1/verify")
    assert_problem(resp, await resp.json(), 405)
    assert "POST" in resp.headers["Allow"]
    resp = await client.delete("/healthz")
    assert_problem(resp, await resp.json(), 405)


async def test_rate_limit_429(aiohttp_client, bundled_holder):
    client = await aiohttp_client(create_app(make_settings(rate_limit="2/minute"), registry_holder=bundled_holder))
    statuses = [(await post(client, "/v1/verify", {"text": "x"})).status for _ in range(2)]
    assert statuses == [200, 200]
    resp = await post(client, "/v1/verify", {"text": "x"})
    assert_problem(resp, await resp.json(), 429)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    assert (await client.get("/healthz")).status == 200  # only the verify routes are limited


async def test_a_batch_costs_one_per_notice(aiohttp_client, bundled_holder):
    # A batch of 100 counted as one request: under 60/minute a client checked 6,000 notices a
    # minute. Now each notice counts; a batch larger than the whole bucket needs a full one and
    # leaves the client waiting until it has been earned.
    client = await aiohttp_client(create_app(make_settings(rate_limit="5/minute"),
                                             registry_holder=bundled_holder))
    three = {"notices": [{"text": "x"}] * 3}
    assert (await post(client, "/v1/verify/batch", three)).status == 200
    resp = await post(client, "/v1/verify/batch", three)  # two tokens left, three asked
    problem = await resp.json()
    assert_problem(resp, problem, 429)
    assert "each notice of a batch counts" in problem["detail"]
    assert 1 <= int(resp.headers["Retry-After"]) <= 12  # one more token at 5/minute
    assert [(await post(client, "/v1/verify", {"text": "x"})).status for _ in range(3)] == [200, 200, 429]
    refused = await post(client, "/v1/verify/batch", {"notices": [{"text": "x"}] * 101})
    assert refused.status == 429, "an invalid batch still costs one"

    big = await aiohttp_client(create_app(make_settings(rate_limit="5/minute"),
                                          registry_holder=bundled_holder))
    assert (await post(big, "/v1/verify/batch", {"notices": [{"text": "x"}] * 8})).status == 200
    resp = await post(big, "/v1/verify", {"text": "x"})
    assert resp.status == 429
    assert 40 <= int(resp.headers["Retry-After"]) <= 49  # 3 in debt + 1: 4 tokens at 5/minute


async def test_a_batch_body_that_cannot_be_read_still_costs_one(aiohttp_client, bundled_holder):
    # the batch's body is read before the limit (to count its notices): a malformed one was
    # answered 400 without being counted, so a client could send them without end
    client = await aiohttp_client(create_app(make_settings(rate_limit="2/minute"),
                                             registry_holder=bundled_holder))
    for raw in (b"{not json", b'{"notices": [{"text": "x"}], "notices": []}'):
        resp = await client.post("/v1/verify/batch", data=raw, headers={"Content-Type": "application/json"})
        assert resp.status == 400
    resp = await client.post("/v1/verify/batch", data=b"[", headers={"Content-Type": "application/json"})
    assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
    assert (await post(client, "/v1/verify", {"text": "x"})).status == 429


async def test_a_client_with_nothing_left_is_refused_before_its_batch_body_is_read(
        aiohttp_client, bundled_holder):
    # The batch's body was read (to count its notices) before the limit was asked, even for a
    # client with no allowance at all: its 429 waited for the whole body, up to the read
    # deadline. Here the body never comes, so only a refusal before reading it is answered.
    client = await aiohttp_client(create_app(make_settings(rate_limit="2/minute", read_timeout_s=60),
                                             registry_holder=bundled_holder))
    assert (await post(client, "/v1/verify/batch", {"notices": [{"text": "x"}] * 2})).status == 200
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(b"POST /v1/verify/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 1000\r\n\r\n{\"notices\": [")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 429 "), head
    assert b"application/problem+json" in head and re.search(rb"Retry-After: [1-9]", head), head
    resp = await post(client, "/v1/verify/batch", {"notices": [{"text": "x"}]})
    problem = await resp.json()
    assert_problem(resp, problem, 429)
    assert "each notice of a batch counts" in problem["detail"]
    assert 1 <= int(resp.headers["Retry-After"]) <= 30


async def test_rate_limit_per_forwarded_client(aiohttp_client, bundled_holder):
    app = create_app(make_settings(rate_limit="1/minute", trusted_proxies="127.0.0.1/32"), registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    a = {"X-Forwarded-For": "198.51.100.1"}
    b = {"X-Forwarded-For": "203.0.113.9, 198.51.100.2"}
    assert (await post(client, "/v1/verify", {"text": "x"}, a)).status == 200
    assert (await post(client, "/v1/verify", {"text": "x"}, a)).status == 429
    assert (await post(client, "/v1/verify", {"text": "x"}, b)).status == 200
    # a client cannot escape by forging hops left of the proxy's entry
    forged = {"X-Forwarded-For": "192.0.2.77, 198.51.100.2"}
    assert (await post(client, "/v1/verify", {"text": "x"}, forged)).status == 429


async def test_forwarded_for_ignored_from_untrusted_peer(aiohttp_client, bundled_holder):
    client = await aiohttp_client(create_app(make_settings(rate_limit="1/minute"), registry_holder=bundled_holder))
    assert (await post(client, "/v1/verify", {"text": "x"}, {"X-Forwarded-For": "198.51.100.1"})).status == 200
    resp = await post(client, "/v1/verify", {"text": "x"}, {"X-Forwarded-For": "198.51.100.99"})
    assert resp.status == 429


async def test_overload_fast_503(aiohttp_client, bundled_holder):
    app = create_app(make_settings(max_concurrency=1), registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    from verifier.web import keys

    app[keys.CONCURRENCY].in_flight = 1  # one request is being analysed
    resp = await post(client, "/v1/verify", {"text": "x"})
    assert_problem(resp, await resp.json(), 503)
    assert resp.headers["Retry-After"] == "1"
    app[keys.CONCURRENCY].in_flight = 0
    assert (await post(client, "/v1/verify", {"text": "x"})).status == 200


async def test_network_checks_on_with_unreachable_dns(aiohttp_client, bundled_holder):
    """Probes are created when network checks are on; DNS that cannot answer is 'could not
    check' (NET_ info reasons), never an error."""
    app = create_app(make_settings(network_checks="on", dns_nameservers="127.0.0.1:9",
                                   dns_timeout_ms=100), registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    from verifier.web import keys

    assert app[keys.PROBES] is not None
    resp = await post(client, "/v1/verify", {"text": SCAM + " http://bjac.org.cn.pay-case.cc/x"})
    assert resp.status == 200
    body = await resp.json()
    assert body["verdict"] in {"suspicious", "likely_scam"}
    assert any(r["code"].startswith("NET_") for r in body["reasons"])


@pytest.mark.parametrize("path", ["/v1/verify", "/v1/verify/batch"])
async def test_a_client_with_nothing_left_is_not_asked_for_its_body(aiohttp_client, bundled_holder, path):
    # "Expect: 100-continue" was answered "100 Continue" before the limit was looked at: a client
    # with no allowance was asked to send its whole body, then refused 429 anyway.
    client = await aiohttp_client(create_app(make_settings(rate_limit="1/minute"),
                                             registry_holder=bundled_holder))
    assert (await post(client, "/v1/verify", {"text": "x"})).status == 200
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Expect: 100-continue\r\nContent-Length: 20\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 429 "), head
