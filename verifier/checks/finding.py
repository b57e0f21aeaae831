"""What a check returns: a code and the evidence behind it. Checks never build sentences."""

from __future__ import annotations

from typing import NamedTuple


class Evidence(NamedTuple):
    """One piece of evidence; becomes a models.EvidenceItem with the same fields in the answer.
    A tuple: findings compare and merge evidence, and tuples do that at C speed."""

    field: str
    value: str
    start: int | None = None
    end: int | None = None


class Finding(NamedTuple):
    """Immutable; a tuple because checks build a dozen per notice and a frozen dataclass costs 5x more."""

    code: str
    evidence: tuple[Evidence, ...] = ()
    multiplier: float = 1.0


def item(field: str, value: str, start: int | None = None, end: int | None = None) -> Evidence:
    return Evidence(field, value[:200], start, end)
