"""Read the registry's YAML straight from libyaml's events into Python data, without a node tree.

PyYAML's usual path builds a node (and two marks) for each of the ~400,000 scalars of a large
registry and then walks that tree again in Python to construct the data: ~4 s of a 10,000
institution load. This builds the same dicts, lists and scalars in one pass over the events, with
SafeLoader's own tag resolution and scalar constructors, so the result is the same. Anything it
does not handle, or anything wrong (anchors and aliases, merge keys, complex keys, unusual tags,
duplicate keys, several documents, a syntax error), raises `Unsupported` and the caller takes the
full path, which also reports errors with their line and column.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# Scalars other than str that SafeLoader constructs from a plain value (bool, int, null, dates).
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float",
                                                               "timestamp"))
_NO_KEY = object()


class Unsupported(Exception):
    """Not for this fast path; use the full one."""


def load(text: str) -> Any:
    """The document's data, as yaml.load(text, SafeLoader) gives it, or Unsupported."""
    loader = _Loader(text)
    try:
        return _build(loader)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # ValueError: a date 2024-13-45
        raise Unsupported(str(exc)) from exc
    finally:
        loader.dispose()


def _build(loader: Any) -> Any:  # noqa: C901 - one loop over the events, kept flat for speed
    get = loader.get_event
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    if loader.yaml_path_resolvers or None in loader.yaml_implicit_resolvers:
        raise Unsupported("resolver")
    # A plain scalar whose first character starts no implicit type (bool, int, null, date…) is
    # a str without running the resolver's regexes, as in BaseResolver.resolve.
    typed_starts = frozenset(loader.yaml_implicit_resolvers)
    if type(get()) is not StreamStartEvent or type(get()) is not DocumentStartEvent:
        raise Unsupported("no document")
    # Each open collection: [container, is_mapping, pending key, raw keys seen]
    stack: list[list[Any]] = []
    root: Any = _NO_KEY
    while True:
        ev = get()
        kind = type(ev)
        if kind is ScalarEvent:
            if ev.anchor is not None:
                raise Unsupported("anchor")
            tag = ev.tag
            if tag is None:
                value = ev.value
                if not ev.implicit[0] or (value and value[0] not in typed_starts):
                    tag = _STR
                else:
                    tag = resolve(ScalarNode, value, ev.implicit)
            elif tag == "!":
                tag = resolve(ScalarNode, ev.value, ev.implicit)
            if tag == _STR:
                value: Any = ev.value
            elif tag in _SCALAR_TAGS:
                node = ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
                value = constructors[tag](loader, node)
            else:
                raise Unsupported(f"tag {tag}")
            raw_key = ev.value
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if ev.anchor is not None:
                raise Unsupported("anchor")
            mapping = kind is MappingStartEvent
            tag = ev.tag
            if tag is None or tag == "!":
                tag = resolve(MappingNode if mapping else SequenceNode, None, ev.implicit)
            if tag != (_MAP if mapping else _SEQ):
                raise Unsupported(f"tag {tag}")
            if stack and stack[-1][1] and stack[-1][2] is _NO_KEY:
                raise Unsupported("complex key")
            stack.append([{} if mapping else [], mapping, _NO_KEY, set() if mapping else None])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = stack.pop()[0]
            raw_key = None
        elif kind is DocumentEndEvent:
            if type(get()) is not StreamEndEvent:
                raise Unsupported("more than one document")
            return root
        elif kind is AliasEvent:
            raise Unsupported("alias")
        else:
            raise Unsupported(f"event {kind.__name__}")
        if not stack:
            root = value
            continue
        top = stack[-1]
        if top[1]:
            if top[2] is _NO_KEY:
                if raw_key is None or raw_key in top[3]:
                    raise Unsupported("complex or duplicate key")
                top[3].add(raw_key)
                top[2] = value
            else:
                top[0][top[2]] = value
                top[2] = _NO_KEY
        else:
            top[0].append(value)
