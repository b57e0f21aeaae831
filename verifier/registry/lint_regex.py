"""Regex safety for registry `patterns`: a static look for backtracking traps, then a timed run.

The engine runs every pattern on every notice (up to 10,000 characters) with a small timeout; a
pattern that backtracks catastrophically is skipped there, silently, so it never fires. The linter
therefore rejects such patterns before they ship, in two independent ways:

* static: a repeated group (`*`, `+`, `{n,}`, `{n,m}` with m >= 2) that contains another unbounded
  or multi-step quantifier (`(a+)+`), or an alternation whose branches can start with the same
  character or match nothing (`(a|ab)*`, `(\\w|\\d)+`, `(a|)*`). Atomic groups `(?>…)` and
  possessive quantifiers (`a++`) do not backtrack and are exempt. `?` inside a repeat is allowed
  (`(?:-?\\d){4,21}`): each step still consumes a character, and the timed run covers the rest.
* dynamic: run the pattern with the `regex` module's timeout over adversarial strings made from its
  own alphabet (`'a' * 5000 + '!'` style: every literal, literal run and class representative,
  repeated, then a character that makes the match fail at the end).

Loading (start-up and every reload) runs the static look and a short form of the dynamic one: each
repeated piece of the pattern, repeated to LOAD_PROBE_LENGTH characters and then failing, once,
under LOAD_TIMEOUT_S. A pattern that only the timed run catches (`(?:a?){30}a{30}$`) would
otherwise load and cost every long notice the engine's whole per-pattern timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import regex

DYNAMIC_LENGTH = 5000
# Generous (10x the engine's per-notice budget) so a slow CI machine does not flag a linear pattern.
DYNAMIC_TIMEOUT_S = 0.5
# At load: a fifth of the longest notice (models.MAX_TEXT_CHARS), within a tenth of a second. A
# pattern slower than that pace spends half the engine's per-pattern timeout (PATTERN_TIMEOUT_S)
# on a long hostile notice; the registry's own patterns take a few milliseconds at most.
LOAD_PROBE_LENGTH = 2000
LOAD_TIMEOUT_S = 0.1
# A probe that ran out of time without the CPU for most of it (the builder runs at low priority,
# the machine may be busy) is run again, up to this many times in all, before it counts as slow.
LOAD_TRIES = 3
# Lower bounds of counted repeats (`{n}`, `{n,m}`), nested ones multiplied; registry patterns use
# single digits, and compiling `{n}` costs the regex module ~270 bytes per repetition.
MAX_REPEAT = 10_000
# Nodes of the parsed pattern from top to bottom (about two per group); registry patterns use ~10.
MAX_TREE_DEPTH = 100
_PROBE = "a1 中!，。x_-.:Z\n\t,;?" + "".join(chr(c) for c in range(0x21, 0x7F))
_ESCAPE_REP = {"d": "1", "D": "a", "w": "a", "W": "!", "s": " ", "S": "a", "n": "\n", "t": "\t"}
_ZERO_WIDTH = set("bBAZzGmM")
# The parser's tokens, compiled once (a module-level regex.match looks its pattern up in a cache on
# every call, which made parsing most of a registry load's pattern check).
_GROUP_HEAD = regex.compile(r"\?(?:P?<[A-Za-z_]\w*>|[:>=!|]|<[=!]|[a-zA-Z\-]*[:)])")
_POSIX_CLASS = regex.compile(r"\[:\w+:\]")
_ESCAPE = regex.compile(r"\\(?:[pP]\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|N\{[^}]*\}|.)", regex.S)
_QUANTIFIER = regex.compile(r"(?:\*|\+|\?|\{(\d*)(?:(,)(\d*))?\})([?+]?)")


@dataclass
class Node:
    kind: str  # "atom", "seq", "alt", "repeat"
    src: str = ""  # atom: its source text (a literal, escape, class or '.')
    rep: str = ""  # atom: a character it matches ("" if zero-width)
    children: list[Node] = field(default_factory=list)
    lo: int = 1
    hi: int | None = 1  # None: unbounded
    atomic: bool = False  # possessive quantifier or atomic group: never backtracks


class _Parser:
    """Just enough of the regex syntax to see groups, alternation and quantifiers."""

    def __init__(self, pattern: str):
        self.p, self.i = pattern, 0

    def parse(self) -> Node:
        return self._alt()

    def _alt(self) -> Node:
        branches = [self._seq()]
        while self.i < len(self.p) and self.p[self.i] == "|":
            self.i += 1
            branches.append(self._seq())
        return branches[0] if len(branches) == 1 else Node("alt", children=branches)

    def _seq(self) -> Node:
        items: list[Node] = []
        while self.i < len(self.p) and self.p[self.i] not in "|)":
            atom = self._atom()
            items.append(self._quantified(atom))
        return Node("seq", children=items)

    def _atom(self) -> Node:
        p, i = self.p, self.i
        c = p[i]
        if c == "(":
            atomic = False
            self.i += 1
            if p.startswith("?", self.i):
                head = _GROUP_HEAD.match(p, self.i)
                token = head.group(0) if head else "?"
                self.i += len(token)
                atomic = token == "?>"
                if token.endswith(")") and token != "?:":  # inline flags like (?i)
                    return Node("seq")
                if token in ("?=", "?!", "?<=", "?<!"):  # lookarounds consume nothing
                    self._alt()
                    self.i += 1
                    return Node("seq", atomic=True)
            inner = self._alt()
            self.i += 1  # ')'
            inner.atomic = inner.atomic or atomic
            return Node("seq", children=[inner], atomic=atomic)
        if c == "[":
            src = _class_source(p, i)
            self.i += len(src)
            return Node("atom", src=src, rep=_representative(src))
        if c == "\\":
            m = _ESCAPE.match(p, i)
            src = m.group(0) if m else "\\"
            self.i += len(src)
            if len(src) == 2 and src[1] in _ZERO_WIDTH:
                return Node("atom", src=src, rep="")
            return Node("atom", src=src, rep=_representative(src))
        self.i += 1
        if c in "^$":
            return Node("atom", src=c, rep="")
        return Node("atom", src=c, rep="a" if c == "." else c)

    def _quantified(self, atom: Node) -> Node:
        p = self.p
        m = _QUANTIFIER.match(p, self.i)
        if not m or (m.group(0).startswith("{") and not (m.group(1) or m.group(3))):
            return atom
        self.i += len(m.group(0))
        q = m.group(0)[0]
        if q == "*":
            lo, hi = 0, None
        elif q == "+":
            lo, hi = 1, None
        elif q == "?":
            lo, hi = 0, 1
        else:
            lo = int(m.group(1) or 0)
            hi = (int(m.group(3)) if m.group(3) else None) if m.group(2) else lo
        return Node("repeat", children=[atom], lo=lo, hi=hi, atomic=m.group(4) == "+")


@lru_cache(maxsize=4096)  # the same classes recur across patterns, and load parses each twice
def _representative(src: str) -> str:
    """A character the atom matches, found by trying probe characters against it."""
    if src.startswith("\\") and len(src) == 2 and src[1] in _ESCAPE_REP:
        return _ESCAPE_REP[src[1]]
    compiled = _atom_pattern(src)
    if compiled is None:
        return ""
    return next((c for c in _PROBE if compiled.fullmatch(c)), "")


def _class_source(p: str, i: int) -> str:
    """The character class starting at p[i] ('['), to its closing ']' (escapes and [:name:] inside
    it skipped), or the rest of the pattern when it is never closed. A loop, not a regex: a regex
    for it is quadratic on a run of '[' (the registry's patterns are read at every load)."""
    j = i + 1 + p.startswith("^", i + 1)
    j += p.startswith("]", j)
    while j < len(p):
        c = p[j]
        if c == "\\" and j + 1 < len(p) and p[j + 1] != "\n":
            j += 2
        elif c == "[" and (m := _POSIX_CLASS.match(p, j)):
            j = m.end()
        elif c == "]":
            return p[i:j + 1]
        else:
            j += 1
    return p[i:]


@lru_cache(maxsize=4096)
def _atom_pattern(src: str) -> regex.Pattern[str] | None:
    try:
        return regex.compile(src, regex.V1)
    except regex.error:
        return None


def _matches(src: str, c: str) -> bool:
    compiled = _atom_pattern(src)
    return compiled is not None and compiled.fullmatch(c) is not None


def _first(node: Node) -> tuple[list[str], bool]:
    """Atom sources a node can start with, and whether it can match the empty string."""
    if node.kind == "atom":
        return ([node.src], False) if node.rep else ([], True)
    if node.kind == "repeat":
        firsts, empty = _first(node.children[0])
        return firsts, empty or node.lo == 0
    if node.kind == "alt":
        out: list[str] = []
        empty = False
        for b in node.children:
            f, e = _first(b)
            out += f
            empty = empty or e
        return out, empty
    out = []
    for child in node.children:
        f, e = _first(child)
        out += f
        if not e:
            return out, False
    return out, True


def _overlap(a: list[str], b: list[str]) -> bool:
    probe = set(_PROBE)
    for x in a:
        for y in b:
            if x == y:
                return True
            if any(_matches(x, c) and _matches(y, c) for c in probe | {x[-1], y[-1]}):
                return True
    return False


def _walk(node: Node, under_repeat: bool, found: list[str]) -> None:
    if node.atomic:
        return
    if node.kind == "repeat":
        repeats = node.hi is None or node.hi >= 2
        if under_repeat and repeats and (node.hi is None or node.hi > node.lo):
            found.append("nested quantifiers: a repeated group contains another repeat")
        _walk(node.children[0], under_repeat or repeats, found)
        return
    if node.kind == "alt" and under_repeat:
        firsts = [_first(b) for b in node.children]
        if any(e for _f, e in firsts):
            found.append("an alternative under repetition can match nothing")
        for i in range(len(firsts)):
            for j in range(i + 1, len(firsts)):
                if _overlap(firsts[i][0], firsts[j][0]):
                    found.append("alternatives under repetition can start with the same character")
    for child in node.children:
        _walk(child, under_repeat, found)


def static_problems(pattern: str) -> list[str]:
    return _static_problems(_Parser(pattern).parse())


def _static_problems(tree: Node) -> list[str]:
    found: list[str] = []
    _walk(tree, False, found)
    return sorted(set(found))


def _units(node: Node, out: set[str]) -> str:
    """Collect repeated-unit candidates; return the node's representative text."""
    if node.kind == "atom":
        if node.rep:
            out.add(node.rep)
        return node.rep
    texts = [_units(c, out) for c in node.children]
    text = texts[0] if node.kind == "alt" and texts else "".join(texts)
    if node.kind == "alt":
        out.update(t for t in texts if t)
    if text:
        out.add(text)
    return text


def adversarial_inputs(pattern: str, length: int = DYNAMIC_LENGTH) -> list[str]:
    units: set[str] = set()
    _units(_Parser(pattern).parse(), units)
    out = []
    for unit in sorted(units):
        body = unit * max(1, length // len(unit))
        out.extend([body + "!", body + "\x00", body])
    return out


def _repeated_units(node: Node, out: set[str]) -> None:
    """The text of each piece the pattern repeats (atomic ones cannot backtrack)."""
    if node.atomic:
        return
    if node.kind == "repeat" and (node.hi is None or node.hi >= 2):
        text = _units(node.children[0], set())
        if text:
            out.add(text)
    for child in node.children:
        _repeated_units(child, out)


def load_probes(pattern: str, length: int = LOAD_PROBE_LENGTH) -> list[str]:
    """A few adversarial strings for the load-time run: each repeated piece, and the pattern's
    own text, repeated to `length` characters and then failing on '!'."""
    return _load_probes(_Parser(pattern).parse(), length)


def _load_probes(tree: Node, length: int = LOAD_PROBE_LENGTH) -> list[str]:
    units: set[str] = set()
    _repeated_units(tree, units)
    whole = _units(tree, set())
    if whole:
        units.add(whole)
    return sorted({unit * max(1, length // len(unit)) + "!" for unit in units})


def _runs_out_of_time(compiled: regex.Pattern[str], text: str) -> bool:
    """Whether a search of `text` takes longer than LOAD_TIMEOUT_S of the CPU's time."""
    for _ in range(LOAD_TRIES):
        cpu = time.thread_time()
        try:
            compiled.findall(text, timeout=LOAD_TIMEOUT_S)
        except TimeoutError:
            if time.thread_time() - cpu >= LOAD_TIMEOUT_S / 2:
                return True
        else:
            return False
    return False  # never had the CPU: the linter's run and the engine's timeout remain


def timed_load_problem(compiled: regex.Pattern[str], pattern: str, tree: Node | None = None) -> str | None:
    """tree: the pattern parsed, when the caller has it."""
    for text in (_load_probes(tree) if tree is not None else load_probes(pattern)):
        if _runs_out_of_time(compiled, text):
            shown = repr(text[:12] + "…" + text[-1:])
            return f"ran longer than {LOAD_TIMEOUT_S}s on {len(text)} characters like {shown}"
    return None


def dynamic_problem(compiled: regex.Pattern[str], pattern: str, timeout: float = DYNAMIC_TIMEOUT_S) -> str | None:
    for text in adversarial_inputs(pattern):
        try:
            compiled.findall(text, timeout=timeout)
        except TimeoutError:
            shown = repr(text[:12] + "…" + text[-1:])
            return f"ran longer than {timeout}s on {len(text)} characters like {shown}"
    return None


def _repeats(node: Node, times: int) -> int:
    """The most times a piece of the pattern must repeat: lower bounds, nested ones multiplied."""
    if node.kind == "repeat":
        times *= max(node.lo, 1)
    return max([times] + [_repeats(child, times) for child in node.children])


def _depth(node: Node) -> int:
    return 1 + max((_depth(child) for child in node.children), default=0)


def compile_problem(pattern: str) -> str | None:
    """What makes a pattern too costly to compile at all, checked before compiling: the `regex`
    module lays a counted repeat out in memory (`a{99999999}` takes gigabytes) and parses groups
    recursively (a few thousand nested groups raise RecursionError)."""
    return _compile_problem(_parse(pattern))


def _parse(pattern: str) -> Node | None:
    """The pattern's tree, or None when it nests too deeply to parse."""
    try:
        return _Parser(pattern).parse()
    except RecursionError:
        return None


def _compile_problem(tree: Node | None) -> str | None:
    try:
        too_deep = tree is None or _depth(tree) > MAX_TREE_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep or tree is None:
        return "regex nests groups too deeply; flatten it"
    times = _repeats(tree, 1)
    if times > MAX_REPEAT:
        return (f"regex must repeat something {times:,} times, more than {MAX_REPEAT:,} (nested counts "
                "multiply); no notice needs that: lower the count or use an open repeat like {1,}")
    return None


_HINT = "; rewrite it without nested or overlapping repetition (or use an atomic group (?>…))"


def load_problem(pattern: str) -> str | None:
    """Why compile_registry refuses a pattern, at start-up and on every reload: too costly to
    compile, a backtracking trap the static look finds, or one the short timed run on
    load_probes finds (milliseconds for a sound pattern). The full timed run takes seconds, so it
    is the linter's alone; the engine's timeout is the net behind all three."""
    tree = _parse(pattern)  # parsed once for the three looks
    problem = _compile_problem(tree)
    if problem or tree is None:
        return problem
    try:
        compiled = regex.compile(pattern, regex.V1)
    except regex.error:
        return None  # compile_registry says it does not compile
    found = _static_problems(tree)
    if found:
        return f"regex can backtrack catastrophically: {'; '.join(found)}{_HINT}"
    slow = timed_load_problem(compiled, pattern, tree)
    return f"regex can backtrack catastrophically: it {slow}{_HINT}" if slow else None


def regex_problems(pattern: str) -> list[str]:
    """What the linter adds to load_problem (which compile_registry reports): the full timed run,
    longer strings from every piece of the pattern."""
    if load_problem(pattern):
        return []
    try:
        compiled = regex.compile(pattern, regex.V1)
    except regex.error:
        return []  # compile_registry reports patterns that do not compile
    slow = dynamic_problem(compiled, pattern)
    return [f"regex can backtrack catastrophically: it {slow}{_HINT}"] if slow else []
