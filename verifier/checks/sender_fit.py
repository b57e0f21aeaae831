"""Does a registered sender serve the body the notice speaks for?

A number registered as a body's sender or phone is official for that body only, and a port a
province's courts share (the Zhejiang courts' 106352712368) for that province's courts only: a
Shandong court's notice, or one commission's notice from another's number, does not become
official by its sender. The engine reads it once per notice (`read`) for the sender and consistency
checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.analysis import names
from verifier.analysis.cases import court_province
from verifier.analysis.extract import Extraction
from verifier.checks.context import MADE_UP, NAMED, Context, called
from verifier.registry.compiled import Registry
from verifier.registry.schema import Institution

_ARBITRATION = frozenset({"commercial_arbitration", "international_arbitration"})
# A lawful name the registry does not list, read as a court (its channels are the SPC's) or as
# another adjudicator (no registered sender serves it).
_ADJUDICATOR_WORDS = ("仲裁", "法院", "法庭", "审裁处")


@dataclass(frozen=True, slots=True)
class Fit:
    """The sender read against the bodies the notice speaks for, once per notice."""

    other: Institution | None  # misfit: the body the sender serves when it serves none the notice speaks for
    unplaced: bool  # a regional port whose province no body of the notice can be placed in


def read(ex: Extraction, reg: Registry, ctx: Context) -> Fit:
    other = misfit(ex, reg, ctx)
    return Fit(other, other is None and unplaced(ex, reg, ctx))


def owners(ex: Extraction, reg: Registry) -> frozenset[str]:
    """The bodies the sender's number is registered to (as a sender or a phone)."""
    s = ex.sender
    if s is None or not s.key:
        return frozenset()
    return reg.official_senders.get(s.key, frozenset()) | reg.official_phones.get(s.key, frozenset())


def misfit(ex: Extraction, reg: Registry, ctx: Context) -> Institution | None:
    """The body the sender is registered to when the notice speaks only for others, or only for
    bodies outside the province the sender serves; None when the sender is not registered, the
    notice names no body, or one body it names is served."""
    own = owners(ex, reg)
    if not own:
        return None
    regions = reg.prepared.sender_regions.get(ex.sender.key) if ex.sender else None
    speakers = _speakers(ex, reg, ctx)
    if not speakers:
        return None
    for served, where in speakers:
        if own & served and (regions is None or _province(where, reg, ex) in (None, *regions)):
            return None
    return reg.institutions[min(own)]


def unplaced(ex: Extraction, reg: Registry, ctx: Context) -> bool:
    """A sender that serves one province's bodies only, where no body of the notice it serves can be
    placed in that province (its name starts with no province or city, no case number says which
    high court's): read with misfit None, the port is not confirmed as the notice's, nor shown to
    be another's."""
    regions = reg.prepared.sender_regions.get(ex.sender.key) if ex.sender and ex.sender.key else None
    if regions is None:
        return False
    own = owners(ex, reg)
    served = [where for chans, where in _speakers(ex, reg, ctx) if own & chans]
    return not any(_province(where, reg, ex) in regions for where in served)


def borrowed_from_commission(ex: Extraction, reg: Registry, used: frozenset[str]) -> bool:
    """The sender is an arbitration commission's number, but not the named body's (the
    consistency check names it CONSISTENCY_OTHER_BODY_NUMBER)."""
    own = owners(ex, reg)
    return bool(own) and not own & used and all(
        i in reg.institutions and reg.institutions[i].kind in _ARBITRATION for i in own)


def _speakers(ex: Extraction, reg: Registry, ctx: Context) -> list[tuple[frozenset[str], Institution | str]]:
    """Each body the notice may speak for: the channels that serve it and where it is (a registry
    body, or the name of a body the registry does not list). A body named inside a caution
    ("冒充广州仲裁委员会的诈骗短信") is what the message warns of, not who speaks; a made-up body
    speaks, and no registered sender serves it."""
    cautions = [(h.start, h.end) for h in ex.phrases if h.code == "CONTENT_NEGATED_WARNING"]
    out: list[tuple[frozenset[str], Institution | str]] = []
    if ctx.primary is not None and not any(b.institution_id in ctx.family for b in ex.bodies):
        out.append((ctx.channels or ctx.family, ctx.primary))  # known by its link, not by name
    for b in ex.bodies:
        if b.start is not None and b.end is not None and any(a <= b.start and b.end <= z for a, z in cautions):
            continue
        if b.institution_id and b.status in NAMED:
            if called(ex, b):
                continue  # a line to call, not who speaks ("请咨询12368诉讼服务热线")
            out.append((reg.channel_families[b.institution_id], reg.institutions[b.institution_id]))
        elif b.status == names.LAWFUL and any(w in b.name for w in _ADJUDICATOR_WORDS):
            court = b.name.endswith(names.COURT_ENDS)
            out.append((reg.prepared.court_channels if court else frozenset(), b.name))
        elif b.status in MADE_UP:
            out.append((frozenset(), b.name))
    return out


def _province(where: Institution | str, reg: Registry, ex: Extraction) -> str | None:
    """The province a body is in, from the registry or from the place its name starts with, or else
    the province of the high court whose code a court case number in the notice carries."""
    return _named_province(where, reg) or next(filter(None, map(court_province, ex.cases)), None)


def _named_province(where: Institution | str, reg: Registry) -> str | None:
    if isinstance(where, str):
        name = where
    else:
        if where.province:
            return where.province
        if where.city and (city := reg.cities.get(where.city)):
            return city.province
        name = where.name
    for p in reg.provinces:
        if name.startswith(p):
            return p
    for n in (2, 3, 4):
        if city := reg.cities.get(name[:n]):
            return city.province
    return None
