"""Registry entries that are well formed but mean something no maintainer can want: an official
domain anyone can publish under, a pattern that fires on every notice, a verdict no notice can
reach. Refused at `registry check`, start-up and every reload (the running registry stays)."""

from __future__ import annotations

from collections.abc import Iterable

import regex

from verifier.analysis.urls import registered_domain, suffix_hosted

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
