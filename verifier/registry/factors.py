"""The literals a regex match must contain, so a pattern runs only on text holding one of them.

`required_factors(pattern)` returns a set of strings such that every match of the pattern
contains at least one of them, or None when it cannot tell. It reads a plain subset of the
syntax (literals, escapes, classes, groups, lookarounds, alternation, counted repeats) and
answers None for anything else (inline flags, fuzzy matching, nested sets, back-references),
so a pattern it does not understand is simply always run.
"""

from __future__ import annotations

import regex

_MAX_SET = 64  # strings in one set of alternatives
_MAX_LEN = 24  # characters in one such string

# Escapes that stand for a class of characters, or for a position (match nothing).
_CLASS_ESCAPES = set("dDsSwW")
_ZERO_WIDTH_ESCAPES = set("bBAZzG")
_META = set("\\[](){}|?*+.^$")
# Flags that leave a literal character meaning itself.
_SAFE_FLAGS = (regex.V0 | regex.V1 | regex.UNICODE | regex.FULLCASE | regex.DOTALL | regex.MULTILINE
               | regex.ASCII | regex.WORD)

Info = tuple["frozenset[str] | None", "frozenset[str] | None"]  # (every string it matches, required)


class _Unknown(Exception):
    """Syntax outside the subset this module reads."""


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    """Drop strings that contain another: a match holding the longer holds the shorter."""
    return frozenset(s for s in strings if not any(t != s and t in s for t in strings))


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > _MAX_SET:
        return None
    out = frozenset(x + y for x in a for y in b)
    return out if all(len(s) <= _MAX_LEN for s in out) else None


def _required(exact: frozenset[str] | None) -> frozenset[str] | None:
    return _minimal(exact) if exact is not None and "" not in exact else None


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective requirement: longer shortest string, then fewer strings."""
    if a is None:
        return b
    if b is None:
        return a
    key_a, key_b = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return a if key_a >= key_b else b


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def alternation(self) -> Info:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        exact: frozenset[str] | None = frozenset()
        req: frozenset[str] | None = frozenset()
        for b_exact, b_req in branches:
            exact = exact | b_exact if exact is not None and b_exact is not None else None
            req = req | b_req if req is not None and b_req is not None else None
        if exact is not None and len(exact) > _MAX_SET:
            exact = None
        return exact, (_minimal(req) if req else None)

    def sequence(self) -> Info:
        run: frozenset[str] | None = frozenset([""])  # product of the exact items so far
        whole: frozenset[str] | None = frozenset([""])
        best: frozenset[str] | None = None
        while self.peek() not in ("", "|", ")"):
            exact, req = self.quantified()
            best = _better(best, req)
            whole = _product(whole, exact) if whole is not None and exact is not None else None
            if exact is None:
                best = _better(best, _required(run))
                run = frozenset([""])
                continue
            joined = _product(run, exact) if run is not None else None
            if joined is None:  # too many alternatives: close the run, start again here
                best = _better(best, _required(run))
                joined = exact
            run = joined
        best = _better(best, _required(run))
        return whole, _better(best, _required(whole))

    def quantified(self) -> Info:
        exact, req = self.atom()
        c = self.peek()
        if c in ("?", "*", "+"):
            self.i += 1
            low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}[c]
        elif c == "{":
            m = regex.match(r"\{(\d{0,4})(?:(,)(\d{0,4}))?\}", self.p[self.i:])
            if not m or (not m.group(1) and not m.group(2)):
                raise _Unknown  # a literal brace, or fuzzy matching ({e<=1}): not read here
            self.i += m.end()
            low = int(m.group(1) or 0)
            high = low if not m.group(2) else (int(m.group(3)) if m.group(3) else None)
        else:
            return exact, req
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings
            self.i += 1
        if low == 0:
            if exact is not None and high == 1:
                return exact | {""}, None
            return (frozenset([""]) if exact == frozenset([""]) else None), None
        if exact is not None:  # at least `low` copies in a row, each any of the strings
            rep: frozenset[str] | None = frozenset([""])
            for _ in range(min(low, _MAX_LEN)):
                rep = _product(rep, exact) if rep is not None else None
            if rep is not None:  # all `low` copies when low <= _MAX_LEN, else a part of them
                return (rep if high == low <= _MAX_LEN else None), _better(req, _required(rep))
        return None, req

    def atom(self) -> Info:
        c = self.peek()
        if c == "(":
            return self.group()
        if c == "[":
            self.char_class()
            return None, None
        if c == ".":
            self.i += 1
            return None, None
        if c in ("^", "$"):
            self.i += 1
            return frozenset([""]), None
        if c == "\\":
            return self.escape()
        if c in _META:
            raise _Unknown
        self.i += 1
        return frozenset([c]), frozenset([c])

    def escape(self) -> Info:
        nxt = self.p[self.i + 1:self.i + 2]
        if not nxt:
            raise _Unknown
        self.i += 2
        if nxt in _CLASS_ESCAPES:
            return None, None
        if nxt in _ZERO_WIDTH_ESCAPES:
            return frozenset([""]), None
        if nxt in ("p", "P"):
            m = regex.match(r"\{\^?[A-Za-z_][A-Za-z0-9_=:]{0,40}\}", self.p[self.i:])
            if not m:
                raise _Unknown
            self.i += m.end()
            return None, None
        if nxt.isascii() and nxt.isalnum():
            raise _Unknown  # \n, \x41, \1, \N{...}, \m ...: not read here
        if nxt.isspace() or not nxt.isascii():
            raise _Unknown
        return frozenset([nxt]), frozenset([nxt])  # an escaped punctuation character

    def char_class(self) -> None:
        """Skip [...]; nested sets and set operations (V1) are not read here."""
        self.i += 1
        if self.peek() == "^":
            self.i += 1
        if self.peek() == "]":
            raise _Unknown
        while True:
            c = self.peek()
            if c == "":
                raise _Unknown
            if c == "\\":
                self.i += 2
                continue
            if c == "[" or self.p.startswith(("--", "&&", "||", "~~"), self.i):
                raise _Unknown
            self.i += 1
            if c == "]":
                return

    def group(self) -> Info:
        rest = self.p[self.i:]
        zero_width = False
        for opening, lookaround in (("(?<=", True), ("(?<!", True), ("(?=", True), ("(?!", True),
                                    ("(?:", False), ("(?>", False)):
            if rest.startswith(opening):
                self.i += len(opening)
                zero_width = lookaround
                break
        else:
            m = regex.match(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]{0,31}>", rest)
            if m:
                self.i += m.end()
            elif rest.startswith("(?"):
                raise _Unknown  # inline flags, branch reset, conditionals, comments
            else:
                self.i += 1
        info = self.alternation()
        if self.peek() != ")":
            raise _Unknown
        self.i += 1
        return (frozenset([""]), None) if zero_width else info


def required_factors(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Strings one of which every match contains; None when not known (run the pattern)."""
    if flags & ~_SAFE_FLAGS:
        return None
    parser = _Parser(pattern)
    try:
        _exact, req = parser.alternation()
    except _Unknown:
        return None
    if parser.i != len(pattern) or not req or "" in req:
        return None
    return req
