"""From findings to a verdict: weights, group caps and thresholds all come from the registry.

Positive evidence never hides a warning: warnings decide suspicious/likely_scam on their own,
and likely_genuine needs every channel official and no warning at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from verifier.checks.finding import Evidence, Finding
from verifier.prepared import CodeRow
from verifier.registry.compiled import Registry

if TYPE_CHECKING:
    from collections.abc import Iterable

@dataclass(frozen=True, slots=True)
class Scored:
    verdict: str
    risk: int
    reasons: list[dict[str, Any]]  # models.Reason, dumped in JSON mode
    warning_groups: int


def _merge(findings: list[Finding]) -> dict[str, tuple[float, list[Evidence]]]:
    merged: dict[str, tuple[float, list[Evidence]]] = {}
    for f in findings:
        mult, items = merged.get(f.code, (0.0, []))
        for ev in f.evidence:
            if ev not in items and len(items) < 20:
                items.append(ev)
        merged[f.code] = (max(mult, f.multiplier), items)
    return merged


def _render(template: str, items: list[Evidence]) -> str:
    if "{value}" not in template:
        return template
    value = items[0].value if items else ""
    return template.replace("{value}", value)


def is_legal_notice(codes: Iterable[str]) -> bool:
    """The message presents itself as a legal notice: it names a body, cites a case number or
    uses legal vocabulary. Some warnings weigh more then (registry `legal_score`)."""
    return any(c in _LEGAL_MARKERS or (c.startswith("BODY_") and c != "BODY_NONE") for c in codes)


_LEGAL_MARKERS = frozenset(
    {"CONTENT_LEGAL_NOTICE", "CONTENT_EMERGENCY_CONTACT", "CASE_NUMBER_OK", "CASE_NUMBER_MALFORMED"}
)


def _reason(code: str, row: CodeRow, contribution: float, message: str, items: list[Evidence]) -> dict[str, Any]:
    """A models.Reason as its JSON-mode dump (field order as declared there)."""
    return {
        "code": code, "severity": row.severity, "score": contribution, "group": row.group,
        "message": message,
        "evidence": [{"field": e[0], "value": e[1], "start": e[2], "end": e[3]} for e in items],
        "testing": row.testing,
    }


def score(findings: list[Finding], reg: Registry, lang: str) -> Scored:
    warn: dict[str, float] = defaultdict(float)
    good: dict[str, float] = defaultdict(float)
    tables = reg.prepared
    messages = tables.messages[tables.lang(lang)]
    rows = []
    merged = _merge(findings)
    legal = is_legal_notice(merged)
    for code, (mult, items) in merged.items():
        row = tables.codes[code]
        base = row.legal_score if legal and row.legal_score is not None else row.score
        contribution = 0.0 if row.testing else round(base * mult, 2)
        if contribution > 0:
            warn[row.group] += contribution
        elif contribution < 0:
            good[row.group] += contribution
        rows.append(((-contribution if contribution > 0 else 0, row.order, code), row, contribution, items))
    w = sum(min(v, reg.groups[g].max_score) for g, v in warn.items())
    p = sum(max(v, reg.groups[g].min_score) for g, v in good.items())
    groups = sum(1 for v in warn.values() if v > 0)
    t = reg.verdicts

    if w >= t.likely_scam and groups >= t.likely_scam_min_groups:
        verdict, low, high = "likely_scam", t.likely_scam, 100
    elif w >= t.suspicious:
        verdict, low, high = "suspicious", t.suspicious, t.likely_scam - 1
    elif w == 0 and "CONSISTENCY_ALL_OFFICIAL" in merged:
        verdict, low, high = "likely_genuine", 0, 9
    else:
        verdict, low, high = "unverified", 0, t.suspicious - 1
    # Positive evidence lowers the risk of a clean notice, never that of one with a warning.
    risk = int(min(max(round(w if w > 0 else w + p), low), high))
    rows.sort(key=lambda r: r[0])  # codes are unique: the same order whatever the findings' order
    reasons = [_reason(key[2], row, contribution, _render(messages[key[2]], items), items)
               for key, row, contribution, items in rows]
    return Scored(verdict, risk, reasons, groups)
