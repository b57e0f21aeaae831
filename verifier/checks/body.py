"""Named-institution check: registered, lawful by name, known fake, impossible, near miss."""

from __future__ import annotations

import re

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
EMITS = frozenset(_BY_STATUS.values()) | {"BODY_NONE", "BODY_ASSOCIATION_CASE"}
# Statuses that would speak for a sender's display name; an invented or look-alike name shown
# there is evidence like one in the text.
_PROVES_NOTHING = frozenset({names.REGISTERED, names.SUB_BRAND, names.NOT_ADJUDICATOR})
# The name signs what follows ("江西省仲裁协会通知：您…"), told to a reader.
_ISSUES = re.compile(r"通知|提醒|告知")
_READER = re.compile(r"您|你|阁下|\byou\b")
# Phrase codes that only describe a message; any other is a demand, a threat or a request.
_DESCRIBES = frozenset({"CONTENT_LEGAL_NOTICE", "CONTENT_NEGATED_WARNING", "CONTENT_SERVICE_OFFER"})


def _association_acts(ex: Extraction, b: names.NamedBody) -> bool:
    """An arbitration association (中国仲裁协会) signs the notice, or tells the reader of a case, a notice
    or a demand: it handles no cases, so such a notice is not its. Named in news or an explainer, even
    one citing a case or announcing something to its members, it is only named."""
    if not b.name.endswith(names.ASSOCIATION) or b.status != names.NOT_ADJUDICATOR:
        return False
    if b.start is None or b.end is None:
        return False
    # Read around the name as the notice is read (spaced or zero-width text: "【 江 西 省 …】").
    if ex.text.window(max(0, b.start - 8), b.start).endswith(("【", "[")):
        return True  # its signature
    if _READER.search(ex.text.text) is None:
        return False  # news about it, an explainer: nobody is told anything
    return (_ISSUES.match(ex.text.window(b.end, b.end + 16)) is not None or bool(ex.cases)
            or any(h.code not in _DESCRIBES for h in ex.phrases))


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
        code = "BODY_ASSOCIATION_CASE" if _association_acts(ex, b) else _BY_STATUS[b.status]
        out.append(Finding(code, tuple(ev)))
    return out
