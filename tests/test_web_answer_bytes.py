"""The endpoint sends exactly the JSON of the VerifyResponse model (what `verifier check --json`
prints), though it builds no models on its way: every corpus notice, single and in a batch."""

from __future__ import annotations

import json

from test_golden import INPUTS

from verifier.engine import evaluate, gather_offline
from verifier.models import VerifyRequest

CORPUS = [(key, req, lang) for key, req, lang, net in INPUTS if key.startswith("corpus/") and net is None][::7]


async def test_verify_body_is_the_models_json(client, bundled_holder):
    registry = bundled_holder.current
    for _key, req, lang in CORPUS:
        resp = await client.post("/v1/verify", data=json.dumps({**req, "lang": lang}, ensure_ascii=False),
                                 headers={"Content-Type": "application/json"})
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
        rid = resp.headers["X-Request-ID"]
        model = evaluate(gather_offline(VerifyRequest.model_validate(req), registry), registry, lang, rid)
        assert await resp.read() == model.model_dump_json().encode()


async def test_batch_items_are_the_models_dump(client, bundled_holder):
    registry = bundled_holder.current
    notices = [{**req, "lang": lang} for _key, req, lang in CORPUS[:40]]
    resp = await client.post("/v1/verify/batch", data=json.dumps({"notices": notices}, ensure_ascii=False),
                             headers={"Content-Type": "application/json"})
    assert resp.status == 200
    rid = resp.headers["X-Request-ID"]
    results = (await resp.json())["results"]
    for i, (notice, got) in enumerate(zip(notices, results, strict=True)):
        req = VerifyRequest.model_validate({k: v for k, v in notice.items() if k != "lang"})
        model = evaluate(gather_offline(req, registry), registry, notice["lang"], f"{rid}.{i}")
        assert got == model.model_dump(mode="json")
