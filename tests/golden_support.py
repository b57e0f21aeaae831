"""Golden answers: the exact JSON the engine gives for a fixed set of inputs.

The set: every corpus notice in each answer language and in traditional script, full-width,
with zero-width characters and spaced out; every engine table case; network outcomes; hostile
and random strings. Speed work on the engine must not change one byte of these answers.

    python tests/golden_support.py      # rewrite tests/golden/engine.jsonl.xz (after a
                                        # deliberate change of behaviour or of the registry)
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import lzma
import random
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "engine.jsonl.xz"
TODAY = dt.date(2026, 11, 24)  # case numbers' years are judged against it
LANGS = ("zh-Hans", "zh-Hant", "en")
_ALPHABET = "仲裁委员会網絡法院网络【】（）()[].:/ 0123456789abcxyz@_-点。，\u200bｗ１３８\u3000請於號"


def _corpus() -> list[dict]:
    path = HERE / "corpus" / "notices.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@functools.lru_cache(maxsize=1)
def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2t")


def _variants(text: str) -> Iterator[tuple[str, str]]:
    yield "trad", _s2t().convert(text)  # type: ignore[attr-defined]
    yield "fullwidth", "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                               for c in text)
    yield "zero-width", "".join(c + ("\u200b" if i % 3 == 1 else "") for i, c in enumerate(text))
    yield "spaced", " ".join(text)


def _network_cases() -> Iterator[tuple[str, dict, object]]:
    from verifier.analysis.evidence import (
        DnsblResult,
        DomainEvidence,
        ExpansionResult,
        NetworkEvidence,
    )

    req = {"text": "仲裁查询 https://zc-notice.com/case"}
    dom = "zc-notice.com"
    for res in ("exists", "nxdomain", "unknown"):
        yield f"net-{res}", req, NetworkEvidence(True, {dom: DomainEvidence(dom, res)})
    yield "net-missing", req, NetworkEvidence(True, {})
    for status, code in (("listed", "127.0.1.4"), ("listed", "127.0.1.102"), ("clean", None),
                         ("refused", "127.255.255.254"), ("unknown", None)):
        yield (f"net-dnsbl-{status}-{code}", req, NetworkEvidence(True, {dom: DomainEvidence(
            dom, "exists", (DnsblResult("dbl.spamhaus.org", status, code),))}, timed_out=status == "unknown"))
    short = {"text": "【仲裁文书送达】裁决书待查收 https://dwz.cn/zC8kQ2"}
    url, sdom = "https://dwz.cn/zc8kq2", {"dwz.cn": DomainEvidence("dwz.cn", "exists")}
    for name, x in (("expanded", ExpansionResult("expanded", "https://bjac.org.cn.pay-case.cc/x", "pay-case.cc", 1)),
                    ("blocked", ExpansionResult("blocked", why="private_address")),
                    ("failed", ExpansionResult("failed", why="timeout")),
                    ("skipped", ExpansionResult("skipped"))):
        yield f"net-short-{name}", short, NetworkEvidence(True, sdom, expansions={url: x})


def inputs() -> Iterator[tuple[str, dict, str, object]]:
    """(id, request, lang, network evidence or None) for every golden answer."""
    sys.path.insert(0, str(HERE))
    from test_engine_cases import CASES
    from test_hostile_engine import HOSTILE

    from verifier.models import MAX_TEXT_CHARS

    for row in _corpus():
        for lang in LANGS:
            yield f"corpus/{row['id']}/{lang}", row["request"], lang, None
        text = row["request"].get("text")
        if text:
            for name, variant in _variants(text):
                yield (f"corpus/{row['id']}/{name}", row["request"] | {"text": variant[:MAX_TEXT_CHARS]},
                       row["lang"], None)
    for case_id, req, *_ in CASES:
        yield f"case/{case_id}", req, "zh-Hans", None
        for name, variant in _variants(req.get("text") or ""):
            yield f"case/{case_id}/{name}", req | {"text": variant[:MAX_TEXT_CHARS] or None}, "en", None
    for case_id, req, net in _network_cases():
        yield f"net/{case_id}", req, "zh-Hans", net
    for name, text in HOSTILE.items():
        yield f"hostile/{name}", {"text": text[:MAX_TEXT_CHARS] or None, "sender": "x"}, "zh-Hans", None
    rnd = random.Random(20261124)
    for i in range(300):
        text = "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 300)))
        yield f"random/{i}", {"text": text}, LANGS[i % 3], None


def evidence(req: dict, net: object, registry: object) -> object:
    from verifier.analysis.evidence import NetworkEvidence
    from verifier.analysis.extract import extract
    from verifier.engine import Evidence
    from verifier.models import VerifyRequest

    ex = extract(VerifyRequest.model_validate(req), registry, TODAY)  # type: ignore[arg-type]
    return Evidence(ex, net or NetworkEvidence.off())  # type: ignore[arg-type]


def masked(text: str, registry: object) -> str:
    """The registry version masked: it is a content hash, so any registry edit changes it,
    which is not what these answers guard."""
    return text.replace(registry.version, "<registry>")  # type: ignore[attr-defined]


def answer(req: dict, lang: str, net: object, registry: object, request_id: str) -> str:
    """The body `verifier check --json` prints for this input (the pydantic model's JSON)."""
    from verifier.engine import evaluate

    resp = evaluate(evidence(req, net, registry), registry, lang, request_id)  # type: ignore[arg-type]
    return masked(resp.model_dump_json(), registry)


def compute(registry: object) -> dict[str, str]:
    return {key: answer(req, lang, net, registry, f"golden-{n}")
            for n, (key, req, lang, net) in enumerate(inputs())}


def read() -> dict[str, str]:
    with lzma.open(GOLDEN, "rt", encoding="utf-8") as f:
        return {d["id"]: d["json"] for d in map(json.loads, f)}


def write(registry: object) -> int:
    GOLDEN.parent.mkdir(exist_ok=True)
    answers = compute(registry)
    with lzma.open(GOLDEN, "wt", encoding="utf-8", preset=9) as f:
        for key, text in answers.items():
            f.write(json.dumps({"id": key, "json": text}, ensure_ascii=False) + "\n")
    return len(answers)


if __name__ == "__main__":
    from verifier.registry.compiled import load_registry
    from verifier.settings import bundled_registry_path

    print(f"{write(load_registry(bundled_registry_path()))} answers -> {GOLDEN}")
