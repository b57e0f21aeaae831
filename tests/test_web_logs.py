"""Logs carry ids, routes, statuses, verdicts and codes: never notice text, numbers, names, URLs,
raw paths or client headers, in either log format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from verifier.web import logs
from verifier.web.logs import LOGGER_NAME, JsonFormatter, TextFormatter

SECRETS = ["13812345678", "+8613912345678", "13912345678", "张三丰", "李四", "pay-case", "bjac-pay",
           "6222021234567890123", "110101199003071234", "SecretAgent", "198.51.100.77", "13700001111",
           "13600002222", "暗号", "evil.example", "hunter2"]
NOTICE = ("【网络仲裁委员会】张三丰您好，您的借款案件已立案，请联系李四 13812345678，"
          "登录 http://bjac.org.cn.pay-case.cc/pay 或 hxxps://bjac-pay[.]cc 缴费，"
          "卡号6222021234567890123，身份证110101199003071234，暗号 hunter2")


@pytest.fixture
def captured():
    logger = logging.getLogger(LOGGER_NAME)
    text, js = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(text), logging.StreamHandler(js)]
    handlers[0].setFormatter(TextFormatter())
    handlers[1].setFormatter(JsonFormatter())
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    for h in handlers:
        logger.addHandler(h)
    yield text, js
    for h in handlers:
        logger.removeHandler(h)
    logger.setLevel(old_level)


async def test_logs_hold_no_personal_data(client, captured):
    hostile = {"User-Agent": "SecretAgent/1.0", "X-Forwarded-For": "198.51.100.77",
               "Referer": "http://evil.example/13700001111", "Cookie": "s=hunter2"}
    bodies = [
        {"text": NOTICE, "sender": "+8613912345678", "links": ["http://evil.example/x"],
         "institution": "李四仲裁委员会"},
        {"text": NOTICE, "lang": "en"},
    ]
    for body in bodies:
        assert (await client.post("/v1/verify?phone=13700001111", json=body, headers=hostile)).status == 200
    resp = await client.post("/v1/verify/batch", json={"notices": bodies + [{"text": 13812345678}]},
                             headers=hostile)
    assert resp.status == 200
    # errors echo nothing either: validation, malformed JSON, 404 with a number in the path
    await client.post("/v1/verify", json={"text": NOTICE, "sender": 13912345678}, headers=hostile)
    await client.post("/v1/verify", data=NOTICE.encode(), headers={"Content-Type": "application/json"})
    await client.post("/v1/verify", data=NOTICE.encode()[:-1], headers={"Content-Type": "text/plain"})
    await client.get("/v1/verify/13600002222?q=张三丰", headers=hostile)

    text, js = captured[0].getvalue(), captured[1].getvalue()
    assert text and js
    for secret in SECRETS:
        assert secret not in text, secret
        assert secret not in js, secret

    events = [json.loads(line) for line in js.splitlines()]
    access = [e for e in events if e["event"] == "access"]
    assert len(access) == 7
    first = access[0]
    assert first["route"] == "/v1/verify" and first["method"] == "POST" and first["status"] == 200
    assert first["verdict"] in {"suspicious", "likely_scam"} and first["codes"]
    assert first["registry"] and isinstance(first["ms"], float) and len(first["request_id"]) == 32
    assert any(e["route"] == "(unmatched)" and e["status"] == 404 for e in access)
    batch = next(e for e in access if e["route"] == "/v1/verify/batch")
    assert isinstance(batch["verdict"], list) and len(batch["verdict"]) == 2
    assert "level=info event=access" in text and "route=/v1/verify " in text


@pytest.mark.parametrize("value,shown", [
    ("plain", "plain"), ("", '""'), ("a b", '"a b"'), ("a=b", '"a=b"'), ('a"b', '"a\\"b"'),
    ("a\nb", '"a\\nb"'), ("a\tb", '"a\\tb"'), ("仲裁", "仲裁"), (["A_ONE", "B_TWO"], "A_ONE,B_TWO"),
    (12.5, "12.5"), (200, "200"),
])
def test_a_text_line_quotes_a_value_only_when_it_must(value, shown):
    """key=value stays one token per field: a value with a space, '=', quote, newline or tab (or
    none at all) is written as a JSON string."""
    assert logs._scalar(value) == shown
