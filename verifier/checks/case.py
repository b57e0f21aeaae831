"""Case-number check: well-formed, and whether its prefix belongs to the named body."""

from __future__ import annotations

import re

from verifier.analysis.extract import Extraction
from verifier.checks.context import Context
from verifier.checks.finding import Finding, item
from verifier.registry.compiled import Registry

_LEADING_LETTERS = re.compile(r"[a-z]{2,10}(?=[^a-z]|$)")
EMITS = frozenset({"CASE_NONE", "CASE_NUMBER_OK", "CASE_NUMBER_MALFORMED", "CASE_PREFIX_MATCH",
                   "CASE_PREFIX_MISMATCH"})


def owners(prefix: str, reg: Registry) -> frozenset[str]:
    """Institutions whose registered case prefix this is (exact, or ending the longer prefix)."""
    if prefix in reg.case_prefixes:
        return reg.case_prefixes[prefix]
    for n in range(len(prefix) - 1, 2, -1):
        tail = prefix[-n:]
        if tail in reg.case_prefixes:
            return reg.case_prefixes[tail]
    return frozenset()


def _own_reference(serial: str | None, reg: Registry, ctx: Context) -> bool:
    """'Case No. HKIAC/A25123': a labelled reference led by the acronym of a body the notice
    names. International bodies number their cases their own way; a lender's 'ZC-2024-0088' is
    still malformed."""
    letters = _LEADING_LETTERS.match(serial or "")
    return bool(letters) and reg.english_names.get(letters[0]) in ctx.named


def check(ex: Extraction, reg: Registry, ctx: Context) -> list[Finding]:
    if not ex.cases:
        return [Finding("CASE_NONE")]
    out = []
    for c in ex.cases:
        ev = (item("text", ex.original[c.start:c.end], c.start, c.end),)
        ok = c.well_formed or _own_reference(c.serial, reg, ctx)
        out.append(Finding("CASE_NUMBER_OK" if ok else "CASE_NUMBER_MALFORMED", ev))
        if not c.prefix:
            continue
        ids = owners(c.prefix, reg)
        if ids and ctx.primary:
            out.append(Finding("CASE_PREFIX_MATCH" if ids & ctx.named else "CASE_PREFIX_MISMATCH", ev))
        elif ids and ctx.named_fake:
            out.append(Finding("CASE_PREFIX_MISMATCH", ev))
    return out
