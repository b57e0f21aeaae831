"""`verifier registry check`: every problem in a registry file, as path:line:col: message."""

from __future__ import annotations

from pathlib import Path

from verifier.registry.load import Problem, RegistryError


def lint(path: Path) -> list[Problem]:
    from verifier.checks import ALL_CODES
    from verifier.registry.compiled import compile_registry
    from verifier.registry.load import read_registry

    try:
        compile_registry(read_registry(path), ALL_CODES)
    except RegistryError as exc:
        return exc.problems
    return []
