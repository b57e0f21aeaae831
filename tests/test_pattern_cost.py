"""cost.work_bound: which registry patterns may run untimed, and on how long a text."""

from __future__ import annotations

import pytest

from verifier.registry.cost import BUDGET, work_bound


@pytest.mark.parametrize("pattern", [
    r"a+b", r"a*", r"x.{2,}y", r"(?:ab|cd){1,}",  # unbounded repeats
    r"(a)\1", r"(?(1)a|b)",  # back-reference, conditional
    r"(?:abc){e<=1}", r"[[a-z]--[aeiou]]", r"(?|(a)|(b))",  # regex-only syntax `re` reads differently
    r"(?:a{0,999}){0,999}",  # bounded, but beyond any use
])
def test_patterns_that_keep_the_timeout(pattern):
    assert work_bound(pattern) is None


def test_a_bounded_pattern_has_a_bound():
    """Paths times (3 x their longest length + 1)."""
    assert work_bound("abc") == 1 * (3 * 3 + 1)
    assert work_bound(r"(?:会不会|会|可能)[^，。]{0,10}[吗么嘛]") == 3 * 11 * 3 * (3 * 14 + 1)


def test_the_bound_grows_with_nesting_alternation_and_lookarounds():
    flat = work_bound(r"a{0,4}b")
    assert work_bound(r"(?:a{0,4}){0,4}b") > 100 * flat
    assert work_bound(r"(?<=x{0,9})a{0,4}b") > flat
    # The parser turns one-character alternatives into a set; each still counts as a path, even
    # a repeated one, which the engine tries twice.
    assert work_bound(r"(?:a|a)b") == 2 * (3 * 2 + 1)
    assert work_bound(r"(?:a|a){0,10}") == work_bound(r"[ab]{0,10}") > 100 * work_bound(r"[^ab]{0,10}")


def test_unicode_properties_read_as_one_character():
    assert work_bound(r"\p{Han}{1,3}先生") == work_bound(r".{1,3}先生")
    assert work_bound(r"[\p{Han}a-z]{1,3}") is not None


def test_registry_patterns_run_untimed_only_on_short_texts(registry):
    prepared = registry.prepared
    assert len(prepared.untimed_up_to) == len(registry.patterns)
    for (_code, pattern), limit in zip(registry.patterns, prepared.untimed_up_to, strict=True):
        bound = work_bound(pattern.pattern)
        assert limit == (BUDGET // bound if bound else 0)
        assert limit * (bound or 0) <= BUDGET
    assert any(prepared.untimed_up_to) and not all(prepared.untimed_up_to)  # both kinds ship
