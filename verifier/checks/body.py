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
# Statuses that would speak for a sender's display name; an invented or look-alike name shown
# there is evidence like one in the text.
_PROVES_NOTHING = frozenset({names.REGISTERED, names.SUB_BRAND, names.NOT_ADJUDICATOR})


def check(ex: Extraction, reg: Registry) -> list[Finding]:
    if not ex.bodies:
        return [Finding("BODY_NONE")]
    out = []
    for b in ex.bodies:
        if b.field == "sender" and b.status in _PROVES_NOTHING:
            continue  # a real name shown as the sender is typed by whoever sends: SENDER_DISPLAY_NAME says so
        ev = [item(b.field, b.name if b.field != "text" else ex.original[b.start:b.end], b.start, b.end)]
        if b.status == names.NEAR_MISS and b.institution_id:
            ev.append(item("institution", reg.institutions[b.institution_id].name))
        out.append(Finding(_BY_STATUS[b.status], tuple(ev)))
    return out
