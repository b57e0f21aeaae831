"""The near-name index answers exactly as rapidfuzz's full scan does, while scoring few names."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from verifier.registry.nearnames import NearNames

# A few characters every name holds (as 仲裁委员会 in a registry) and a wider set of rarer ones.
_COMMON = "仲裁委员会"
_RARE = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥广州深圳北京上海"


def _scan(query: str, names: list[str], cutoff: float) -> str | None:
    match = process.extractOne(query, names, scorer=fuzz.ratio, score_cutoff=cutoff)
    return match[0] if match else None


_name = st.text(st.sampled_from(_RARE), min_size=0, max_size=5).map(lambda s: s + _COMMON)
_query = st.text(st.sampled_from(_RARE + _COMMON + "x网络"), min_size=0, max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(_name, min_size=1, max_size=250), st.lists(_query, min_size=1, max_size=8),
       st.sampled_from([50, 80, 88, 95, 100]))
def test_same_answer_as_the_full_scan(names: list[str], queries: list[str], cutoff: int) -> None:
    index = NearNames(names)
    for q in queries + names[:3]:
        assert index.best(q, cutoff) == _scan(q, names, cutoff), q


@given(st.lists(st.text(max_size=30), min_size=1, max_size=80), st.text(max_size=30),
       st.floats(min_value=1, max_value=100))
def test_any_text_and_cutoff(names: list[str], query: str, cutoff: float) -> None:
    assert NearNames(names).best(query, cutoff) == _scan(query, names, cutoff)


def test_english_names_and_ties_keep_registry_order() -> None:
    names = ["guangzhou arbitration commission", "shenzhen court of international arbitration",
             "guangzhou arbitration commissiom", "gac", "sccia"]
    index = NearNames(names)
    for q in ("guangzhou arbitration comission", "guangzhou arbitration commissio", "gacc", "",
              "shenzen court of international arbitration"):
        assert index.best(q, 88) == _scan(q, names, 88)


def test_a_large_registry_scores_only_the_names_that_can_match() -> None:
    rng = random.Random(3)
    names = ["".join(rng.choice(_RARE) for _ in range(4)) + _COMMON for _ in range(5000)]
    index = NearNames(names)
    for q in ("网络仲裁委员会", "中国互联网仲裁委员会", "x仲裁委员会y", "上海国际仲裁中心"):
        assert len(index.candidates(q, 80)) < 100
        assert index.best(q, 80) == _scan(q, names, 80)
    near = names[17][:3] + "x" + _COMMON  # one character changed
    assert index.best(near, 80) == _scan(near, names, 80) is not None
    assert index.best(names[42], 100) == names[42]
