"""From findings to a verdict: weights, group caps and thresholds all come from the registry.

Positive evidence never hides a warning: warnings decide suspicious/likely_scam on their own,
and likely_genuine needs every channel official and no warning at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from verifier.checks.finding import Finding
from verifier.models import EvidenceItem, Reason
from verifier.registry.compiled import Registry

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "positive": 3, "info": 4}


@dataclass(frozen=True, slots=True)
class Scored:
    verdict: str
    risk: int
    reasons: list[Reason]
    warning_groups: int


def _merge(findings: list[Finding]) -> dict[str, tuple[float, list[EvidenceItem]]]:
    merged: dict[str, tuple[float, list[EvidenceItem]]] = {}
    for f in findings:
        mult, items = merged.get(f.code, (0.0, []))
        for ev in f.evidence:
            if ev not in items and len(items) < 20:
                items.append(ev)
        merged[f.code] = (max(mult, f.multiplier), items)
    return merged


def _render(template: str, items: list[EvidenceItem]) -> str:
    if "{value}" not in template:
        return template
    value = items[0].value if items else ""
    return template.replace("{value}", value)


def is_legal_notice(codes: set[str]) -> bool:
    """The message presents itself as a legal notice: it names a body, cites a case number or
    uses legal vocabulary. Some warnings weigh more then (registry `legal_score`)."""
    return bool(codes & _LEGAL_MARKERS) or any(
        c.startswith("BODY_") and c != "BODY_NONE" for c in codes
    )


_LEGAL_MARKERS = frozenset(
    {"CONTENT_LEGAL_NOTICE", "CONTENT_EMERGENCY_CONTACT", "CASE_NUMBER_OK", "CASE_NUMBER_MALFORMED"}
)


def score(findings: list[Finding], reg: Registry, lang: str) -> Scored:
    warn: dict[str, float] = defaultdict(float)
    good: dict[str, float] = defaultdict(float)
    reasons: list[Reason] = []
    merged = _merge(findings)
    legal = is_legal_notice(set(merged))
    for code, (mult, items) in merged.items():
        cdef = reg.codes[code]
        base = cdef.legal_score if legal and cdef.legal_score is not None else cdef.score
        contribution = 0.0 if cdef.testing else round(base * mult, 2)
        if contribution > 0:
            warn[cdef.group] += contribution
        elif contribution < 0:
            good[cdef.group] += contribution
        reasons.append(Reason.model_construct(
            code=code, severity=cdef.severity, score=contribution, group=cdef.group,
            message=_render(cdef.messages.get(lang), items), evidence=items, testing=cdef.testing,
        ))
    w = sum(min(v, reg.groups[g].max_score) for g, v in warn.items())
    p = sum(max(v, reg.groups[g].min_score) for g, v in good.items())
    groups = sum(1 for v in warn.values() if v > 0)
    t = reg.verdicts
    codes = {r.code for r in reasons}

    if w >= t.likely_scam and groups >= t.likely_scam_min_groups:
        verdict, low, high = "likely_scam", t.likely_scam, 100
    elif w >= t.suspicious:
        verdict, low, high = "suspicious", t.suspicious, t.likely_scam - 1
    elif w == 0 and "CONSISTENCY_ALL_OFFICIAL" in codes:
        verdict, low, high = "likely_genuine", 0, 9
    else:
        verdict, low, high = "unverified", 0, t.suspicious - 1
    # Positive evidence lowers the risk of a clean notice, never that of one with a warning.
    risk = int(min(max(round(w if w > 0 else w + p), low), high))
    reasons.sort(key=lambda r: (-r.score if r.score > 0 else 0, _SEVERITY_ORDER[r.severity], r.code))
    return Scored(verdict, risk, reasons, groups)
