"""The compact block-list set answers exactly like the frozenset[str] it replaced, and a registry
handed over from another process (handover.py) equals the one compiled in this process."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import TEST_SCAM_DOMAIN, TEST_SCAM_NUMBER
from verifier.registry.bigset import SortedStrings
from verifier.registry.compiled import LookalikeIndex, Registry
from verifier.registry.handover import HEADER, decode, encode
from verifier.registry.nearnames import NearNames

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(st.lists(_text, max_size=60), st.lists(_text, max_size=20))
def test_membership_and_length_match_a_frozenset(entries: list[str], probes: list[str]) -> None:
    s, ref = SortedStrings.of(entries), frozenset(entries)
    assert len(s) == len(ref)
    assert sorted(s, key=lambda x: x.encode()) == list(s)
    assert set(s) == ref
    for x in entries + probes:
        assert (x in s) == (x in ref)


def test_edge_cases() -> None:
    empty = SortedStrings.of([])
    assert len(empty) == 0 and "" not in empty and "a" not in empty
    s = SortedStrings.of(["b.cc", "a.cc", "b.cc", "", "中文.com"])
    assert len(s) == 4 and "" in s and "中文.com" in s and "b.cc" in s
    assert "b.c" not in s and "b.ccc" not in s and "zzz" not in s
    assert None not in s and b"a.cc" not in s and 1 not in s
    assert "\ud800" not in s  # a lone surrogate (from a request) never raises


def test_parts_round_trip() -> None:
    s = SortedStrings.of(f"d{i}.top" for i in range(1000))
    back = SortedStrings.from_parts(*pickle.loads(pickle.dumps(s.parts())))
    assert list(back) == list(s) and "d999.top" in back and "d1000.top" not in back


def test_every_entry_and_its_neighbours_across_many_blocks() -> None:
    entries = [f"d{i}.top" for i in range(0, 2000, 2)]
    s = SortedStrings.of(entries)
    for i in range(-1, 2001):
        assert (f"d{i}.top" in s) == (0 <= i < 2000 and i % 2 == 0)
    assert "d" not in s and "d0.to" not in s and "d998.topp" not in s and "~" not in s
    blob, offsets, index = s.parts()
    with pytest.raises(ValueError, match="index"):
        SortedStrings.from_parts(blob, offsets, index[:-1])
    assert list(SortedStrings.from_parts(blob, offsets, index)) == list(s)


def test_registry_lists_use_it(test_registry: Registry) -> None:
    assert isinstance(test_registry.scam_domains, SortedStrings)
    assert TEST_SCAM_DOMAIN in test_registry.scam_domains
    assert TEST_SCAM_NUMBER in test_registry.scam_numbers
    counts = test_registry.counts()
    assert counts["scam_domains"] == len(test_registry.scam_domains) >= 1


def _comparable(value: object) -> object:
    if isinstance(value, Mapping):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, SortedStrings):
        return list(value), value.parts()[2]
    if isinstance(value, NearNames):
        return [_comparable(getattr(value, slot)) for slot in NearNames.__slots__]
    if isinstance(value, LookalikeIndex):
        return [_comparable(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if type(value).__name__ == "Automaton":
        return sorted(value.items())
    if isinstance(value, tuple):
        return tuple(_comparable(v) for v in value)
    if hasattr(value, "pattern") and hasattr(value, "flags"):  # a compiled regex
        return (value.pattern, value.flags)
    return value


async def test_handover_rebuilds_an_equal_registry(test_registry: Registry) -> None:
    frames = [f[HEADER:] for f in encode(test_registry)]
    it = iter(frames)

    async def read() -> bytes:
        return next(it)

    back = await decode(read, loaded_at=123.0)
    assert back.loaded_at == 123.0
    for f in dataclasses.fields(Registry):
        if f.name == "loaded_at":
            continue
        assert _comparable(getattr(back, f.name)) == _comparable(getattr(test_registry, f.name)), f.name
    assert back.counts() == test_registry.counts()
    assert TEST_SCAM_DOMAIN in back.scam_domains and TEST_SCAM_NUMBER in back.scam_numbers
    matched = {t for _end, ts in back.automaton.iter("网络仲裁委员会") for t in ts}
    assert matched == {t for _end, ts in test_registry.automaton.iter("网络仲裁委员会") for t in ts}
    assert isinstance(back.path, Path)
