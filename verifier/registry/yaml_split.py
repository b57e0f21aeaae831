"""Parse a large registry's YAML on two cores: the second half of `institutions:` in a child.

A 10,000-institution registry is ~400,000 YAML events, ~1.3 s in one process even on the event
path (yaml_events.py). The institutions are a block sequence of similar items, so the text is
cut at item starts into three documents: the head (up to the middle of the sequence), the second
half of the items, and the tail (the top-level keys after the sequence). A forked child parses
the second half while this process parses the head and the tail.

Each cut is at the start of a line indented exactly as the sequence's items, or at a top-level
key. Such a line can only be inside a token that spans lines (a quoted scalar, a flow
collection) if the document before it is cut mid-token, and then that piece does not parse: any
doubt (a piece that fails, is not the shape expected, or repeats a top-level key; directives or
document markers anywhere) falls back to parsing the whole text in one piece.
"""

from __future__ import annotations

import pickle
import re
from typing import Any

from verifier.registry import yaml_events
from verifier.registry.forked import ChildFailed, Forked

SPLIT_FROM = 2 << 20  # characters; below ~2 MB a fork and a pickle cost more than they save
_KEY = "institutions"
_SECTION = re.compile(rf"^{_KEY}:[ \t]*(?:#[^\n]*)?\r?\n", re.MULTILINE)
_GAP_LINE = re.compile(r"[ \t]*(?:#[^\n]*)?\r?\n")  # blank or only a comment
_ITEM_LINE = re.compile(r"( *)-(?:[ \t]|\r?$)", re.MULTILINE)  # an item; its indentation in group 1
# At column 0, the line that ends a sequence whose items are at column 0: not an item, blank,
# indented or a comment.
_END_AT_0 = re.compile(r"^(?![ \t\r\n#]|-[ \t\r\n]|-$)", re.MULTILINE)
# Lines that would change the cut documents' meaning: directives and document markers.
_MARKERS = re.compile(r"^(?:%|---|\.\.\.)", re.MULTILINE)


def load(text: str, split_from: int = SPLIT_FROM) -> Any:
    """As yaml_events.load(text) (Unsupported included), on two cores when the text is large."""
    cuts = _cuts(text) if len(text) >= split_from else None
    child = Forked.start(lambda: yaml_events.load(text[cuts[1]:cuts[2]])) if cuts else None
    if cuts is None or child is None:
        return yaml_events.load(text)
    try:
        joined = _join(text, cuts, child)
    finally:
        child.stop()
    return joined if joined is not None else yaml_events.load(text)


def _join(text: str, cuts: tuple[int, int, int], child: Forked) -> dict[str, Any] | None:
    _start, middle, end = cuts
    try:
        head = yaml_events.load(text[:middle])
        tail = {} if _only_comments(text[end:]) else yaml_events.load(text[end:])
        items = child.answer()
    except (yaml_events.Unsupported, ChildFailed, pickle.UnpicklingError, EOFError, OSError):
        return None  # any doubt: the whole text in one piece decides
    if not (isinstance(head, dict) and isinstance(tail, dict) and isinstance(items, list)):
        return None
    if list(head)[-1:] != [_KEY] or not isinstance(head[_KEY], list) or not head.keys().isdisjoint(tail):
        return None
    head[_KEY].extend(items)
    head.update(tail)
    return head


def _cuts(text: str) -> tuple[int, int, int] | None:
    """(start of the items, start of the second half's first item, end of the sequence)."""
    if _MARKERS.search(text, 1):
        return None
    section = _SECTION.search(text)
    if section is None:
        return None
    pos = section.end()
    while (gap := _GAP_LINE.match(text, pos)) is not None:
        pos = gap.end()
    first = _ITEM_LINE.match(text, pos)
    if first is None:
        return None
    indent = len(first[1])
    start = first.start(1)
    # The sequence ends at the first line, not blank nor a comment, indented less than its items
    # (for items at column 0: one that is not an item). Only a top-level key may follow it.
    end_at = _END_AT_0 if indent == 0 else re.compile(rf"^ {{0,{indent - 1}}}(?=[^ \t\r\n#])", re.MULTILINE)
    found = end_at.search(text, start + 1)
    end = found.start() if found else len(text)
    if end < len(text) and text[end] == " ":
        return None
    item = re.compile(rf"^ {{{indent}}}-(?:[ \t]|\r?$)", re.MULTILINE)
    second = item.search(text, (start + end) // 2, end)
    if second is None or not start < second.start() < end:
        return None
    return start, second.start(), end


def _only_comments(rest: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in rest.splitlines())
