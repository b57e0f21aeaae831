"""Sender check: what kind of line the notice came from."""

from __future__ import annotations

import re

from verifier.analysis import phones, urls
from verifier.analysis.extract import Extraction
from verifier.checks import sender_fit
from verifier.checks.context import Context
from verifier.checks.finding import Finding, item
from verifier.checks.links import PLACEHOLDER, embedded_official, lookalike_of
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
    "SENDER_SIGNATURE_TYPED", "SENDER_EMAIL", "SENDER_EMAIL_REGISTERED", "SENDER_EMAIL_LOOKALIKE",
    "SENDER_DISPLAY_NAME", "SENDER_OTHER_BODY",
}
# Carriers put a registered business sender's signature, 【name】, in front of its messages; such
# messages come from business SMS ports, not from a subscriber's phone (sources: registry/README.md, "Codes").
_SIGNATURE = re.compile(r"\s*[【〖\[]([^【】〖〗\[\]\n]{2,30})[】〗\]]")
_PHONE_KINDS = frozenset({phones.MOBILE, phones.VIRTUAL, phones.FOREIGN})


def _email(s: phones.Phone, reg: Registry) -> Finding:
    """An e-mail's sender is judged by its domain, as a link is: under a registered body's own
    domain (whether the named body's, the consistency check says), imitating one
    ('notice@cietac-arbitration.net', 'judiciary.hk-x@mail.cc'), or anywhere else (a free mailbox)."""
    ev = (item("sender", s.raw),)
    host = phones.email_host(s)
    if reg.official_owner(host) is not None:
        return Finding("SENDER_EMAIL_REGISTERED", ev)
    link = urls.parse_link(f"http://{s.key}", known_link=True)  # the user part too: 'bjac.org.cn@mail.cc'
    if link is not None:
        worn = embedded_official(link, reg) or lookalike_of(link, reg)
        if worn:
            return Finding("SENDER_EMAIL_LOOKALIKE", ev + (item("links", worn),))
    return Finding("SENDER_EMAIL", ev)


def check(ex: Extraction, reg: Registry, ctx: Context, fit: sender_fit.Fit) -> list[Finding]:
    s = ex.sender
    if s is None:
        return [Finding("SENDER_NOT_GIVEN")]
    ev = (item("sender", s.raw),)
    if s.kind == phones.EMAIL:
        return [_email(s, reg)]
    if s.kind == phones.ALPHANUMERIC and any(b.field == "sender" for b in ex.bodies):
        return [Finding("SENDER_DISPLAY_NAME", ev)]  # a body's name shown for the number (see names.display_name)
    out = [Finding(_BY_KIND.get(s.kind, "SENDER_UNPARSEABLE"), ev)]
    if s.key and s.key in reg.scam_numbers:
        out.append(Finding("SENDER_KNOWN_SCAM", ev))
    if sender_fit.owners(ex, reg):
        out = [f for f in out if f.code not in ("SENDER_PERSONAL_MOBILE", "SENDER_HOTLINE_400")]
        if (other := fit.other) is None:
            # a province's port for a body whose province cannot be read is neither official nor another's
            if not fit.unplaced:
                out.append(Finding("SENDER_OFFICIAL", ev))
        elif not (ctx.primary and sender_fit.borrowed_from_commission(ex, reg, ctx.channels or ctx.family)):
            # (a commission's number borrowed for another's notice: CONSISTENCY_OTHER_BODY_NUMBER says so)
            out.append(Finding("SENDER_OTHER_BODY", ev + (item("institution", other.name),)))
    elif s.kind in _PHONE_KINDS and (m := _SIGNATURE.match(ex.text.text)) and not PLACEHOLDER.fullmatch(m[0].strip()):
        start, end = ex.text.span(m.start(1) - 1, m.end())  # the brackets, not the spaces before
        out.append(Finding("SENDER_SIGNATURE_TYPED", (item("text", ex.original[start:end], start, end),)))
    return out
