"""From a request to an Extraction: everything the checks look at, with offsets. Pure."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from typing import NamedTuple

from verifier.analysis import names, nonweb, phones, urls
from verifier.analysis.cases import CaseNumber, find_cases
from verifier.analysis.normalise import Mapped, fold, normalise
from verifier.models import VerifyRequest, visible
from verifier.registry.compiled import PATTERN_TIMEOUT_S, Entry, Registry


# Numbers money is sent to, not lines to call: a bank account or card, an FPS payee.
_ACCOUNTS = (phones.BANK_CARD, phones.FPS_ID)


class PhraseHit(NamedTuple):
    """Immutable; a tuple because one is built per hit and a frozen dataclass costs 5x more."""

    code: str
    value: str
    start: int
    end: int


class Extraction(NamedTuple):
    original: str
    text: Mapped
    sender: phones.Phone | None
    phones: tuple[phones.Phone, ...]
    bank_cards: tuple[phones.Phone, ...]
    links: tuple[urls.Link, ...]
    links_total: int
    bodies: tuple[names.NamedBody, ...]
    cases: tuple[CaseNumber, ...]
    phrases: tuple[PhraseHit, ...]
    not_web: tuple[nonweb.NotWeb, ...] = ()  # javascript:, data:, file: links (no web address)


def _phrases(original: str, text: Mapped, registry: Registry,
             matches: list[tuple[int, Entry]] | None = None) -> list[PhraseHit]:
    hits: list[PhraseHit] = []
    seen: set[tuple[str, int]] = set()
    s = text.text
    prepared = registry.prepared
    candidates = set(prepared.always)  # the patterns whose required literals the text holds
    for end_idx, (terms, needed_by) in registry.automaton.iter(s) if matches is None else matches:
        if needed_by:
            candidates.update(needed_by)
        for t in terms:
            if t.kind != "phrase":
                continue
            a, b = end_idx + 1 - t.length, end_idx + 1
            if s[a].isascii() and not names.word_bounded(s, a, b):  # only ASCII terms need it
                continue
            start, end = text.span(a, b)
            if (t.key, start) not in seen:
                seen.add((t.key, start))
                hits.append(PhraseHit(t.key, original[start:end], start, end))
    for i in sorted(candidates):  # registry order; the others hold none of their required literals
        code, pattern = registry.patterns[i]
        # The timeout reads a CPU clock per search attempt; a text short enough for the pattern's
        # static bound on its work (cost.py) cannot run long, and is searched untimed.
        timeout = None if len(s) <= prepared.untimed_up_to[i] else PATTERN_TIMEOUT_S
        try:
            for m in pattern.finditer(s, timeout=timeout):
                start, end = text.span(*m.span())
                if (code, start) not in seen:
                    seen.add((code, start))
                    hits.append(PhraseHit(code, original[start:end], start, end))
        except TimeoutError:
            continue  # a pattern that runs too long on this text is skipped, not fatal
    hits.sort(key=lambda h: h.start)
    return hits[:200]


def extract(req: VerifyRequest, registry: Registry, today: dt.date | None = None) -> Extraction:
    original = req.text or ""
    text = normalise(original)

    links, total = urls.find_links(original, text, official=registry.official_owner)
    if links and ("域名" in text.text or "domain" in text.text or "<" in original):
        links = [lk for lk in links if not urls.named_as_domain(lk, original, text)]
    for raw in req.links or []:
        # as sent, not as shown: a link given as one opens what its characters say
        link = urls.parse_link(normalise(raw, display=False).text.strip(), field="links", known_link=True)
        if link and all(link.url != other.url for other in links) and len(links) < urls.MAX_LINKS:
            links.append(link)
            total += 1
    for link in list(links):  # an open redirect's target is where the link goes
        for inner in urls.redirects(link):
            if all(inner.url != other.url for other in links) and len(links) < urls.MAX_LINKS:
                links.append(inner)
                total += 1
    cases = find_cases(text, today.year if today else None)
    skip = [(lk.start, lk.end) for lk in links if lk.start is not None]
    skip_norm = _norm_spans(text, skip + [(c.start, c.end) for c in cases if c.start is not None])
    numbers = phones.find_phones(text, registry.virtual_prefixes, skip_norm, original)
    matches = list(registry.automaton.iter(text.text))  # one pass for names, phrases and patterns
    bodies = names.find_bodies(text, registry, matches)
    if req.institution and req.institution.strip():
        name = fold(req.institution)[:100]
        status, inst = names.judge(name, registry)
        bodies.insert(0, names.NamedBody(name, status, inst, None, None, field="institution"))
    # An empty or blank sender ("", "  ") tells nothing: read as not given, never as a hidden caller id
    # (absence of information is no evidence against a notice); "unknown", "隐藏号码" stay hidden.
    sender = phones.parse_sender(req.sender, registry.virtual_prefixes) if visible(req.sender) else None
    if sender is not None and sender.kind == phones.ALPHANUMERIC and (shown := names.display_name(sender.raw, registry)):
        bodies.append(shown)  # after the text's: the notice's own words say first whom it speaks for
    return Extraction(
        original=original,
        text=text,
        sender=sender,
        phones=tuple(p for p in numbers if p.kind not in _ACCOUNTS),
        bank_cards=tuple(p for p in numbers if p.kind in _ACCOUNTS),
        links=tuple(links),
        links_total=total,
        bodies=tuple(bodies),
        cases=tuple(cases),
        phrases=tuple(_phrases(original, text, registry, matches)),
        not_web=nonweb.find(original, text, req.links or ()),
    )


def _norm_spans(text: Mapped, spans: list[tuple[int | None, int | None]]) -> list[tuple[int, int]]:
    """Original-offset spans -> normalised-index spans (for skipping numbers inside links)."""
    out = []
    for s, e in spans:
        if s is None or e is None:
            continue
        a, b = bisect_left(text.start, s), bisect_left(text.start, e)
        if b > a:
            out.append((a, b))
    return out
