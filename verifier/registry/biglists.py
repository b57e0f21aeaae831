"""The big block lists (scam domains and numbers) as SortedStrings, built beside the rest.

They are a third of a large registry's compile (a million lines to split, strip, sort, pack) and
need nothing else from it, so where it is safe (a single-threaded process: the `registry check`
command, the builder process, the bench) a forked child builds them on the second core while this
process compiles the institutions, and sends back the two buffers of each (forked.py). Elsewhere, or if the
child fails in any way, they are built here, with the same result.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from verifier.analysis.phones import digits_key
from verifier.registry.bigset import SortedStrings
from verifier.registry.forked import Forked, can_fork
from verifier.registry.load import LIST_ENCODING, read_file_bounded

NAMES = ("scam_domains", "scam_numbers")
_FORK_FROM_BYTES = 1 << 20  # below ~1 MiB of list text, a fork costs more than it saves
# A comment runs from '#' to the end of its line; every line break str.splitlines knows.
_COMMENT = re.compile("#[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*")
# ASCII digits, not starting 00 or 86: digits_key gives such an entry back unchanged.
_PLAIN_NUMBER = re.compile(r"(?!00|86)[0-9]+").fullmatch

ListTexts = dict[str, tuple[Path, str]]
# registry.yaml's `lists:` section as maintainers write it (see registry/README.md): enough to
# guess the big lists' files before the YAML is parsed. A wrong guess only costs the head start.
_LISTS_HEAD = re.compile(r"^lists:[ \t]*\r?\n", re.M)
_LIST_LINE = re.compile(r"[ \t]+([a-z_]+):[ \t]*([^\s#]+)[^\n]*\n")  # a path without spaces


def bare_entries(text: str) -> list[str]:
    """The entries of load.list_entries(text), without line numbers, in C-speed passes."""
    if "#" in text:
        text = _COMMENT.sub("", text)
    return list(filter(None, map(str.strip, text.splitlines())))


def number_keys(entries: list[str]) -> SortedStrings:
    """{digits_key(e) or e}: plain national digits are their own key, the rest go the long way."""
    keys = set(entries)
    odd = [e for e in keys if not _PLAIN_NUMBER(e)]
    keys.difference_update(odd)
    keys.update(digits_key(e) or e for e in odd)
    return SortedStrings.of(keys)


def build(list_texts: ListTexts,
          official: frozenset[str] = frozenset()) -> tuple[dict[str, SortedStrings], bool]:
    """The two sets, and whether a scam domain is also one of the `official` hosts."""
    def text(name: str) -> str:
        return list_texts[name][1] if name in list_texts else ""

    # Domains compare in lower case: the whole text at once (one C pass, not a million calls).
    domains = bare_entries(text("scam_domains").lower())
    conflict = not official.isdisjoint(domains)
    return ({"scam_domains": SortedStrings.of(domains),
             "scam_numbers": number_keys(bare_entries(text("scam_numbers")))}, conflict)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Pending:
    """Start with the list texts, compile the rest, then `result()`; `close()` in any case."""

    def __init__(self, list_texts: ListTexts, official: frozenset[str] = frozenset()):
        self._texts, self._official = list_texts, official
        self._done: dict[str, SortedStrings] | None = None
        self.conflict = False  # with result(): a scam domain is also an official host
        self._child: Forked | None = None
        size = sum(len(list_texts[n][1]) for n in NAMES if n in list_texts)
        if size >= _FORK_FROM_BYTES:
            self._child = Forked.start(self._work)

    @classmethod
    def built(cls, sets: dict[str, SortedStrings], official: frozenset[str]) -> Pending:
        """Sets already built (by EarlyLists); the official-host check is made here."""
        done = cls({}, official)
        done._done = sets
        done.conflict = any(d in sets["scam_domains"] for d in official)
        return done

    def _work(self) -> tuple[dict[str, Any], bool]:
        sets, conflict = build(self._texts, self._official)
        return {name: s.parts() for name, s in sets.items()}, conflict

    def result(self) -> dict[str, SortedStrings]:
        if self._done is None and self._child is not None:
            child, self._child = self._child, None
            with contextlib.suppress(Exception):  # any failure: build them here instead
                parts, conflict = child.answer()
                self._done = {name: SortedStrings.from_parts(*parts[name]) for name in NAMES}
                self.conflict = bool(conflict)
        if self._done is None:
            self._done, self.conflict = build(self._texts, self._official)
        return self._done

    def close(self) -> None:
        """Stop a child whose result is not wanted (the compile failed): it would block forever
        on a full pipe."""
        if self._child is not None:
            self._child.stop()
            self._child = None


class EarlyLists:
    """The big lists started before registry.yaml is even parsed (a load of the large bench
    registry spent ~0.9 s waiting for them after its YAML). The child reads the files named in
    the `lists:` section and builds the sets; `take()` uses them only if the texts the registry's
    own reading found later are byte for byte the ones the child built from."""

    def __init__(self, child: Forked) -> None:
        self._child: Forked | None = child

    @classmethod
    def start(cls, registry_path: Path) -> EarlyLists | None:
        """A child building the lists, or None (small lists, threads, nothing to guess from)."""
        if not can_fork():
            return None
        try:  # never block on a FIFO or read a device: the same guarded read as the registry's
            head = read_file_bounded(registry_path).decode("utf-8", "replace")
        except OSError:
            return None
        section = _LISTS_HEAD.search(head)
        if section is None:
            return None
        rels: dict[str, str] = {}
        pos = section.end()
        while (line := _LIST_LINE.match(head, pos)) is not None:
            if line[1] in NAMES:
                rels[line[1]] = line[2]
            pos = line.end()
        # not Path.resolve: a symlink loop raises RuntimeError there (the read below says ELOOP)
        paths = {name: Path(os.path.realpath(registry_path.parent / rel))
                 for name, rel in rels.items()}
        try:
            if sum(p.stat().st_size for p in paths.values()) < _FORK_FROM_BYTES:
                return None
        except OSError:
            return None

        def work() -> tuple[dict[str, Any], dict[str, bytes]]:
            texts = {n: (p, read_file_bounded(p).decode(LIST_ENCODING)) for n, p in paths.items()}
            sets, _conflict = build(texts)
            return ({n: s.parts() for n, s in sets.items()},
                    {n: _digest(t) for n, (_p, t) in texts.items()})

        child = Forked.start(work)
        return cls(child) if child is not None else None

    def take(self, list_texts: ListTexts, official: frozenset[str]) -> Pending | None:
        """The child's sets as a finished Pending, if built from exactly `list_texts`."""
        if self._child is None:
            return None
        child, self._child = self._child, None
        with contextlib.suppress(Exception):  # any failure: the caller builds them instead
            parts, digests = child.answer()
            wanted = {n: _digest(t) for n, (_p, t) in list_texts.items() if n in NAMES}
            if digests == wanted:
                sets = {n: SortedStrings.from_parts(*parts[n]) for n in NAMES}
                return Pending.built(sets, official)
        return None

    def close(self) -> None:
        """Stop a child whose result was not taken (the registry failed before the lists)."""
        if self._child is not None:
            self._child.stop()
            self._child = None
