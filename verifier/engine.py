"""The engine: `evaluate(evidence, registry)` decides. Pure: no I/O, no clock, no event loop."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import orjson

from verifier import advice, scoring
from verifier.analysis.evidence import NetworkEvidence
from verifier.analysis.extract import Extraction, extract
from verifier.analysis.phones import Phone
from verifier.checks import body, case, consistency, content, links, network, sender, sender_fit
from verifier.checks.context import Context, context
from verifier.checks.finding import Finding
from verifier.models import VerifyRequest, VerifyResponse
from verifier.registry.compiled import Registry


class Evidence(NamedTuple):
    """Everything known about one notice: what its text holds and what the network said."""

    extraction: Extraction
    network: NetworkEvidence


def gather_offline(req: VerifyRequest, reg: Registry, today: dt.date | None = None) -> Evidence:
    return Evidence(extract(req, reg, today), NetworkEvidence.off())


def _inside_caution(f: Finding, cautions: list[tuple[int, int]]) -> bool:
    """A finding all of whose text evidence lies inside a caution ("本会不会要求您向个人账户转账",
    "冒充网络仲裁委员会的诈骗") is the message warning against the thing, not doing it."""
    if f.code == "CONTENT_NEGATED_WARNING" or not f.evidence:
        return False
    spans = [(e.start, e.end) for e in f.evidence if e.field == "text" and e.start is not None]
    if len(spans) != len(f.evidence):
        return False
    return all(any(a <= s and e <= b for a, b in cautions) for s, e in spans)


def findings(ev: Evidence, reg: Registry, ctx: Context | None = None) -> list[Finding]:
    ex = ev.extraction
    ctx = ctx or context(ex, reg)
    out: list[Finding] = []
    fit = sender_fit.read(ex, reg, ctx)  # read once for the sender and consistency checks
    out += sender.check(ex, reg, ctx, fit)
    out += links.check(ex, reg)
    out += body.check(ex, reg)
    out += case.check(ex, reg, ctx)
    out += content.check(ex, reg)
    out += consistency.check(ex, reg, ctx, fit)
    out += network.check(ex, reg, ev.network)
    cautions = [(h.start, h.end) for h in ex.phrases if h.code == "CONTENT_NEGATED_WARNING"]
    return _content_none([f for f in out if not _inside_caution(f, cautions)]) if cautions else out


def _content_none(out: list[Finding]) -> list[Finding]:
    """A caution that held the only content finding ("we will never ask you to pay") leaves a
    message that asks for nothing: the reader is told so, as when nothing was found at all."""
    if any(f.code in content.EMITS and f.code not in content.INFO_PHRASES for f in out):
        return out
    return out + [Finding("CONTENT_NONE", ())]


def _institution(inst_id: str | None, reg: Registry) -> dict[str, Any] | None:
    if inst_id is None:
        return None
    inst = reg.institutions[inst_id]
    facts = [inst.source] + [f.source for f in inst.domains + inst.phones + inst.senders]
    return {
        "id": inst.id, "name": inst.name, "name_en": inst.name_en, "kind": inst.kind, "city": inst.city,
        "official_domains": [d.value for d in inst.domains],
        "official_phones": [p.value for p in inst.phones],
        "official_senders": [s.value for s in inst.senders],
        "sources": list(dict.fromkeys(facts)),
    }


def _phone(p: Phone) -> dict[str, Any]:
    return {"number": p.key, "kind": p.kind, "start": p.start, "end": p.end}


def _extracted(ex: Extraction) -> dict[str, Any]:
    return {
        "senders": [_phone(ex.sender)] if ex.sender else [],
        "phones": [_phone(p) for p in ex.phones],
        "links": [{"url": lk.url, "host": lk.host, "registered_domain": lk.domain or (lk.ip or ""),
                   "start": lk.start, "end": lk.end} for lk in ex.links],
        "institutions": [{"name": b.name, "status": b.status, "institution_id": b.institution_id,
                          "start": b.start, "end": b.end} for b in ex.bodies],
        "case_numbers": [{"number": c.raw, "prefix": c.prefix, "start": c.start, "end": c.end}
                         for c in ex.cases],
    }


def answer(ev: Evidence, reg: Registry, lang: str = "zh-Hans", request_id: str | None = None) -> dict[str, Any]:
    """The verdict as `evaluate(...).model_dump(mode="json")`, built directly: the service
    serialises it with `to_json` and never pays for pydantic models it would only dump again."""
    ctx = context(ev.extraction, reg)
    scored = scoring.score(findings(ev, reg, ctx), reg, lang)
    return {
        "verdict": scored.verdict,
        "risk": scored.risk,
        "reasons": scored.reasons,
        "institution": _institution(ctx.primary.id if ctx.primary else None, reg),
        "extracted": _extracted(ev.extraction),
        "advice": advice.build(scored.verdict, scored.reasons, ctx, reg, lang, scored.legal),
        "registry": {"version": reg.version},
        "request_id": request_id,
        "lang": lang,
    }


def to_json(answer: dict[str, Any]) -> bytes:
    """`VerifyResponse.model_validate(answer).model_dump_json()` as UTF-8. orjson writes the same
    bytes as pydantic's serialiser for these plain values (floats, escapes and all non-ASCII text
    alike; tests/test_serialise.py) in a third of the time. Both refuse a lone surrogate, which
    no request can carry."""
    return orjson.dumps(answer)


def evaluate(ev: Evidence, reg: Registry, lang: str = "zh-Hans", request_id: str | None = None) -> VerifyResponse:
    return VerifyResponse.model_validate(answer(ev, reg, lang, request_id))


def check_offline(req: VerifyRequest, reg: Registry, lang: str = "zh-Hans") -> VerifyResponse:
    """Extract and evaluate without network evidence (the CLI default and the tests' workhorse)."""
    return evaluate(gather_offline(req, reg), reg, lang)
