"""From findings to a verdict: weights, group caps and thresholds all come from the registry.

Positive evidence never hides a warning: warnings decide suspicious/likely_scam on their own,
and likely_genuine needs every channel official and no warning at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from verifier.analysis.bidi import as_shown
from verifier.checks.finding import Evidence, Finding
from verifier.registry.compiled import Registry

if TYPE_CHECKING:
    from collections.abc import Iterable


class Scored(NamedTuple):
    """Immutable; a tuple because it is built per notice and a frozen dataclass costs 5x more."""

    verdict: str
    risk: int
    reasons: list[dict[str, Any]]  # models.Reason, dumped in JSON mode
    warning_groups: int
    legal: bool = False  # is_legal_notice of the reasons' codes


def _merge(findings: list[Finding]) -> dict[str, tuple[float, list[Evidence]]]:
    merged: dict[str, tuple[float, list[Evidence]]] = {}
    for code, evidence, multiplier in findings:
        if code in merged:
            mult, items = merged[code]
            for ev in evidence:
                if ev not in items and len(items) < 20:
                    items.append(ev)
            merged[code] = (max(mult, multiplier), items)
        else:  # the code's first finding: its evidence without repeats, at most 20
            items = list(dict.fromkeys(evidence))[:20] if len(evidence) > 1 else list(evidence)
            merged[code] = (max(0.0, multiplier), items)
    return merged


def is_legal_notice(codes: Iterable[str]) -> bool:
    """The message presents itself as a legal notice: it names a body, cites a case number or
    uses legal vocabulary. Some warnings weigh more then (registry `legal_score`)."""
    return any(c in _LEGAL_MARKERS or (c.startswith("BODY_") and c not in _NOT_LEGAL_BODY) for c in codes)


_NOT_LEGAL_BODY = frozenset({"BODY_NONE", "BODY_NOT_ADJUDICATOR"})
_LEGAL_MARKERS = frozenset(
    {"CONTENT_LEGAL_NOTICE", "CASE_NUMBER_OK", "CASE_NUMBER_MALFORMED"}
)


def score(findings: list[Finding], reg: Registry, lang: str) -> Scored:
    warn: dict[str, float] = {}
    good: dict[str, float] = {}
    tables = reg.prepared
    codes = tables.codes
    messages = tables.messages[tables.lang(lang)]
    rows = []
    merged = _merge(findings)
    legal = is_legal_notice(merged)
    for code, (mult, items) in merged.items():
        row = codes[code]
        if row.testing:
            contribution = 0.0
        elif mult == 1.0:  # round(base * 1.0, 2), done once per registry
            contribution = row.legal_score if legal and row.legal_score is not None else row.score
        else:
            base = row.raw_legal_score if legal and row.raw_legal_score is not None else row.raw_score
            contribution = round(base * mult, 2)
        if contribution > 0:
            warn[row.group] = warn.get(row.group, 0.0) + contribution
            key = -contribution
        else:
            if contribution < 0:
                good[row.group] = good.get(row.group, 0.0) + contribution
            key = 0
        rows.append(((key, row.order, code), row, contribution, items))
    caps, floors = tables.max_score, tables.min_score
    w = p = 0.0
    groups = 0
    for g, v in warn.items():  # in insertion order, as sum() over them added
        w += min(v, caps[g])
        groups += v > 0
    for g, v in good.items():
        p += max(v, floors[g])
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
    rows.sort()  # by key: codes are unique, so the same order whatever the findings' order
    reasons = []
    append = reasons.append
    for (_key, _order, code), row, contribution, items in rows:
        template, has_value = messages[code]
        if has_value:
            template = template.replace("{value}", as_shown(items[0][1]) if items else "")
        append({
            "code": code, "severity": row.severity, "score": contribution, "group": row.group,
            "message": template,
            "evidence": [{"field": f, "value": v, "start": a, "end": b} for f, v, a, b in items],
            "testing": row.testing,
        })
    return Scored(verdict, risk, reasons, groups, legal)
