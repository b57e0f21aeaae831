"""Required literals of a regex (verifier/registry/factors.py): every match holds one of them,
so a registry pattern may be skipped on text that holds none. None means "always run"."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.analysis.normalise import normalise
from verifier.registry.factors import required_factors

CASES = [
    ("abc", {"abc"}),
    ("a|b", {"a", "b"}),
    ("(?:ab|cd)ef", {"abef", "cdef"}),
    ("a?b", {"b"}),
    ("ab*", {"a"}),
    ("a{2}", {"aa"}),
    ("x{2,5}y", {"xx"}),
    ("[ab]c", {"c"}),
    (r"\d{1,2}\s?(?:个)?小时(?:内|后)", {"小时内", "小时后"}),
    ("(?:今天|今日)(?:上午|下午)?\\s?\\d", {"今天", "今日"}),
    ("(?:不会|绝不会|从不)x?", {"不会", "从不"}),  # 绝不会 holds 不会
    (r"\bfoo\b", {"foo"}),
    (r"a\.b", {"a.b"}),
    ("(?<=x)ab(?=y)", {"ab"}),
    ("(?P<n>ab)|cd", {"ab", "cd"}),
    (r"\p{Han}{1,3}先生", {"先生"}),
    ("[^，。]{0,8}冻结", {"冻结"}),
    # not read, or nothing required: the pattern always runs
    ("", None),
    ("(?:a|)", None),
    (r"\d+", None),
    ("a*", None),
    ("(?i)abc", None),
    ("(?:abc){e<=1}", None),
    ("[[a-z]--[aeiou]]x", None),
    (r"(a)\1", None),
    (r"\x41", None),
    ("a{", None),
    ("(?#comment)a", None),
]


@pytest.mark.parametrize("pattern,expected", CASES, ids=[c[0] or "empty" for c in CASES])
def test_required_factors(pattern, expected):
    got = required_factors(pattern, regex.compile(pattern, regex.V1).flags if pattern != "a{" else 0)
    assert got == (frozenset(expected) if expected is not None else None)


def test_ignorecase_is_never_prefiltered():
    assert required_factors("abc", regex.compile("abc", regex.V1 | regex.I).flags) is None


def _sound(pattern: regex.Pattern[str], factors: frozenset[str] | None, text: str) -> None:
    if factors is not None and pattern.search(text):
        assert any(f in text for f in factors), (pattern.pattern, text)


def test_registry_patterns_on_the_corpus(registry):
    from test_golden import INPUTS

    texts = [normalise(req.get("text") or "").text for _k, req, _l, _n in INPUTS]
    for (_code, pattern), factors in zip(registry.patterns, registry.pattern_factors, strict=True):
        for text in texts:
            _sound(pattern, factors, text)


PIECES = ["今天", "冻结", "小时内", "验证码", "下载", "app", "微信", "转账给", "先生", "户名", "：", ":", " ",
          "张三", "1", "23", "按", "9", "查询", "不会", "冒充", "within", "before", "hours", "press", "to"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=12))
def test_registry_patterns_on_random_text(registry, pieces):
    text = normalise("".join(pieces)).text
    for (_code, pattern), factors in zip(registry.patterns, registry.pattern_factors, strict=True):
        _sound(pattern, factors, text)


def test_most_registry_patterns_are_prefiltered(registry):
    """The point of the module: the shipped patterns are read (a regression here costs speed)."""
    factors = registry.pattern_factors
    assert sum(f is not None for f in factors) >= len(factors) - 2


@pytest.mark.parametrize("pattern", ["ya{30}x", "a{30}", "(?:ab){3}c", "x(?:a|b){2}y", "(?:今天){2,}冻结"])
def test_long_and_alternating_repeats_stay_sound(pattern):
    compiled = regex.compile(pattern, regex.V1)
    factors = required_factors(pattern, compiled.flags)
    for text in ["y" + "a" * 30 + "x", "a" * 30, "ababc", "xaby", "xbay", "今天今天今天冻结"]:
        _sound(compiled, factors, text)
