"""The nearest registered name to an unregistered one, without scanning every name.

A near miss ("广州仲栽委员会") is the best `fuzz.ratio` match at or above a cutoff. rapidfuzz's
`extractOne` over all names is fast per name but linear: with 10,000 institutions it costs more
than the rest of a notice. Two exact bounds pick the names that can reach the cutoff, and
rapidfuzz scores only those, in registry order, so the answer is the one the full scan gives:

- length: ratio = 200·LCS / (la + lb) ≤ 200·min(la, lb) / (la + lb);
- shared characters: LCS ≤ the characters both names hold. Characters found in many names
  (仲, 裁, 委 ...) are "common"; a name that shares none of the query's other characters can
  overlap it in at most the query's common characters, which bounds its length from above.

Names sharing one of the query's rarer characters are looked up in a per-character index.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from rapidfuzz import fuzz, process

_MIN_COMMON = 64  # a character in more names than this (or 1% of them) is common


class NearNames:
    __slots__ = ("_by_length", "_common", "_lengths", "_names", "_postings", "_sorted_lengths")

    def __init__(self, names: Sequence[str]):
        self._names = tuple(names)
        self._lengths = tuple(map(len, self._names))
        self._by_length = sorted(range(len(self._names)), key=self._lengths.__getitem__)
        self._sorted_lengths = [self._lengths[i] for i in self._by_length]
        postings: dict[str, list[int]] = {}
        for i, name in enumerate(self._names):
            for ch in set(name):
                postings.setdefault(ch, []).append(i)
        limit = max(_MIN_COMMON, len(self._names) // 100)
        self._common = frozenset(ch for ch, ids in postings.items() if len(ids) > limit)
        self._postings = {ch: tuple(ids) for ch, ids in postings.items() if ch not in self._common}

    def __len__(self) -> int:
        return len(self._names)

    def best(self, query: str, cutoff: float) -> str | None:
        """The first best-scoring name with `fuzz.ratio` ≥ cutoff (0 < cutoff ≤ 100), or None."""
        candidates = self.candidates(query, cutoff)
        if not candidates:
            return None
        names = self._names
        match = process.extractOne(query, [names[i] for i in candidates], scorer=fuzz.ratio,
                                   score_cutoff=cutoff)
        return match[0] if match else None

    def candidates(self, query: str, cutoff: float) -> list[int]:
        """Indices, ascending, of every name whose ratio with `query` can reach `cutoff`."""
        la = len(query)
        if not self._names:
            return []
        share = cutoff / 200  # LCS must be ≥ share · (la + lb)
        # lb/(la+lb) ≥ share and la/(la+lb) ≥ share; a character of slack against rounding.
        lo = max(0, int(share * la / (1 - share)) - 1) if share < 1 else la
        hi = int(la * (1 - share) / share) + 1
        common = sum(1 for ch in query if ch in self._common)
        # a name sharing only common characters: LCS ≤ common, so lb ≤ common/share − la
        hi_plain = min(hi, int(common / share - la) + 1)
        found: set[int] = set()
        lengths = self._lengths
        for ch in set(query):
            for i in self._postings.get(ch, ()):
                if lo <= lengths[i] <= hi:
                    found.add(i)
        if hi_plain >= lo:
            a = bisect_left(self._sorted_lengths, lo)
            b = bisect_right(self._sorted_lengths, hi_plain)
            found.update(self._by_length[a:b])
        return sorted(found)
