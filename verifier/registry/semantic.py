"""Registry entries that are well formed but mean something no maintainer can want: an official
domain anyone can publish under, a pattern that fires on every notice, a verdict no notice can
reach. Refused at `registry check`, start-up and every reload (the running registry stays)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import regex

from verifier.analysis.urls import registered_domain, suffix_hosted

# Second-level categories that are open by name: commercial, network, organisation (com.cn,
# org.mo, co.uk). A suffix holding one of them is for companies and associations, not only for
# public bodies.
_OPEN_CATEGORIES = frozenset({"com", "net", "org", "co", "biz", "info"})

# One character of each kind a notice is made of: a pattern matching all of them (".", "\W|\w")
# matches any text, whatever it says.
_ANY_TEXT = ("x", "中", "7", " ", "。")


def open_host_problem(host: str, shorteners: frozenset[str], free_hosting: frozenset[str],
                      shared_documents: frozenset[str]) -> str | None:
    """Why `host` cannot be an institution's own domain: anyone can put a link or a page under it,
    so listing it made every shortened link, free site or shared document LINK_OFFICIAL."""
    if host in shorteners or registered_domain(host) in shorteners:
        return "is a URL shortener (lists/shorteners.txt): anyone's link can go through it"
    if suffix_hosted(host, free_hosting):
        return "is free hosting (lists/free_hosting.txt): anyone can put up a page under it"
    if suffix_hosted(host, shared_documents):
        return "is a document share (lists/shared_documents.txt): anyone can publish on it"
    return None


def pattern_problem(pattern: regex.Pattern[str]) -> str | None:
    """A pattern that matches the empty text or any one character fires on every notice."""
    if pattern.search("") is not None:
        return "matches the empty text, so it fires on every notice; make it require something"
    if all(pattern.search(text) is not None for text in _ANY_TEXT):
        return "matches any single character, so it fires on every notice; make it require something"
    return None


def verdict_problem(min_groups: int, warning_groups: Iterable[str]) -> str | None:
    """likely_scam needs warnings from `min_groups` groups; with fewer groups that can warn, no
    notice can be likely_scam (every scam came back suspicious at most)."""
    groups = sorted(set(warning_groups))
    if min_groups > len(groups):
        return (f"likely_scam_min_groups is {min_groups} but only {len(groups)} groups have "
                f"warning codes ({', '.join(groups)}): no notice could be likely_scam")
    return None


def trusted_suffix_problem(suffix: str, open_domains: Mapping[str, str],
                           abused_tlds: frozenset[str]) -> str | None:
    """Why `suffix` cannot be a trusted suffix. A link's registered domain ending in one is
    LINK_OFFICIAL (it may make a notice likely_genuine), so the suffix must be one only public
    bodies can register below: `cn` or `com` made every scam site official. Which suffixes are
    restricted is a fact the entry's source states; what is refused here is what the service
    itself knows to be open: a country code (every one takes companies and people), a commercial
    or organisation category, an abused TLD, or a suffix under which a shortener, free host,
    document share or company (`open_domains`, domain -> why) is registered. `xn--zfr164b` (.政务)
    is one label, reserved for public bodies, and passes."""
    if not suffix.isascii():  # links' domains are compared in their punycode form
        try:
            spelled = suffix.encode("idna").decode("ascii")
        except UnicodeError:
            spelled = "its xn-- form"
        return f"is not in punycode, so no link's domain ends with it; write {spelled}"
    if registered_domain("x." + suffix) != "x." + suffix:
        return ("is not a public suffix, so no link's registered domain ends with it (the entry "
                "never matched); list a body's own domain under its institution instead")
    labels = suffix.split(".")
    if len(labels) == 1 and len(suffix) == 2:
        return ("is a country's top-level domain: companies and people register below it, "
                "so every site under it would read as official")
    if open_label := next((label for label in labels if label in _OPEN_CATEGORIES), None):
        return (f"holds the open category {open_label!r}: companies or associations register "
                "below it, so their sites would read as official")
    if labels[-1] in abused_tlds:
        return (f"is under {labels[-1]!r} (lists/abused_tlds.txt): anyone registers below it, "
                "so every site under it would read as official")
    for domain, why in sorted(open_domains.items()):
        if domain.endswith("." + suffix):
            return (f"has {domain} below it ({why}): others than public bodies register below "
                    "it, so their sites would read as official")
    return None


def threshold_problems(verdicts: Any, codes: Mapping[str, Any],
                       caps: Mapping[str, float]) -> list[tuple[str, str]]:
    """(field, why) for verdict thresholds that make verdicts disagree with the codes' own
    severity or that no notice can reach. Risk is a whole number, so a fraction made a verdict
    and its risk disagree; one weak (low) sign alone must not make a notice suspicious, nor one
    sign of any kind likely_scam (that verdict needs independent evidence); a threshold above
    all that the warnings can add up to is never reached."""
    out: list[tuple[str, str]] = []
    for name in ("suspicious", "likely_scam"):
        value = getattr(verdicts, name)
        if value != int(value):
            out.append((name, f"{name} is {value}: risk is a whole number from 0 to 100, give one"))
    if out:
        return out
    weights = {code: min(max(c.score, c.legal_score or 0), caps.get(c.group, 0))
               for code, c in codes.items() if c.severity in ("high", "medium", "low") and not c.testing}
    low = max(((w, code) for code, w in weights.items() if codes[code].severity == "low"), default=None)
    if low is not None and verdicts.suspicious <= low[0]:
        out.append(("suspicious", f"suspicious is {verdicts.suspicious:g} but the low-severity "
                                  f"{low[1]} alone adds {low[0]:g}: one weak sign would make a "
                                  "notice suspicious"))
    top = max(((w, code) for code, w in weights.items()), default=None)
    if top is not None and verdicts.likely_scam <= top[0]:
        out.append(("likely_scam", f"likely_scam is {verdicts.likely_scam:g} but {top[1]} alone "
                                   f"adds {top[0]:g}: one sign would make a notice likely_scam"))
    by_group: dict[str, float] = {}
    for code, w in weights.items():
        by_group[codes[code].group] = by_group.get(codes[code].group, 0) + w
    most = sum(min(total, caps.get(group, 0)) for group, total in by_group.items())
    for name in ("suspicious", "likely_scam"):
        if getattr(verdicts, name) > most:
            out.append((name, f"{name} is {getattr(verdicts, name):g} but every warning together "
                              f"adds at most {most:g}: no notice could be {name}"))
    return out
