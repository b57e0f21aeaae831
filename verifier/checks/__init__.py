"""The checks, one module per family; each is a pure function of the extraction and registry."""

from __future__ import annotations

from verifier.checks import body, case, consistency, content, links, network, sender

ALL_CODES = frozenset().union(
    sender.EMITS, links.EMITS, body.EMITS, case.EMITS, content.EMITS, consistency.EMITS, network.EMITS
)
