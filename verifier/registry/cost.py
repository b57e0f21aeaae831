"""A static bound on a registry pattern's work, so the engine can skip the timeout where it cannot help.

The regex module's timeout reads the process CPU clock (a system call) on every search attempt:
on the bench mix it made the pattern loop about three times slower. A pattern with no unbounded
repeat and no back-reference tries a bounded number of paths from each start position; over a text
of n characters a search costs at most n * work_bound(pattern) steps. Where that product is within
BUDGET the pattern runs untimed; anything else (an unbounded repeat, a long text, syntax this
module does not read) keeps the timeout.

Parsed with Python's own `re` parser (same structure for the syntax it shares with `regex`);
`\\p{..}` classes become one-character classes first, and regex-only syntax that `re` would read
differently (nested sets, fuzzy matching, branch reset, recursion) is refused outright.
"""

from __future__ import annotations

import re
import re._constants as c
import re._parser as sre
import warnings

# Bound steps a pattern may take untimed on one text: at 20 ns a step, under half the engine's
# timeout (compiled.PATTERN_TIMEOUT_S). The bound is loose: the linter's adversarial strings cut
# to that length take the shipped patterns at most about 7 ms.
BUDGET = 20_000_000
_CAP = 10**12  # beyond this the bound is useless; report None
_PROPERTY = re.compile(r"(?<!\\)((?:\\\\)*)\\[pP]\{[^}\\]*\}")
_REFUSED = ("[[", "--", "&&", "||", "~~", "(?|", "(?r", "(?(", "(?R", "(?&", "(?P>", "\\X", "\\G", "\\m", "\\M",
            "{e", "{i", "{d", "{s")
_ONE = {c.LITERAL, c.NOT_LITERAL, c.ANY, c.CATEGORY, c.RANGE}


class _Unbounded(Exception):
    pass


def _seq(items: sre.SubPattern | list) -> tuple[int, int]:
    """(paths, longest match) of a sequence: paths multiply, lengths add."""
    paths, length = 1, 0
    for op, av in items:
        p, n = _node(op, av)
        paths, length = paths * p, length + n
        if paths > _CAP:
            raise _Unbounded
    return paths, length


def _node(op: object, av: object) -> tuple[int, int]:
    if op in _ONE:
        return 1, 1
    if op is c.IN:  # the parser turns single-character alternatives (a|b|[cd]) into one set: one path each
        items = av  # type: ignore[assignment]
        return (1 if items and items[0][0] is c.NEGATE else max(1, len(items))), 1  # type: ignore[arg-type]
    if op is c.AT:
        return 1, 0
    if op is c.BRANCH:
        found = [_seq(b) for b in av[1]]  # type: ignore[index]
        return sum(p for p, _n in found), max((n for _p, n in found), default=0)
    if op is c.SUBPATTERN:
        return _seq(av[3])  # type: ignore[index]
    if op is c.ATOMIC_GROUP:
        return _seq(av)  # type: ignore[arg-type]
    if op in (c.ASSERT, c.ASSERT_NOT):  # tried at each step that reaches it: multiply, as a sequence
        return _seq(av[1])  # type: ignore[index]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, hi, item = av  # type: ignore[misc]
        if hi is c.MAXREPEAT or hi > 1000:
            raise _Unbounded
        p, n = _seq(item)
        paths = sum(p**k for k in range(lo, hi + 1)) if p > 1 else hi - lo + 1
        if paths > _CAP:
            raise _Unbounded
        return paths, hi * n
    raise _Unbounded  # back-references, conditionals and anything else


def work_bound(pattern: str) -> int | None:
    """Steps one search may take from one start position, at most; None when not bounded (or
    not read): the paths through the pattern times their length, with each character counted
    three times (full case folding can match one as up to three)."""
    if any(s in pattern for s in _REFUSED):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set": read differently; keep the timeout
            tree = sre.parse(_PROPERTY.sub(r"\1.", pattern))
        paths, length = _seq(tree)
    except (_Unbounded, re.error, RecursionError, OverflowError, Warning):
        return None
    bound = paths * (3 * length + 1)
    return bound if bound <= _CAP else None
