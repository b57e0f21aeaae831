"""What a check returns: a code and the evidence behind it. Checks never build sentences."""

from __future__ import annotations

from dataclasses import dataclass

from verifier.models import EvidenceItem


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    evidence: tuple[EvidenceItem, ...] = ()
    multiplier: float = 1.0


def item(field: str, value: str, start: int | None = None, end: int | None = None) -> EvidenceItem:
    # Built from our own extraction, never from the client: no validation needed on the hot path.
    return EvidenceItem.model_construct(field=field, value=value[:200], start=start, end=end)
