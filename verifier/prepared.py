"""Per-registry tables the engine reads on every notice, built once with the compiled registry.

Reason and advice texts by language, code weights as plain tuples, the patterns that need no
literal (every other pattern runs only on text holding one of its literals, which the registry's
automaton finds) and how long a text each pattern may search untimed. Small: nothing here grows
with the number of institutions or listed domains.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from verifier.analysis.normalise import fold
from verifier.analysis.phones import digits_key
from verifier.registry.cost import BUDGET, work_bound

if TYPE_CHECKING:
    from verifier.registry.compiled import Registry

LANGS = ("zh-Hans", "zh-Hant", "en")
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "positive": 3, "info": 4}


class CodeRow(NamedTuple):
    severity: str
    group: str
    score: float  # round(score, 2): what a finding with multiplier 1 contributes
    legal_score: float | None  # likewise rounded
    testing: bool
    order: int  # of the severity, for sorting reasons
    raw_score: float  # as written, for other multipliers
    raw_legal_score: float | None


@dataclass(frozen=True, slots=True)
class Prepared:
    codes: Mapping[str, CodeRow]
    messages: Mapping[str, Mapping[str, tuple[str, bool]]]  # lang -> code -> (template, has {value})
    max_score: Mapping[str, float]  # group -> cap on its warnings
    min_score: Mapping[str, float]  # group -> cap on its positive evidence
    advice: Mapping[str, Mapping[str, str]]  # lang -> advice id -> template
    channel_names: Mapping[str, tuple[str, ...]]  # lang -> "number name" per reporting channel
    always: tuple[int, ...]  # patterns without a required literal
    untimed_up_to: tuple[int, ...]  # per pattern, the longest text it runs on without a timeout (cost.py)
    place_firsts: frozenset[str]  # first characters of city and province names
    # Sender number -> the provinces whose bodies alone send from it (the Zhejiang courts' port);
    # a number with any fact without a region is absent: it serves its body anywhere.
    sender_regions: Mapping[str, frozenset[str]]
    # The channels every people's court uses (the SPC's, through uses_channels_of on the listed
    # courts): a court the registry does not list uses them too.
    court_channels: frozenset[str]

    def lang(self, lang: str) -> str:
        """Messages.get's fallback: anything but the two Chinese scripts reads English."""
        return lang if lang in ("zh-Hans", "zh-Hant") else "en"


def prepare(reg: Registry) -> Prepared:
    codes = {
        code: CodeRow(c.severity, c.group, round(c.score * 1.0, 2),
                      None if c.legal_score is None else round(c.legal_score * 1.0, 2),
                      c.testing, SEVERITY_ORDER[c.severity], c.score, c.legal_score)
        for code, c in reg.codes.items()
    }
    messages = {lang: {code: (m, "{value}" in m) for code, c in reg.codes.items() for m in [c.messages.get(lang)]}
                for lang in LANGS}
    max_score = {g: d.max_score for g, d in reg.groups.items()}
    min_score = {g: d.min_score for g, d in reg.groups.items()}
    advice = {lang: {kind: m.get(lang) for kind, m in reg.advice.items()} for lang in LANGS}
    channels = {lang: tuple(f"{ch.number} {ch.name.get(lang)}" for ch in reg.reporting_channels)
                for lang in LANGS}
    always = tuple(i for i, factors in enumerate(reg.pattern_factors) if factors is None)
    untimed_up_to = tuple(BUDGET // bound if (bound := work_bound(p.pattern)) else 0 for _code, p in reg.patterns)
    place_firsts = frozenset(name[0] for name in [*reg.cities, *reg.provinces] if name)
    return Prepared(codes, messages, max_score, min_score, advice, channels, always, untimed_up_to,
                    place_firsts, _sender_regions(reg), _court_channels(reg))


def _sender_regions(reg: Registry) -> dict[str, frozenset[str]]:
    regions: dict[str, set[str]] = {}
    anywhere: set[str] = set()
    for inst in reg.institutions.values():
        for f in (*inst.senders, *inst.phones):
            key = digits_key(f.value)
            if f.region is None:
                anywhere.add(key)
            else:
                regions.setdefault(key, set()).add(fold(f.region))
    return {k: frozenset(v) for k, v in regions.items() if k not in anywhere}


def _court_channels(reg: Registry) -> frozenset[str]:
    used = {u.value for inst in reg.institutions.values() if inst.kind == "court" for u in inst.uses_channels_of}
    return frozenset().union(*(reg.families[u] for u in used if u in reg.families))
