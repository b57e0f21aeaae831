"""`verifier registry check`: every problem in a registry file, as path:line:col: message.

Errors (exit 1) are what could make the service answer wrongly or fail to load: schema errors,
unknown or unused codes, duplicate or conflicting entries across the file, malformed domains and
numbers, unsafe regexes, sources that are not plain http(s) URLs, checked dates still to come,
lists not in canonical form, messages whose languages disagree. Notes (printed, exit 0) are worth
a look but harmless: codes in testing (shadow) mode, which is a normal state for a new rule until
the corpus shows it earns a weight, and values repeated inside one entry (an alias equal to the
name, a phrase term that is the same as another term of its rule after normalisation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex
from pydantic import BaseModel

from verifier.analysis.normalise import fold
from verifier.analysis.phones import digits_key
from verifier.registry.lint_lists import domain_problem, lint_list, list_conflicts, phone_problem
from verifier.registry.lint_regex import regex_problems
from verifier.registry.load import Problem, RawRegistry, RegistryError, loc_text, read_registry
from verifier.registry.schema import Messages

Loc = tuple[str | int, ...]
_PLACEHOLDER = regex.compile(r"\{[^{}]*\}")
_CODE_PLACEHOLDERS = frozenset({"{value}"})  # the only one scoring fills in
_REGIONS = {"香港": ("HK",), "澳门": ("MO",), "澳門": ("MO",), "台湾": ("TW",), "台灣": ("TW",)}


def source_problem(url: str) -> str | None:
    """What is wrong with a source URL, or None: it must be http(s) with a host and no user
    name or password (`https://user@host/` shows the reader another site than it names, and a
    credential does not belong in a public file), and nothing a browser would not open."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return "is not an http(s) URL"
    if "@" in parts.netloc:
        return "carries a user name or password before the host"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    return None


