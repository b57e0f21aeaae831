"""Which registry institution a notice speaks for: decided once, read by several checks."""

from __future__ import annotations

from typing import NamedTuple

from verifier.analysis import names
from verifier.analysis.extract import Extraction
from verifier.registry.compiled import Registry
from verifier.registry.schema import Institution


class Context(NamedTuple):
    """Immutable; a tuple because it is built per notice and a frozen dataclass costs 5x more."""

    primary: Institution | None  # the registry body the notice claims to come from
    family: frozenset[str]  # its id, its parent's and its sub-brands' ids
    named_fake: bool  # a fake, impossible or near-miss body is named
    named: frozenset[str] = frozenset()  # families of every registry body the notice names


_BAD = {names.FAKE, names.IMPOSSIBLE, names.NEAR_MISS, names.NON_BODY}


_COURT_KINDS = ("court", "court_delivery_platform")


def context(ex: Extraction, reg: Registry) -> Context:
    ctx = _primary(ex, reg)
    named = set(ctx.family)
    for b in ex.bodies:
        if b.institution_id and b.status in (names.REGISTERED, names.SUB_BRAND):
            named |= reg.families[b.institution_id]
    return Context(ctx.primary, ctx.family, ctx.named_fake, frozenset(named))


def _primary(ex: Extraction, reg: Registry) -> Context:
    named_fake = any(b.status in _BAD for b in ex.bodies)
    if any(b.status == names.LAWFUL and b.name.endswith("法院") for b in ex.bodies):
        # A court's notice may cite an arbitration award; its links go to the courts' platforms.
        for link in ex.links:
            owner = reg.official_owner(link.host)
            if owner:
                inst = reg.institutions[min(owner[1])]
                if inst.kind in _COURT_KINDS:
                    return Context(inst, reg.families[inst.id], named_fake)
    for b in ex.bodies:
        if b.status in (names.REGISTERED, names.SUB_BRAND) and b.institution_id:
            inst = reg.institutions[b.institution_id]
            return Context(inst, reg.families[inst.id], named_fake)
    if not named_fake:
        # No registry body named: an official link (a court platform, say) tells whose notice it is.
        for link in ex.links:
            owner = reg.official_owner(link.host)
            if owner:
                inst = reg.institutions[min(owner[1])]
                return Context(inst, reg.families[inst.id], named_fake)
    return Context(None, frozenset(), named_fake)
