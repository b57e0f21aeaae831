"""Sender check: what kind of line the notice came from."""

from __future__ import annotations

from verifier.analysis import phones
from verifier.analysis.extract import Extraction
from verifier.checks.finding import Finding, item
from verifier.registry.compiled import Registry

_BY_KIND = {
    phones.MOBILE: "SENDER_PERSONAL_MOBILE",
    phones.VIRTUAL: "SENDER_VIRTUAL_OPERATOR",
    phones.FOREIGN: "SENDER_FOREIGN",
    phones.SERVICE_PORT: "SENDER_SERVICE_PORT",
    phones.SHORT: "SENDER_SHORT_NUMBER",
    phones.HOTLINE: "SENDER_HOTLINE_400",
    phones.LANDLINE: "SENDER_LANDLINE",
    phones.ALPHANUMERIC: "SENDER_ALPHANUMERIC",
    phones.HIDDEN: "SENDER_HIDDEN",
}
EMITS = frozenset(_BY_KIND.values()) | {
    "SENDER_NOT_GIVEN", "SENDER_UNPARSEABLE", "SENDER_KNOWN_SCAM", "SENDER_OFFICIAL",
}


def check(ex: Extraction, reg: Registry) -> list[Finding]:
    s = ex.sender
    if s is None:
        return [Finding("SENDER_NOT_GIVEN")]
    ev = (item("sender", s.raw),)
    out = [Finding(_BY_KIND.get(s.kind, "SENDER_UNPARSEABLE"), ev)]
    if s.key and s.key in reg.scam_numbers:
        out.append(Finding("SENDER_KNOWN_SCAM", ev))
    if s.key and (s.key in reg.official_senders or s.key in reg.official_phones):
        out = [f for f in out if f.code not in ("SENDER_PERSONAL_MOBILE", "SENDER_HOTLINE_400")]
        out.append(Finding("SENDER_OFFICIAL", ev))
    return out
