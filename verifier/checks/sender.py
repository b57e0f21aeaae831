"""Sender check: what kind of line the notice came from."""

from __future__ import annotations

import re

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
    "SENDER_SIGNATURE_TYPED",
}
# Carriers put a registered business sender's signature, 【name】, in front of its messages; such
# messages come from business SMS ports, not from a subscriber's phone (registry README, Sender).
_SIGNATURE = re.compile(r"\s*[【〖\[]([^【】〖〗\[\]\n]{2,30})[】〗\]]")
_PHONE_KINDS = frozenset({phones.MOBILE, phones.VIRTUAL, phones.FOREIGN})


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
    elif s.kind in _PHONE_KINDS and (m := _SIGNATURE.match(ex.text.text)):
        start, end = ex.text.span(m.start(1) - 1, m.end())  # the brackets, not the spaces before
        out.append(Finding("SENDER_SIGNATURE_TYPED", (item("text", ex.original[start:end], start, end),)))
    return out
