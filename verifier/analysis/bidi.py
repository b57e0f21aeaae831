"""The order a notice's characters are displayed in, where bidi controls reorder them.

A right-to-left override (U+202E) shows the characters after it in reverse: a message can carry
'会员委裁仲京北' (or a known fake body's name, reversed) that the phone shows as '北京仲裁委员会',
so the engine read one name while the person saw another. Normalisation reads the notice in
display order instead. This is the explicit part of the Unicode Bidirectional Algorithm
(UAX #9: embeddings, overrides, isolates, rules X1-X8, L2 and the mirroring of L4), with every
character that is not overridden taken as left-to-right: notices are Chinese and English, whose
letters, digits and punctuation keep their order unless overridden.
"""

from __future__ import annotations

# LRE RLE PDF LRO RLO and LRI RLI FSI PDI.
_LRE, _RLE, _PDF, _LRO, _RLO = "\u202a\u202b\u202c\u202d\u202e"
_LRI, _RLI, _FSI, _PDI = "\u2066\u2067\u2068\u2069"
_PARAGRAPH = frozenset("\n\r\u2029\u0085\u001c\u001d\u001e")
_MAX_DEPTH = 125  # UAX #9 BD2
# The explicit controls and the marks (LRM, RLM, ALM): all display as nothing.
CONTROLS = frozenset(_LRE + _RLE + _PDF + _LRO + _RLO + _LRI + _RLI + _FSI + _PDI + "\u200e\u200f\u061c")
_PAIRS = "()[]{}<>«»‹›（）［］｛｝〈〉《》「」『』【】〔〕〖〗〘〙〚〛｟｠⁅⁆"
_MIRROR = {a: b for i in range(0, len(_PAIRS), 2) for a, b in ((_PAIRS[i], _PAIRS[i + 1]),
                                                            (_PAIRS[i + 1], _PAIRS[i]))}


def reorders(text: str) -> bool:
    """Only a right-to-left override reorders text made of left-to-right characters."""
    return _RLO in text


def shown(text: str) -> list[tuple[int, str]]:
    """Each displayed character's index in `text` and the character shown for it, in display
    order: mirrored at an odd level ('【' as '】', L4); the explicit controls left out."""
    order, levels = display_order(text)
    return [(i, _MIRROR.get(text[i], text[i]) if levels[i] % 2 else text[i]) for i in order]


def as_shown(value: str) -> str:
    """`value` as displayed, without bidi controls: a value put into one of our messages must not
    reorder the message's own words after it (an override the notice left open)."""
    if CONTROLS.isdisjoint(value):
        return value
    return "".join(ch for _i, ch in shown(value) if ch not in CONTROLS)


def _levels(text: str) -> list[int]:
    """The resolved level of every character (-1 for the controls, which display as nothing)."""
    out: list[int] = []
    stack: list[tuple[int, bool, bool]] = [(0, False, False)]  # (level, right override, isolate)
    for ch in text:
        level, right, _isolate = stack[-1]
        if ch in _PARAGRAPH:
            stack = [(0, False, False)]
            out.append(0)
            continue
        if ch in (_LRE, _RLE, _LRO, _RLO, _LRI, _RLI, _FSI):
            odd = ch in (_RLE, _RLO, _RLI)
            new = level + 1 + (level % 2 == int(odd))  # the next odd or even level
            if new <= _MAX_DEPTH and len(stack) <= _MAX_DEPTH:
                stack.append((new, ch == _RLO, ch in (_LRI, _RLI, _FSI)))
            out.append(-1)
            continue
        if ch == _PDF:
            if len(stack) > 1 and not stack[-1][2]:
                stack.pop()
            out.append(-1)
            continue
        if ch == _PDI:
            if any(entry[2] for entry in stack):
                while not stack.pop()[2]:
                    pass
            out.append(-1)
            continue
        # L at an odd level, R at an even one, go up one (UAX #9 I1, I2).
        out.append(level + 1 if right == (level % 2 == 0) else level)
    return out


def display_order(text: str) -> tuple[list[int], list[int]]:
    """Indices of `text`'s characters (the controls left out) in the order they are shown,
    each paragraph on its own (UAX #9 L2: from the highest level down to the lowest odd one,
    reverse every run at that level or above), and every character's level: one at an odd
    level is shown mirrored ('【' as '】', L4)."""
    levels = _levels(text)
    order: list[int] = []
    line: list[int] = []
    for i, ch in enumerate(text):
        if ch in _PARAGRAPH:
            order.extend(_reordered(line, levels))
            order.append(i)
            line = []
        elif levels[i] >= 0:
            line.append(i)
    order.extend(_reordered(line, levels))
    return order, levels


class _Run:
    """A maximal run of characters at `level` or above (UAX #9 L2): its characters and runs."""

    __slots__ = ("children", "level")

    def __init__(self, level: int) -> None:
        self.level = level
        self.children: list[int | _Run] = []


def _reordered(line: list[int], levels: list[int]) -> list[int]:
    """L2 in linear time: reversing every run from the highest level down, one pass a level,
    cost 125 passes for a notice of nested overrides; the runs nest, so each run is read once,
    in reverse when the reversals over it are odd in number."""
    if not line:
        return line
    lowest_odd = min((levels[i] for i in line if levels[i] % 2), default=None)
    if lowest_odd is None:
        return line
    root = _Run(-1)
    stack = [root]
    for i in line:
        level = levels[i]
        popped = None
        while stack[-1].level > level:
            popped = stack.pop()
        if stack[-1].level < level:
            run = _Run(level)
            if popped is not None:  # the run at `level` holds the higher one just closed
                stack[-1].children.pop()
                run.children.append(popped)
            stack[-1].children.append(run)
            stack.append(run)
        stack[-1].children.append(i)
    out: list[int] = []

    def emit(run: _Run, parent: int, flip: bool) -> None:
        # the levels from just above the parent's to the run's own each reverse the whole run
        flip ^= max(0, run.level - max(parent, lowest_odd - 1)) % 2 == 1
        for child in reversed(run.children) if flip else run.children:
            if isinstance(child, int):
                out.append(child)
            else:
                emit(child, run.level, flip)

    for child in root.children:
        assert isinstance(child, _Run)
        emit(child, -1, False)
    return out
