"""Named-institution check: registered, lawful by name, known fake, impossible, near miss."""

from __future__ import annotations

from verifier.analysis import names
from verifier.analysis.extract import Extraction
from verifier.checks.finding import Finding, item
from verifier.registry.compiled import Registry

_BY_STATUS = {
    names.REGISTERED: "BODY_REGISTERED",
    names.SUB_BRAND: "BODY_SUB_BRAND",
    names.LAWFUL: "BODY_LAWFUL_PATTERN",
    names.FAKE: "BODY_KNOWN_FAKE",
    names.IMPOSSIBLE: "BODY_IMPOSSIBLE_NAME",
    names.NEAR_MISS: "BODY_NEAR_MISS",
    names.NON_BODY: "BODY_NON_BODY",
    names.UNRECOGNISED: "BODY_UNRECOGNISED",
    names.NOT_ADJUDICATOR: "BODY_NOT_ADJUDICATOR",
}
EMITS = frozenset(_BY_STATUS.values()) | {"BODY_NONE"}


def check(ex: Extraction, reg: Registry) -> list[Finding]:
    if not ex.bodies:
        return [Finding("BODY_NONE")]
    out = []
    for b in ex.bodies:
        ev = [item(b.field, b.name if b.field != "text" else ex.original[b.start:b.end], b.start, b.end)]
        if b.status == names.NEAR_MISS and b.institution_id:
            ev.append(item("institution", reg.institutions[b.institution_id].name))
        out.append(Finding(_BY_STATUS[b.status], tuple(ev)))
    return out
