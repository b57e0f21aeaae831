"""The labelled corpus (tests/corpus/notices.jsonl): one test per case, and the confusion table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier.models import VerifyRequest
from verifier.registry.evaluate import evaluate_cases, read_corpus
from verifier.engine import check_offline

CORPUS = Path(__file__).parent / "corpus" / "notices.jsonl"
CASES = read_corpus(CORPUS)


def test_corpus_is_balanced_and_covers_every_family():
    labels = [c["label"] for c in CASES]
    assert len(CASES) >= 150
    for label in ("scam", "genuine", "ordinary"):
        assert labels.count(label) >= 40
    families = {code.split("_")[0] for c in CASES for code in c.get("expect_codes", [])}
    assert {"SENDER", "LINK", "BODY", "CASE", "CONTENT", "CONSISTENCY"} <= families


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(registry, case):
    req = VerifyRequest.model_validate(case["request"])
    resp = check_offline(req, registry, "zh-Hans")
    codes = {r.code for r in resp.reasons}
    assert set(case.get("expect_codes", [])) <= codes, sorted(codes)
    assert not set(case.get("forbid_codes", [])) & codes
    if case["label"] == "scam":
        assert resp.verdict != "likely_genuine"


def test_confusion_table(registry):
    rep = evaluate_cases(CASES, registry)
    print(json.dumps({k: dict(v) for k, v in rep.table.items()}))
    assert rep.scam_genuine == []  # no scam is ever likely_genuine
    assert rep.recall >= 0.95  # scams flagged
    assert rep.false_positive_rate <= 0.03  # genuine and ordinary messages flagged
