"""The compiled registry: an immutable snapshot with every index a request needs, built once.

Per-request work is dictionary and automaton look-ups; nothing here is rebuilt per notice.
A reload compiles a new snapshot beside the old one and swaps one reference (see holder.py).
"""

from __future__ import annotations

import ipaddress
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import ahocorasick
import regex

from verifier.analysis.normalise import fold
from verifier.analysis.phones import digits_key
from verifier.analysis.urls import registered_domain, skeleton
from verifier.registry import biglists
from verifier.registry.bigset import SortedStrings
from verifier.registry.factors import required_factors
from verifier.registry.lint_lists import domain_problem
from verifier.registry.lint_regex import load_problem
from verifier.registry.load import (
    Problem,
    RawRegistry,
    RegistryError,
    gc_paused,
    list_entries,
    read_registry,
)
from verifier.registry.nearnames import NearNames
from verifier.registry.schema import (
    PLATFORM_KINDS,
    CodeDef,
    GroupDef,
    Institution,
    Messages,
    ReportingChannel,
    Verdicts,
)
from verifier.registry.semantic import (
    open_host_problem,
    pattern_problem,
    threshold_problems,
    trusted_suffix_problem,
    verdict_problem,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from verifier.prepared import Prepared

PATTERN_TIMEOUT_S = 1.0  # registry patterns pass the static check and a timed run at load; a last net


@dataclass(frozen=True, slots=True)
class Term:
    """What a phrase in the automaton stands for."""

    kind: str  # "institution", "fake", "non_body", "phrase"
    key: str  # institution id, or reason code for phrases; the folded name otherwise
    length: int


Entry = tuple[tuple[Term, ...], tuple[int, ...]]
"""An automaton word's value: the terms it stands for, and the registry patterns (indices) that need
it as a literal. One automaton for both, so a notice is scanned once (extract.py)."""


@dataclass(frozen=True, slots=True)
class LookalikeIndex:
    """Official labels (3+ characters) by the keys a lookalike shares with them, so checking a
    link is a few look-ups rather than a pass over every official label (10,000 institutions)."""

    by_deletion: Mapping[str, tuple[str, ...]]  # the label and each one-deletion variant
    by_skeleton: Mapping[str, tuple[str, ...]]
    labels: frozenset[str]


def lookalike_index(labels: Iterable[str]) -> LookalikeIndex:
    deletion: dict[str, list[str]] = {}
    skel: dict[str, list[str]] = {}
    kept = frozenset(label for label in labels if len(label) >= 3)  # 3: 'adr-org' (see links._imitates)
    # Labels in order, each once per key: every key's labels come out sorted and distinct.
    for label in sorted(kept):
        keys = {label[:i] + label[i + 1:] for i in range(len(label))}
        keys.add(label)
        for key in keys:
            if (have := deletion.get(key)) is None:
                deletion[key] = [label]
            else:
                have.append(label)
        key = skeleton(label)
        if (have := skel.get(key)) is None:
            skel[key] = [label]
        else:
            have.append(label)
    return LookalikeIndex(
        MappingProxyType({k: tuple(v) for k, v in deletion.items()}),
        MappingProxyType({k: tuple(v) for k, v in skel.items()}),
        kept,
    )


@dataclass(frozen=True)
class City:
    short: str
    full: str
    province: str


@dataclass(frozen=True)
class Registry:
    label: str
    version: str
    path: Path
    loaded_at: float
    verdicts: Verdicts
    groups: Mapping[str, GroupDef]
    codes: Mapping[str, CodeDef]
    advice: Mapping[str, Messages]
    institutions: Mapping[str, Institution]
    reporting_channels: tuple[ReportingChannel, ...]
    names: Mapping[str, str]  # folded name or alias -> institution id
    english_names: Mapping[str, str]  # lower-case English name or acronym -> institution id
    fake_names: frozenset[str]
    non_bodies: frozenset[str]
    body_modifiers: tuple[str, ...]
    automaton: Any  # ahocorasick.Automaton over folded terms and pattern literals -> Entry
    official_domains: Mapping[str, frozenset[str]]  # registered domain (or host) -> institution ids
    official_phones: Mapping[str, frozenset[str]]  # digits -> institution ids
    official_senders: Mapping[str, frozenset[str]]
    case_prefixes: Mapping[str, frozenset[str]]  # folded prefix -> institution ids
    cities: Mapping[str, City]  # short and full names -> city
    provinces: frozenset[str]
    city_abbreviations: Mapping[str, str]  # one character -> city short name
    scam_domains: SortedStrings  # `in` and len() like a frozenset[str], a fifth of the memory
    scam_numbers: SortedStrings
    shorteners: frozenset[str]
    free_hosting: frozenset[str]
    shared_documents: frozenset[str]  # online documents, forms and file shares anyone can publish on
    abused_tlds: frozenset[str]  # 'top': where phishing domains are registered most, for their size
    virtual_prefixes: tuple[str, ...]
    patterns: tuple[tuple[str, regex.Pattern[str]], ...]
    # per pattern, literals one of which every match contains (factors.py); None: always run it
    pattern_factors: tuple[frozenset[str] | None, ...]
    dnsbl: tuple[tuple[str, str, str], ...]  # zone, return-code prefix, code
    skeletons: Mapping[str, str]  # skeleton of an official domain's label -> official domain
    label_to_domains: Mapping[str, tuple[str, ...]]
    trusted_suffixes: tuple[str, ...]  # '.gov.cn': only government bodies can register below it
    public_numbers: frozenset[str]  # reporting channels and national hotlines, fine in any notice
    by_institution: Mapping[str, tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]]
    families: Mapping[str, frozenset[str]]  # id -> its parent, itself and sibling sub-brands
    channel_families: Mapping[str, frozenset[str]]  # id -> its family and those whose channels it uses
    lookalikes: LookalikeIndex  # candidates for links.lookalike_of
    near_names: NearNames  # `names`, indexed for near misses (names.judge_chinese)
    near_english: NearNames  # likewise `english_names`

    def _union(self, ids: frozenset[str], i: int) -> frozenset[str]:
        empty: frozenset[str] = frozenset()
        return empty.union(*(self.by_institution[x][i] for x in ids if x in self.by_institution))

    def domains_of(self, ids: frozenset[str]) -> frozenset[str]:
        return self._union(ids, 0)

    def phones_of(self, ids: frozenset[str]) -> frozenset[str]:
        return self._union(ids, 1)

    def senders_of(self, ids: frozenset[str]) -> frozenset[str]:
        return self._union(ids, 2)

    def web_suffixes_of(self, ids: frozenset[str]) -> tuple[str, ...]:
        """Where a rule puts every site of these bodies ('.gov.cn' for a government body)."""
        return tuple(self._union(ids, 3))

    def official_owner(self, host: str) -> tuple[str, frozenset[str]] | None:
        """The official domain a host lies under (itself or a parent) and who owns it."""
        parts = host.split(".")
        for i in range(len(parts) - 1):
            cand = ".".join(parts[i:])
            if cand in self.official_domains:
                return cand, self.official_domains[cand]
        return None

    @cached_property
    def prepared(self) -> Prepared:
        """The engine's per-notice tables (verifier/prepared.py); compile_registry builds them."""
        from verifier.prepared import prepare

        return prepare(self)

    def counts(self) -> dict[str, Any]:
        by_kind: dict[str, int] = defaultdict(int)
        with_domain = with_phone = with_sender = 0
        for inst in self.institutions.values():
            by_kind[inst.kind] += 1
            with_domain += bool(inst.domains)
            with_phone += bool(inst.phones)
            with_sender += bool(inst.senders)
        return {
            "institutions": len(self.institutions),
            "institutions_by_kind": dict(sorted(by_kind.items())),
            "with_sourced_domain": with_domain,
            "with_sourced_phone": with_phone,
            "with_sourced_sender": with_sender,
            "codes": len(self.codes),
            "fake_bodies": len(self.fake_names),
            "cities": len({c.full for c in self.cities.values()}),
            "scam_domains": len(self.scam_domains),
            "scam_numbers": len(self.scam_numbers),
            "shorteners": len(self.shorteners),
            "matcher_terms": len(self.automaton),
            "patterns": len(self.patterns),
        }