@dataclass
class LintReport:
    errors: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Linter:
    def __init__(self, raw: RawRegistry, today: dt.date | None = None):
        self.raw, self.m = raw, raw.model
        self.report = LintReport()
        self.today = today or dt.date.today()
        # a maintainer east of this machine (China is UTC+8) may already be on the next day
        self.latest_day = self.today + dt.timedelta(days=1)

    def error(self, loc: Loc, message: str) -> None:
        self.report.errors.append(self.raw.marks.problem(loc, message))

    def note(self, loc: Loc, message: str) -> None:
        self.report.notes.append(self.raw.marks.problem(loc, message))

    def line(self, loc: Loc) -> int:
        return self.raw.marks.find(loc)[0]

    def run(self) -> LintReport:
        self.institutions()
        self.provenance(self.m, ())
        self.messages()
        self.patterns_and_phrases()
        self.entries()
        self.lists()
        for code, cdef in self.m.codes.items():
            if cdef.testing:
                self.note(("codes", code, "testing"),
                          f"codes.{code} is in testing (shadow) mode: it fires but scores 0; give it "
                          "a weight once `verifier registry eval` shows it earns one")
        return self.report

    def institutions(self) -> None:
        for i, inst in enumerate(self.m.institutions):
            loc: Loc = ("institutions", i)
            names: dict[str, Loc] = {fold(inst.name): loc + ("name",)}
            for j, alias in enumerate(inst.aliases):
                self._redundant(names, fold(alias.value), loc + ("aliases", j, "value"), alias.value)
            regions = _REGIONS.get(inst.province or "", ())
            for kind in ("domains", "phones", "senders", "case_prefixes"):
                seen: dict[str, Loc] = {}
                for j, fact in enumerate(getattr(inst, kind)):
                    here = loc + (kind, j, "value")
                    key = digits_key(fact.value) if kind in ("phones", "senders") else fold(fact.value)
                    self._redundant(seen, key, here, fact.value)
                    if kind in ("phones", "senders") and key:  # no digits at all: compile reports it
                        problem = phone_problem(fact.value, regions)
                        if problem:
                            self.error(here, f"{kind}: {problem}")

    def _redundant(self, seen: dict[str, Loc], key: str, loc: Loc, value: str) -> None:
        if key in seen:
            self.note(loc, f"{value!r} repeats line {self.line(seen[key])} of the same entry; remove one")
        else:
            seen[key] = loc

    def provenance(self, obj: Any, loc: Loc) -> None:
        """Every `source` anywhere must be a URL a reader can open, every `checked` a day that
        has come."""
        if isinstance(obj, BaseModel):
            for name, info in type(obj).model_fields.items():
                value = getattr(obj, name)
                key = info.alias or name
                if name == "source" and isinstance(value, str):
                    if (problem := source_problem(value)) is not None:
                        shown = "" if "@" in value else f" {value!r}"  # a password is not repeated
                        self.error(loc + (key,), f"{loc_text(loc + (key,))}: source{shown} {problem}; "
                                                 "cite the page")
                elif name == "checked" and isinstance(value, dt.date):
                    if value > self.latest_day:
                        self.error(loc + (key,), f"{loc_text(loc + (key,))}: {value.isoformat()} is a "
                                                 "day still to come "
                                                 f"(today is {self.today.isoformat()}); write the day "
                                                 "the fact was read")
                else:
                    self.provenance(value, loc + (key,))
        elif isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                self.provenance(item, loc + (i,))
        elif isinstance(obj, dict):
            for k, item in obj.items():
                self.provenance(item, loc + (k,))

    def _languages(self, loc: Loc, msgs: Messages, allowed: frozenset[str] | None) -> None:
        texts = {"zh-Hans": msgs.zh_hans, "zh-Hant": msgs.zh_hant, "en": msgs.en}
        found = {lang: set(_PLACEHOLDER.findall(t)) for lang, t in texts.items()}
        for lang, text in texts.items():
            if not text.strip():
                self.error(loc + (lang,), f"the {lang} message is blank; write it in all three languages")
            if allowed is not None and found[lang] - allowed:
                unknown = ", ".join(sorted(found[lang] - allowed))
                self.error(loc + (lang,), f"unknown placeholder {unknown} in {lang} (only {{value}} is filled in)")
        every = set().union(*found.values())
        for lang, have in found.items():
            for missing in sorted(every - have):
                others = ", ".join(sorted(x for x, h in found.items() if missing in h))
                self.error(loc + (lang,), f"{missing} appears in {others} but not in {lang}")

    def messages(self) -> None:
        for code, cdef in self.m.codes.items():
            self._languages(("codes", code, "messages"), cdef.messages, _CODE_PLACEHOLDERS)
        for name, msgs in self.m.advice.items():
            self._languages(("advice", name), msgs, None)
        for i, ch in enumerate(self.m.reporting_channels):
            self._languages(("reporting_channels", i, "name"), ch.name, None)

    def patterns_and_phrases(self) -> None:
        regexes: dict[str, Loc] = {}
        for i, rule in enumerate(self.m.patterns):
            loc: Loc = ("patterns", i, "regex")
            if rule.regex in regexes:
                self.error(loc, f"the same regex is at line {self.line(regexes[rule.regex])}; remove one")
            regexes.setdefault(rule.regex, loc)
            for problem in regex_problems(rule.regex):
                self.error(loc, problem)
        terms: dict[str, tuple[int, Loc]] = {}
        for i, prule in enumerate(self.m.phrases):
            for j, term in enumerate(prule.terms):
                key, loc = fold(term), ("phrases", i, "terms", j)
                if key not in terms:
                    terms[key] = (i, loc)
                    continue
                other, where = terms[key]
                if other == i:
                    self.note(loc, f"term {term!r} is the same as line {self.line(where)} after "
                                   "normalisation; remove one")
                else:
                    code = self.m.phrases[other].code
                    what = "duplicates" if code == prule.code else f"conflicts with ({code})"
                    self.error(loc, f"term {term!r} {what} the term at line {self.line(where)}; "
                                    "keep it in one rule")

    def entries(self) -> None:
        names: dict[str, str] = {}
        for inst in self.m.institutions:
            for value in [inst.name] + [a.value for a in inst.aliases]:
                names.setdefault(fold(value), inst.id)
        bodies: dict[str, Loc] = {}
        for section in ("fake_bodies", "non_bodies"):
            for i, e in enumerate(getattr(self.m, section)):
                key, loc = fold(e.value), (section, i, "value")
                if key in names:
                    self.error(loc, f"{e.value!r} is the name of the registered institution "
                                    f"{names[key]!r}; a real body cannot also be fake")
                if key in bodies:
                    self.error(loc, f"{e.value!r} duplicates the entry at line {self.line(bodies[key])}")
                bodies.setdefault(key, loc)
        for section in ("body_modifiers", "trusted_suffixes", "city_abbreviations"):
            self._unique(section, getattr(self.m, section), fold)
        self._unique("number_segments", self.m.number_segments.virtual_operator, str,
                     ("number_segments", "virtual_operator"))
        for i, seg in enumerate(self.m.number_segments.virtual_operator):
            if not (seg.value.isdigit() and 3 <= len(seg.value) <= 4 and seg.value.startswith("1")):
                self.error(("number_segments", "virtual_operator", i, "value"),
                           f"{seg.value!r}: a mobile segment is 3 or 4 digits starting with 1")
        for i, suffix in enumerate(self.m.trusted_suffixes):
            problem = domain_problem(suffix.value)
            if problem:
                self.error(("trusted_suffixes", i, "value"), problem)
        ids: dict[str, Loc] = {}
        for i, ch in enumerate(self.m.reporting_channels):
            if ch.id in ids:
                self.error(("reporting_channels", i, "id"), f"duplicate channel id {ch.id!r}")
            ids.setdefault(ch.id, ("reporting_channels", i, "id"))
            problem = phone_problem(ch.number)
            if problem:
                self.error(("reporting_channels", i, "number"), problem)
        for i, d in enumerate(self.m.dnsbl):
            if not (d.source or d.reason):
                self.error(("dnsbl", i), "give a source URL or a reason for this DNSBL mapping")

    def _unique(self, name: str, items: list[Any], key: Any, base: Loc | None = None) -> None:
        seen: dict[str, Loc] = {}
        for i, item in enumerate(items):
            loc = (base or (name,)) + (i, "value")
            k = key(item.value)
            if k in seen:
                self.error(loc, f"{item.value!r} duplicates the entry at line {self.line(seen[k])}")
            seen.setdefault(k, loc)

    def lists(self) -> None:
        phones: dict[str, str] = {}
        for inst in self.m.institutions:
            for fact in [*inst.phones, *inst.senders]:
                phones.setdefault(digits_key(fact.value), inst.id)
        for name, (path, text) in sorted(self.raw.list_texts.items()):
            self.report.errors.extend(lint_list(name, path, text))
            if name == "scam_numbers":
                self.report.errors.extend(list_conflicts(name, path, text, phones, "number", digits_key))


def _iter_unique(problems: list[Problem]) -> Iterator[Problem]:
    seen: set[Problem] = set()
    for p in sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message)):
        if p not in seen:
            seen.add(p)
            yield p


def lint_report(path: Path) -> LintReport:
    """Read, lint and compile; schema errors stop early (nothing else can be trusted then)."""
    from verifier.checks import ALL_CODES
    from verifier.registry.compiled import compile_registry

    try:
        raw = read_registry(path)
    except RegistryError as exc:
        return LintReport(errors=list(exc.problems))
    report = _Linter(raw).run()
    try:
        compile_registry(raw, ALL_CODES)
    except RegistryError as exc:
        report.errors.extend(exc.problems)
    return LintReport(list(_iter_unique(report.errors)), list(_iter_unique(report.notes)))


def lint(path: Path) -> list[Problem]:
    """The errors only (what makes `verifier registry check` exit 1)."""
    return lint_report(path).errors
