"""Every regular expression the service runs, in code and in the registry, goes through the
registry linter's regex checks (verifier/registry/lint_regex.py): the static look for nested or
overlapping repetition, and the timed run on adversarial strings built from the pattern itself.

The code patterns are found by importing every module of the package and collecting each
compiled pattern (stdlib `re` and `regex`), so a new one is checked without being listed here.
A code pattern the static check flags must be in REVIEWED with the reason it is safe anyway (and
still pass the timed run and the attacks below); a stale entry fails the test too.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time

import regex

import verifier
from verifier.registry.lint_regex import dynamic_problem, regex_problems, static_problems

# Flagged by the static check (a repeat inside a repeat), safe because each outer iteration
# ends on a character the inner repeat cannot match, so there is one way to split any input:
REVIEWED = {
    "verifier.analysis.names._SUFFIX_EN":
        "(?:[a-z-]{2,20} ){0,2}: each word ends at a space, which [a-z-] excludes; at most 2x20",
    "verifier.analysis.phones._NUMBER":
        "(?:[ -.()（）]{0,3}\\d){4,21}: each step ends on one digit, which the separators exclude",
    "verifier.analysis.urls._URL":
        "(?:LABEL\\.){1,10}: each label ends at a dot, which a label excludes; labels <= 63 chars",
    "verifier.web.partners._HOST_RE":
        "LABEL(\\.LABEL)*: each repeat starts with a dot, which a label excludes; anchored",
}


def code_patterns() -> dict[str, re.Pattern[str] | regex.Pattern[str]]:
    found: dict[str, re.Pattern[str] | regex.Pattern[str]] = {}
    seen: set[int] = set()
    for info in pkgutil.walk_packages(verifier.__path__, "verifier."):
        if info.name.endswith("__main__"):
            continue  # runs the command line
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            if isinstance(value, (re.Pattern, regex.Pattern)) and id(value) not in seen:
                seen.add(id(value))
                found[f"{info.name}.{attr}"] = value
    return found


PATTERNS = code_patterns()


def as_regex(p: re.Pattern[str] | regex.Pattern[str]) -> regex.Pattern[str]:
    if isinstance(p, regex.Pattern):
        return p
    flags = (regex.I if p.flags & re.IGNORECASE else 0) | (regex.S if p.flags & re.DOTALL else 0) \
        | (regex.M if p.flags & re.MULTILINE else 0) | (regex.X if p.flags & re.VERBOSE else 0)
    return regex.compile(p.pattern, flags)


def test_the_package_patterns_were_found() -> None:
    assert len(PATTERNS) >= 15
    for name in REVIEWED:
        assert name in PATTERNS, f"stale REVIEWED entry {name}: remove it"


def test_code_patterns_pass_the_static_check_or_are_reviewed() -> None:
    flagged = {name: static_problems(p.pattern) for name, p in PATTERNS.items()}
    flagged = {name: why for name, why in flagged.items() if why}
    unreviewed = {name: why for name, why in flagged.items() if name not in REVIEWED}
    assert not unreviewed, f"rewrite these (atomic groups, possessive quantifiers) or review them: {unreviewed}"
    stale = set(REVIEWED) - set(flagged)
    assert not stale, f"no longer flagged, remove from REVIEWED: {stale}"


def test_code_patterns_pass_the_timed_run() -> None:
    slow = {name: why for name, p in PATTERNS.items()
            if (why := dynamic_problem(as_regex(p), p.pattern))}
    assert not slow, slow


ATTACKS = ["court of " + "ab " * 3000 + "!", "1 " * 5000 + "x", "1-" * 5000, "(1)" * 3000 + "a",
           "a." * 5000 + "!", "a-" * 5000 + ".", ("a" * 63 + ".") * 150 + "-", "a" * 10_000 + "!",
           "http://" + "a." * 4000 + "!", "x" * 5000 + ".com" * 1000]


def test_reviewed_patterns_on_targeted_attacks() -> None:
    for name in REVIEWED:
        p = as_regex(PATTERNS[name])
        for attack in ATTACKS:
            started = time.perf_counter()
            try:
                p.findall(attack, timeout=2.0)
            except TimeoutError:
                raise AssertionError(f"{name} backtracks on {attack[:30]!r}…") from None
            assert time.perf_counter() - started < 2.5, name


def test_registry_patterns_pass_the_linter(registry) -> None:
    """The registry linter (`verifier registry check`, run in CI) already refuses unsafe
    patterns; this checks the shipped file through the same function, compiled as served."""
    problems = {code: why for code, p in registry.patterns if (why := regex_problems(p.pattern))}
    assert not problems, problems
