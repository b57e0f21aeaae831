"""Every response, success and error, is what /openapi.json says: status, content type, body,
headers. Validated with jsonschema against the served document."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from verifier.web.app import create_app

from tests.web_support import bundled_holder, client, make_settings, settings  # noqa: F401

SCAM = "【网络仲裁委员会】您的案件已立案，请于24小时内登录 http://bjac.org.cn.pay-case.cc 处理，联系13812345678"
GENUINE = "【北京仲裁委员会】您好，您的仲裁案件已受理，详情请登录 www.bjac.org.cn 查询。"
J = {"Content-Type": "application/json"}

CASES: list[tuple[str, str, object, dict[str, str]]] = [
    ("POST", "/v1/verify", {"text": SCAM, "sender": "+8613812345678"}, J),
    ("POST", "/v1/verify", {"text": GENUINE, "sender": "106900000000", "lang": "en"}, J),
    ("POST", "/v1/verify", {"text": "明天下午三点开会"}, {**J, "Accept-Language": "zh-TW"}),
    ("POST", "/v1/verify", {"links": ["hxxp://a[.]cn/x.apk"], "institution": "中国金融仲裁院"}, J),
    ("POST", "/v1/verify", {"sender": "95588"}, J),
    ("POST", "/v1/verify/batch", {"notices": [{"text": SCAM}, {"text": 1}, {}, [], {"text": GENUINE}]}, J),
    ("POST", "/v1/verify", {}, J),
    ("POST", "/v1/verify", {"text": 5, "links": "x"}, J),
    ("POST", "/v1/verify", b"{nope", J),
    ("POST", "/v1/verify", b"\xff", J),
    ("POST", "/v1/verify", b"[1]", J),
    ("POST", "/v1/verify", b'{"text": "x"}', {"Content-Type": "text/plain"}),
    ("POST", "/v1/verify", b'{"text": "' + b"a" * 70_000 + b'"}', J),
    ("POST", "/v1/verify/batch", {"notices": []}, J),
    ("GET", "/v1/verify", None, {}),
    ("GET", "/v1/registry", None, {}),
    ("GET", "/healthz", None, {}),
    ("GET", "/readyz", None, {}),
    ("GET", "/metrics", None, {}),
    ("GET", "/openapi.json", None, {}),
    ("GET", "/docs", None, {}),
    ("GET", "/no/such/path", None, {}),
]


def check(doc: dict, method: str, path: str, status: int, ctype: str, body: bytes, headers) -> None:
    ops = doc["paths"].get(path)
    if ops is None or method.lower() not in ops:
        # outside the documented operations: 404/405, always a problem
        assert status in (404, 405) and ctype == "application/problem+json"
        responses = {str(status): {"content": {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"}}}}}
    else:
        responses = ops[method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered undocumented {status}"
    spec = responses[str(status)]
    assert ctype in spec["content"], f"{method} {path} {status}: {ctype} not documented"
    schema = spec["content"][ctype]["schema"]
    if ctype.endswith("json"):
        Draft202012Validator({**schema, "components": doc["components"]}).validate(json.loads(body))
    for name, header in spec.get("headers", {}).items():
        h = header
        if "$ref" in h:
            h = doc["components"]["headers"][h["$ref"].rsplit("/", 1)[-1]]
        assert name in headers, f"{method} {path} {status}: header {name} missing"
        Draft202012Validator(h["schema"]).validate(headers[name])


@pytest.mark.parametrize(("method", "path", "body", "headers"), CASES,
                         ids=[f"{m} {p} {i}" for i, (m, p, _, _) in enumerate(CASES)])
async def test_response_matches_openapi(client, method, path, body, headers):
    doc = await (await client.get("/openapi.json")).json()
    data = body if body is None or isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    resp = await client.request(method, path, data=data, headers=headers)
    raw = await resp.read()
    check(doc, method, path, resp.status, resp.content_type, raw, resp.headers)


async def test_error_statuses_match_openapi(aiohttp_client, bundled_holder):
    """429 and 503 (overloaded, and not ready) against the document too."""
    app = create_app(make_settings(rate_limit="1/hour"), registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    doc = await (await client.get("/openapi.json")).json()
    for _ in range(2):
        resp = await client.post("/v1/verify", json={"text": "x"})
    assert resp.status == 429
    check(doc, "POST", "/v1/verify", 429, resp.content_type, await resp.read(), resp.headers)

    class Unloaded:
        current = last_error = loaded_at = None

    client = await aiohttp_client(create_app(make_settings(), registry_holder=Unloaded()))
    for method, path in [("GET", "/readyz"), ("GET", "/v1/registry"), ("POST", "/v1/verify")]:
        resp = await client.request(method, path, json={"text": "x"})
        assert resp.status == 503
        check(doc, method, path, 503, resp.content_type, await resp.read(), resp.headers)


async def test_openapi_is_valid_31(client):
    doc = await (await client.get("/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    refs = {m for m in json.dumps(doc).split('"$ref": "')[1:]}
    for ref in refs:
        target = ref.split('"', 1)[0]
        node = doc
        for part in target.removeprefix("#/").split("/"):
            node = node[part]  # every $ref resolves
