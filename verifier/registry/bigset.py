"""A compact, exact set of strings for the big block lists (a million scam domains).

A frozenset of a million str objects costs ~130 MB and a million objects the garbage collector
walks on every full pass. Here the entries are their UTF-8 bytes, sorted, deduplicated and
concatenated into one bytes object, with an array of 64-bit offsets: ~26 MB for a million domains,
two objects, and membership by binary search. Every 16th entry is also kept in a list, so
`bisect` (in C) finds the block and only four comparisons run in Python. The two buffers are also
what a registry built in another process hands over (see build.py): adopting them is a copy of
two buffers, not a million allocations.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate, compress
from operator import ne

_STEP = 16  # entries per block of the in-memory index


class SortedStrings:
    """`x in s`, `len(s)` and iteration, like the frozenset[str] it replaces; read-only."""

    __slots__ = ("_blob", "_index", "_offsets")

    def __init__(self, blob: bytes = b"", offsets: array | None = None, index: list[bytes] | None = None):
        # offsets[i]:offsets[i + 1] is entry i; offsets has len(self) + 1 items, the first 0.
        self._blob = blob
        self._offsets = offsets if offsets is not None else array("q", [0])
        offs = self._offsets
        if offs.typecode != "q" or not offs or offs[-1] != len(blob):
            raise ValueError("offsets do not describe the blob")
        if index is None:  # ~30 ms for a million entries; a handover sends it ready-made
            index = [blob[offs[i]:offs[i + 1]] for i in range(0, len(offs) - 1, _STEP)]
        elif len(index) != -(-(len(offs) - 1) // _STEP):
            raise ValueError("index does not describe the blob")
        self._index = index

    @classmethod
    def of(cls, entries: Iterable[str]) -> SortedStrings:
        """From any strings (unsorted, with duplicates); C-speed passes only."""
        keys = sorted(entries)  # code point order is UTF-8 byte order; linted lists are one pass
        if keys:
            keys = [keys[0], *compress(keys[1:], map(ne, keys[1:], keys))]  # drop adjacent repeats
        text = "".join(keys)
        blob = text.encode("utf-8", "surrogatepass")
        if len(blob) == len(text):  # ASCII: a character is a byte
            lengths: Iterable[int] = map(len, keys)
        else:
            lengths = [len(k.encode("utf-8", "surrogatepass")) for k in keys]
        return cls(blob, array("q", accumulate(lengths, initial=0)))

    def parts(self) -> tuple[bytes, bytes, list[bytes]]:
        """The two buffers and the block index, for `from_parts` in another process."""
        return self._blob, self._offsets.tobytes(), self._index

    @classmethod
    def from_parts(cls, blob: bytes, offsets: bytes, index: list[bytes] | None = None) -> SortedStrings:
        arr = array("q")
        arr.frombytes(offsets)
        return cls(blob, arr, index)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str):
            return False
        key = item.encode("utf-8", "surrogatepass")
        block = bisect_right(self._index, key) - 1  # the last indexed entry <= key
        if block < 0:
            return False
        blob, offs = self._blob, self._offsets
        lo = block * _STEP
        hi = min(lo + _STEP, len(offs) - 1)
        while lo < hi:  # the first entry >= key
            mid = (lo + hi) >> 1
            if blob[offs[mid]:offs[mid + 1]] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo < len(offs) - 1 and blob[offs[lo]:offs[lo + 1]] == key

    def __iter__(self) -> Iterator[str]:
        blob, offs = self._blob, self._offsets
        for i in range(len(offs) - 1):
            yield blob[offs[i]:offs[i + 1]].decode("utf-8", "surrogatepass")

    def __repr__(self) -> str:
        return f"<SortedStrings of {len(self)}>"
