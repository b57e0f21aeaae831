"""Free a replaced registry snapshot in small steps, once nothing uses it any more.

Dropping the last reference to a large snapshot (10,000 institutions and their indexes) frees
hundreds of thousands of objects in one go: ~40 ms with the event loop stopped, once per reload.
Instead the holder hands the old snapshot here; when no request holds it any longer, its big
mappings are emptied a few hundred items at a time, yielding to the event loop in between. A
snapshot or mapping someone still refers to is left alone, to be freed the ordinary way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import sys
from types import MappingProxyType
from typing import Any

from verifier.registry.compiled import LookalikeIndex, Registry

STEP = 500  # items freed between two turns of the event loop
POLL_S = 0.2
MAX_WAIT_S = 120.0  # a request holding the old snapshot longer than this keeps it whole
_ALONE = 2  # references when only the caller's variable and getrefcount's argument hold it


def _in_use(obj: Any, extra: int = 0) -> bool:
    return sys.getrefcount(obj) > _ALONE + 1 + extra  # + 1: the caller's own argument


def _backing(proxy: Any) -> dict[Any, Any] | None:
    """The dict behind a read-only mapping view, if that is what it is."""
    if type(proxy) is not MappingProxyType:
        return None
    inner = gc.get_referents(proxy)
    return inner[0] if len(inner) == 1 and type(inner[0]) is dict else None


async def release(registry: Registry, max_wait_s: float = MAX_WAIT_S) -> bool:
    """Empty `registry`'s big mappings step by step once it is unused; True if it did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_s
    while _in_use(registry):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(POLL_S)
    views = []
    for f in dataclasses.fields(registry):
        value = getattr(registry, f.name)
        if isinstance(value, LookalikeIndex):
            views += [getattr(value, sub.name) for sub in dataclasses.fields(value)]
        else:
            views.append(value)
        del value
    for view in views:
        backing = _backing(view)
        # Referred to by the snapshot, `views` and `view` only (+ the call's argument): unused.
        if backing is None or sys.getrefcount(view) > 4:
            continue
        while backing:
            for _ in range(min(STEP, len(backing))):
                backing.popitem()
            await asyncio.sleep(0)
    return True
