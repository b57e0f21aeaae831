"""The registry snapshot being served, and its reload: build beside, swap one reference.

A failed reload keeps the previous snapshot serving and records why in `last_error`
(file:line:col: message lines), which GET /v1/registry and the metrics report.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from verifier.registry.compiled import Registry, load_registry
from verifier.registry.load import RegistryError

__all__ = ["RegistryError", "RegistryHolder", "load_registry"]


class RegistryHolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.current: Registry | None = None
        self.last_error: str | None = None
        self.loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def reload(self) -> bool:
        """Load and compile the file (in a thread, so requests keep being answered), then swap.
        True on success; on failure the old snapshot stays and `last_error` says why."""
        async with self._lock:  # a SIGHUP and the file watcher must not build twice at once
            try:
                fresh = await asyncio.to_thread(load_registry, self.path)
            except RegistryError as exc:
                self.last_error = str(exc)
                return False
            except Exception as exc:  # noqa: BLE001 - any failure must keep the old snapshot
                self.last_error = f"{self.path}:1:1: {type(exc).__name__}: {exc}"
                return False
            self.current = fresh
            self.loaded_at = time.time()
            self.last_error = None
            return True