_NAME_SEP = regex.compile(r"\s/\s|;")
_BRACKETED = regex.compile(r"\([^)]*\)")
_BRACKET_INNER = regex.compile(r"\(([^)]*)\)")
_ACRO_SEP = regex.compile(r"[/,]")
_ACRONYM = regex.compile(r"[A-Z][A-Z0-9&]{2,}")


def english_variants(name: str) -> set[str]:
    """'Beijing Arbitration Commission / Beijing International Arbitration Center (BAC/BIAC)'
    -> each name alone, without the bracketed acronyms, plus the acronyms."""
    out: set[str] = set()
    for part in _NAME_SEP.split(name):
        bare = _BRACKETED.sub("", part).strip().lower()
        if bare:
            out.add(" ".join(bare.split()))
        for inner in _BRACKET_INNER.findall(part):
            for acro in _ACRO_SEP.split(inner):
                acro = acro.strip()
                if _ACRONYM.fullmatch(acro):  # "(GZAC)", not a word in brackets ("(service)", "(Taiwan)")
                    out.add(acro.lower())
    return out


def _freeze(d: Mapping[str, set[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({k: frozenset(v) for k, v in d.items()})


def _semantic_checks(m: Any, lists: Mapping[str, list[tuple[int, str]]],
                     open_lists: list[frozenset[str]], bad: Any) -> None:
    """Entries well formed but meaning what no maintainer can want (see semantic.py)."""
    warning_groups = [c.group for c in m.codes.values() if c.severity in ("high", "medium", "low")]
    if why := verdict_problem(m.verdicts.likely_scam_min_groups, warning_groups):
        bad(("verdicts", "likely_scam_min_groups"), why)
    caps = {name: g.max_score for name, g in m.groups.items()}
    for name, why in threshold_problems(m.verdicts, m.codes, caps):
        bad(("verdicts", name), why)
    open_domains = {d: f"lists/{name}.txt" for name, entries in zip(
        ("shorteners", "free_hosting", "shared_documents"), open_lists, strict=True) for d in entries}
    for inst in m.institutions:
        if inst.kind in PLATFORM_KINDS:
            open_domains.update({d.value.lower(): f"{inst.id}'s, a {inst.kind.replace('_', ' ')}"
                                 for d in inst.domains})
    abused = frozenset(e.lower() for _n, e in lists.get("abused_tlds", []))
    for i, e in enumerate(m.trusted_suffixes):
        suffix = e.value.lower().strip(".")
        if why := trusted_suffix_problem(suffix, open_domains, abused):
            bad(("trusted_suffixes", i, "value"), f"trusted suffix {e.value!r} {why}")


def compile_registry(raw: RawRegistry, emitted_codes: frozenset[str],
                     early: biglists.EarlyLists | None = None) -> Registry:
    """Cross-check and index; raise RegistryError listing every problem found."""
    official = frozenset(d.value.lower().strip(".") for inst in raw.model.institutions
                         for d in inst.domains)
    pending = (early.take(raw.list_texts, official) if early is not None else None) \
        or biglists.Pending(raw.list_texts, official)  # on the other core where safe
    try:
        return _compile(raw, emitted_codes, pending)
    finally:
        pending.close()


def _compile(raw: RawRegistry, emitted_codes: frozenset[str],
             pending: biglists.Pending) -> Registry:
    m = raw.model
    problems: list[Problem] = []

    def bad(loc: tuple[str | int, ...], msg: str) -> None:
        problems.append(raw.marks.problem(loc, msg))

    # Codes: both directions, and every group exists.
    for code, cdef in m.codes.items():
        if cdef.group not in m.groups:
            bad(("codes", code, "group"), f"codes.{code}: unknown group {cdef.group!r}")
        if code not in emitted_codes:
            bad(("codes", code), f"codes.{code}: no check emits this code; remove it or add the check")
    for code in sorted(emitted_codes - set(m.codes)):
        bad(("codes",), f"codes: the checks emit {code} but the registry has no entry for it")

    def need_code(loc: tuple[str | int, ...], code: str) -> None:
        if code not in m.codes:
            bad(loc, f"unknown code {code!r}")

    institutions: dict[str, Institution] = {}
    names: dict[str, str] = {}
    english: dict[str, str] = {}
    domains: dict[str, set[str]] = defaultdict(set)
    phones: dict[str, set[str]] = defaultdict(set)
    senders: dict[str, set[str]] = defaultdict(set)
    prefixes: dict[str, set[str]] = defaultdict(set)
    folded_prefixes: dict[str, str] = {}
    number_keys: dict[str, str] = {}  # phone or sender as written -> digits_key
    trusted = {"." + e.value.lower().strip(".") for e in m.trusted_suffixes}
    for i, inst in enumerate(m.institutions):
        loc = ("institutions", i)
        if inst.id in institutions:
            bad(loc + ("id",), f"duplicate institution id {inst.id!r}")
        institutions[inst.id] = inst
        for j, name in enumerate([inst.name] + [a.value for a in inst.aliases]):
            key = fold(name)
            where = loc + (("aliases", j - 1) if j else ("name",))
            if not key:
                bad(where, f"name {name!r} is blank once spaces and invisible characters go; "
                           "write the name or remove the entry")
                continue
            if key.isascii():
                english.setdefault(key, inst.id)
                if english[key] != inst.id:
                    bad(where, f"name {name!r} is also used by {english[key]!r}")
                continue
            if names.get(key, inst.id) != inst.id:
                bad(where, f"name {name!r} is also used by {names[key]!r}")
            names[key] = inst.id
        for variant in english_variants(inst.name_en or ""):
            english.setdefault(variant, inst.id)
        for j, d in enumerate(inst.domains):
            host = d.value.lower().strip(".")
            if (not registered_domain(host) or host != d.value or "/" in host
                    or any(c.isspace() for c in host)):
                bad(loc + ("domains", j), f"domain {d.value!r} is not a lower-case host name under a public suffix")
            elif why := domain_problem(host):
                bad(loc + ("domains", j), f"domain {why}")
            domains[host].add(inst.id)
        for j, w in enumerate(inst.web_suffixes):
            if "." + w.value.lower().strip(".") not in trusted:
                bad(loc + ("web_suffixes", j), f"web suffix {w.value!r} is not one of trusted_suffixes")
        for kind, target in (("phones", phones), ("senders", senders)):
            for j, p in enumerate(getattr(inst, kind)):
                key = number_keys[p.value] = digits_key(p.value)
                if not key:
                    bad(loc + (kind, j), f"{p.value!r} is not a phone number")
                target[key].add(inst.id)
        for j, c in enumerate(inst.case_prefixes):
            if (key := folded_prefixes.get(c.value)) is None:  # many bodies share a prefix
                key = folded_prefixes[c.value] = fold(c.value)
            prefixes[key].add(inst.id)
    for i, inst in enumerate(m.institutions):
        if inst.parent and inst.parent not in institutions:
            bad(("institutions", i, "parent"), f"parent {inst.parent!r} is not an institution id")
        for j, u in enumerate(inst.uses_channels_of):
            if u.value not in institutions or u.value == inst.id:
                bad(("institutions", i, "uses_channels_of", j),
                    f"uses_channels_of {u.value!r} is not another institution's id")

    # The big lists (a million scam domains) without per-line Python work; the small ones
    # keep their line numbers for problems.
    lists: dict[str, list[tuple[int, str]]] = {
        name: list_entries(text) for name, (_p, text) in raw.list_texts.items()
        if name not in biglists.NAMES
    }
    open_lists = [frozenset(e.lower().strip(".") for _n, e in lists.get(name, []))
                  for name in ("shorteners", "free_hosting", "shared_documents")]
    for i, inst in enumerate(m.institutions):
        for j, d in enumerate(inst.domains):
            if why := open_host_problem(d.value.lower().strip("."), *open_lists):
                bad(("institutions", i, "domains", j), f"domain {d.value!r} {why}; it cannot be "
                                                       f"{inst.id}'s official domain")
    _semantic_checks(m, lists, open_lists, bad)
    big = pending.result()
    scam_domains = big["scam_domains"]
    if pending.conflict:
        for number, e in list_entries(raw.list_texts["scam_domains"][1]):
            if e.lower() in domains:  # point into the list file, where the maintainer must look
                problems.append(Problem(str(raw.list_texts["scam_domains"][0]), number, 1,
                                        f"{e} is both an official domain and a known scam domain"))

    cities: dict[str, City] = {}
    provinces: set[str] = set()
    for number, line in lists.get("cities", []):
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 3:
            problems.append(Problem(str(raw.list_texts["cities"][0]), number, 1,
                                    f"cities line {line!r}: expected short<TAB>full<TAB>province"))
            continue
        city = City(*parts)
        cities.setdefault(fold(city.short), city)
        cities.setdefault(fold(city.full), city)
        provinces.add(fold(city.province))

    for i, inst in enumerate(m.institutions):
        # the sender and consistency checks compare a body's province with the places a notice
        # names: one spelt unlike cities.txt (浙江省, 北平) matched nothing, silently
        if inst.province is not None and fold(inst.province) not in provinces:
            bad(("institutions", i, "province"), f"institutions.{i}.province: {inst.province!r} is not a "
                                                 "provincial-level division as lists/cities.txt writes it "
                                                 "(its third column: 北京, 浙江, 香港)")
        for kind in ("aliases", "domains", "phones", "senders", "case_prefixes", "web_suffixes", "uses_channels_of"):
            for j, f in enumerate(getattr(inst, kind)):
                if f.region is None:
                    continue
                if kind not in ("phones", "senders"):  # only a number's region is read (prepared.sender_regions)
                    bad(("institutions", i, kind, j, "region"), f"region is read only on phones and senders, not {kind}")
                elif fold(f.region) not in provinces:
                    bad(("institutions", i, kind, j, "region"), f"region {f.region!r} is not a province of lists/cities.txt")

    abbreviations: dict[str, str] = {}
    for i, entry in enumerate(m.city_abbreviations):
        char, _, city = entry.value.partition("=")
        if len(char) != 1 or not city:
            bad(("city_abbreviations", i), "write it as 穗=广州")
        abbreviations[fold(char)] = fold(city)

    automaton = ahocorasick.Automaton()
    entries: dict[str, list[Term]] = defaultdict(list)

    def add(term: str, t: Term) -> None:
        if term:
            entries[term].append(t)

    for key, inst_id in names.items():
        # Two-character short names are too ambiguous in free text, except a platform's coined
        # brand names (借呗, 花呗), which mean nothing else.
        if len(key) >= 3 or (len(key) == 2 and institutions[inst_id].kind in PLATFORM_KINDS):
            add(key, Term("institution", inst_id, len(key)))
    for key, inst_id in english.items():
        if len(key) >= 4:  # ICC, AAA: too common as words; HKIAC, CIETAC are not
            add(key, Term("institution", inst_id, len(key)))
    fake = frozenset(fold(e.value) for e in m.fake_bodies)
    for key in fake:
        add(key, Term("fake", key, len(key)))
    non_bodies = frozenset(fold(e.value) for e in m.non_bodies)
    for key in non_bodies:
        add(key, Term("non_body", key, len(key)))
    for i, rule in enumerate(m.phrases):
        need_code(("phrases", i, "code"), rule.code)
        for term in rule.terms:
            key = fold(term)
            add(key, Term("phrase", rule.code, len(key)))

    patterns: list[tuple[str, regex.Pattern[str]]] = []
    for i, rule in enumerate(m.patterns):
        need_code(("patterns", i, "code"), rule.code)
        unsafe = load_problem(rule.regex)
        if unsafe:
            bad(("patterns", i, "regex"), f"the {rule.code} pattern: {unsafe}")
            continue
        try:
            compiled = regex.compile(rule.regex, regex.V1)
        except regex.error as exc:
            bad(("patterns", i, "regex"), f"regex does not compile: {exc}")
            continue
        if why := pattern_problem(compiled):
            bad(("patterns", i, "regex"), f"the {rule.code} pattern {why}")
        patterns.append((rule.code, compiled))
    pattern_factors = tuple(required_factors(p.pattern, p.flags) for _code, p in patterns)
    needed_by: dict[str, list[int]] = defaultdict(list)
    for i, factors in enumerate(pattern_factors):
        for f in factors or ():
            needed_by[f].append(i)
    for term in [*entries, *(f for f in needed_by if f not in entries)]:
        automaton.add_word(term, (tuple(entries.get(term, ())), tuple(needed_by.get(term, ()))))
    automaton.make_automaton()
    for i, d in enumerate(m.dnsbl):
        need_code(("dnsbl", i, "code"), d.code)
        try:
            ipaddress.ip_address(d.prefix.rstrip(".") + ".0" * (3 - d.prefix.rstrip(".").count(".")))
        except ValueError:
            bad(("dnsbl", i, "prefix"), f"{d.prefix!r} is not an IPv4 address prefix")
    for i, ch in enumerate(m.reporting_channels):
        for j, code in enumerate(ch.when):
            need_code(("reporting_channels", i, "when", j), code)

    from verifier.advice import ADVICE_IDS

    for name in sorted(set(m.advice) - ADVICE_IDS):
        bad(("advice", name), f"advice.{name}: not used by the advice builder")
    for name in sorted(ADVICE_IDS - set(m.advice)):
        bad(("advice",), f"advice: the advice builder needs an entry {name!r}")
    if problems:
        raise RegistryError(problems)

    by_inst = {
        inst.id: (
            frozenset(d.value.lower().strip(".") for d in inst.domains),
            frozenset(number_keys[p.value] for p in inst.phones),
            frozenset(number_keys[p.value] for p in inst.senders),
            frozenset("." + w.value.lower().strip(".") for w in inst.web_suffixes),
        )
        for inst in institutions.values()
    }
    children: dict[str, set[str]] = defaultdict(set)
    for inst in institutions.values():
        root = inst.parent or inst.id
        children[root].add(inst.id)
    families = {
        inst.id: frozenset({inst.id, inst.parent or inst.id} | children[inst.parent or inst.id])
        for inst in institutions.values()
    }
    # The family plus the families of the bodies whose channels it uses (a court's: the SPC's
    # platforms and 12368): what confirms a channel as the body's, never what it is judged against.
    channel_families = {
        inst.id: families[inst.id].union(*(
            families[u.value] for f in families[inst.id] for u in institutions[f].uses_channels_of
            if u.value in families
        ))
        for inst in institutions.values()
    }
    public_numbers = {digits_key(ch.number) for ch in m.reporting_channels}
    for inst in institutions.values():
        if inst.kind in ("hotline", "regulator", "court_delivery_platform"):
            public_numbers |= by_inst[inst.id][1]

    skeletons: dict[str, str] = {}
    label_to_domains: dict[str, list[str]] = defaultdict(list)
    for d in domains:
        label = d.split(".", 1)[0]
        skeletons.setdefault(skeleton(label), d)
        label_to_domains[label].append(d)

    registry = Registry(
        label=m.version,
        version=raw.digest(),
        path=raw.path,
        loaded_at=time.time(),
        verdicts=m.verdicts,
        groups=MappingProxyType(dict(m.groups)),
        codes=MappingProxyType(dict(m.codes)),
        advice=MappingProxyType(dict(m.advice)),
        institutions=MappingProxyType(institutions),
        reporting_channels=tuple(m.reporting_channels),
        names=MappingProxyType(names),
        english_names=MappingProxyType(english),
        fake_names=fake,
        non_bodies=non_bodies,
        body_modifiers=tuple(sorted((fold(e.value) for e in m.body_modifiers), key=len, reverse=True)),
        automaton=automaton,
        official_domains=_freeze(domains),
        official_phones=_freeze(phones),
        official_senders=_freeze(senders),
        case_prefixes=_freeze(prefixes),
        cities=MappingProxyType(cities),
        provinces=frozenset(provinces),
        city_abbreviations=MappingProxyType(abbreviations),
        scam_domains=scam_domains,
        scam_numbers=big["scam_numbers"],
        shorteners=frozenset(e.lower() for _n, e in lists.get("shorteners", [])),
        abused_tlds=frozenset(e.lower() for _n, e in lists.get("abused_tlds", [])),
        free_hosting=frozenset(e.lower().strip(".") for _n, e in lists.get("free_hosting", [])),
        shared_documents=frozenset(e.lower().strip(".") for _n, e in lists.get("shared_documents", [])),
        virtual_prefixes=tuple(sorted({e.value for e in m.number_segments.virtual_operator})),
        patterns=tuple(patterns),
        pattern_factors=pattern_factors,
        dnsbl=tuple((d.zone.lower().strip("."), d.prefix, d.code) for d in m.dnsbl),
        skeletons=MappingProxyType(skeletons),
        label_to_domains=MappingProxyType({k: tuple(v) for k, v in label_to_domains.items()}),
        trusted_suffixes=tuple("." + e.value.lower().strip(".") for e in m.trusted_suffixes),
        public_numbers=frozenset(public_numbers),
        by_institution=MappingProxyType(by_inst),
        families=MappingProxyType(families),
        channel_families=MappingProxyType(channel_families),
        lookalikes=lookalike_index(label_to_domains),
        near_names=NearNames(tuple(names)),
        near_english=NearNames(tuple(english)),
    )
    registry.prepared  # noqa: B018 - built here, in the compiling thread, not by the first request
    return registry


def read_and_compile(path: Path) -> tuple[RawRegistry, Registry]:
    """Read, validate and compile a registry file (raises RegistryError); the big lists are
    started on the other core before the YAML is parsed, where that is safe."""
    from verifier.checks import ALL_CODES  # the checks declare what they can emit

    with gc_paused():
        early = biglists.EarlyLists.start(path)
        try:
            raw = read_registry(path)
            return raw, compile_registry(raw, ALL_CODES, early)
        finally:
            if early is not None:
                early.close()


def load_registry(path: Path) -> Registry:
    """Read, validate and compile a registry file (raises RegistryError)."""
    return read_and_compile(path)[1]

