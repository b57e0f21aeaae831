"""Hand a compiled Registry from the process that built it to the server, in small pieces.

A registry built in another process (builder.py) reaches the server as a stream of frames (8-byte
length, then the bytes). The server rebuilds it frame by frame and yields to its event loop
between frames, so no single step holds the GIL for long: big mappings come as chunks of items,
the million-entry lists as their two raw buffers (one copy each) and block index, and the phrase automaton as its
words, re-added in chunks (one pickled automaton takes ~100 ms to unpickle in one C call; adding
30,000 words and linking them takes ~25 ms in all).
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from collections.abc import Awaitable, Callable, Iterator, Mapping
from itertools import islice
from types import MappingProxyType
from typing import Any

import ahocorasick

from verifier.registry.bigset import SortedStrings
from verifier.registry.compiled import LookalikeIndex, Registry

HEADER = 8  # bytes of a frame's length, little-endian
_MODEL_CHUNK = 50  # institutions (pydantic models): ~30 µs each to unpickle
_ITEM_CHUNK = 1000  # plain items (strings, tuples of strings): ~1-3 µs each

Frame = bytes
ReadFrame = Callable[[], Awaitable[bytes]]


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(HEADER, "little") + payload


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _encode_value(name: str, value: Any) -> tuple[tuple[str, str, int], list[bytes]]:
    """(name, kind, frame count) and the frames of one field."""
    if isinstance(value, SortedStrings):
        blob, offsets, index = value.parts()
        frames = [blob, offsets, *(_dumps(c) for c in _chunks(iter(index), _ITEM_CHUNK * 8))]
        return (name, "strings", len(frames)), frames
    if isinstance(value, ahocorasick.Automaton):
        frames = [_dumps(c) for c in _chunks(iter(value.items()), _ITEM_CHUNK)]
        return (name, "automaton", len(frames)), frames
    if isinstance(value, Mapping):
        size = _MODEL_CHUNK if name == "institutions" else _ITEM_CHUNK
        frames = [_dumps(c) for c in _chunks(iter(value.items()), size)]
        return (name, "map", len(frames)), frames
    if isinstance(value, frozenset) and len(value) > _ITEM_CHUNK:
        frames = [_dumps(c) for c in _chunks(iter(value), _ITEM_CHUNK)]
        return (name, "frozenset", len(frames)), frames
    return (name, "object", 1), [_dumps(value)]


def encode(registry: Registry) -> Iterator[bytes]:
    """The frames: a header (the plan of every field), then each field's frames in order."""
    plan: list[tuple[str, str, int]] = []
    bodies: list[bytes] = []
    for f in dataclasses.fields(registry):
        value = getattr(registry, f.name)
        if isinstance(value, LookalikeIndex):
            for sub in dataclasses.fields(value):
                entry, frames = _encode_value(f"{f.name}.{sub.name}", getattr(value, sub.name))
                plan.append(entry)
                bodies.extend(frames)
            continue
        entry, frames = _encode_value(f.name, value)
        plan.append(entry)
        bodies.extend(frames)
    yield frame(_dumps(plan))
    for body in bodies:
        yield frame(body)


async def decode(read: ReadFrame, **override: Any) -> Registry:
    """Rebuild the registry from `read()` (the next frame's payload), yielding to the event loop
    after every frame. `override` replaces fields (loaded_at: when this process adopted it)."""
    plan: list[tuple[str, str, int]] = pickle.loads(await read())
    fields: dict[str, Any] = {}
    for name, kind, count in plan:
        if kind == "strings":
            blob, offsets, index = await read(), await read(), []
            for _ in range(count - 2):
                index.extend(pickle.loads(await read()))
                await asyncio.sleep(0)
            fields[name] = SortedStrings.from_parts(blob, offsets, index)
        elif kind == "automaton":
            automaton = ahocorasick.Automaton()
            for _ in range(count):
                for word, value in pickle.loads(await read()):
                    automaton.add_word(word, value)
                await asyncio.sleep(0)
            automaton.make_automaton()
            fields[name] = automaton
        elif kind == "map":
            d: dict[Any, Any] = {}
            for _ in range(count):
                d.update(pickle.loads(await read()))
                await asyncio.sleep(0)
            fields[name] = MappingProxyType(d)
        elif kind == "frozenset":
            items: list[Any] = []
            for _ in range(count):
                items.extend(pickle.loads(await read()))
                await asyncio.sleep(0)
            fields[name] = frozenset(items)
        else:
            fields[name] = pickle.loads(await read())
        await asyncio.sleep(0)
    lookalike = {k.split(".", 1)[1]: fields.pop(k) for k in list(fields) if k.startswith("lookalikes.")}
    fields["lookalikes"] = LookalikeIndex(**lookalike)
    fields.update(override)
    registry = Registry(**fields)
    registry.prepared  # noqa: B018 - as compile_registry does: built here, not by the first request
    return registry
