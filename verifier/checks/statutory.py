"""A court's statement of the consequences the law attaches to not performing, told apart from a threat.

A court's enforcement notice lists its coercive measures ("逾期不履行的，本院将依法采取罚款、拘留等强制措施，
并纳入失信被执行人名单"; Civil Procedure Law, detention and fines for refusing to perform) and a court's
reminder says what missing a hearing may bring ("Missing court can lead to your arrest"). Scams use the
same words; what differs is the frame: a court speaking, a consequence conditional on not performing a
legal duty (履行, appearing in court), in Chinese under the law (依法, 根据…规定), and nothing else a court
never asks (a person's account, a mobile to call, an hours-long deadline, a fee). A threat to detain for
not repaying today, one by a made-up or arbitration body, or one beside such a demand stays a threat.
"""

from __future__ import annotations

import regex

from verifier.analysis import names, phones
from verifier.analysis.extract import Extraction

# The threats a court may state as the law's consequence of non-performance.
STATED = frozenset({"CONTENT_THREAT_ARREST", "CONTENT_THREAT_CREDIT"})
# Content codes that say nothing wrong on their own, and the stated threats themselves; any other
# content finding (money, a mobile, a deadline in hours, a freeze for today, a code) leaves the
# threats standing. (A court's own 依法冻结 after a period is no CONTENT_FREEZE_ACCOUNTS.)
_NEUTRAL = STATED | {"CONTENT_LEGAL_NOTICE", "CONTENT_NEGATED_WARNING"}
_SPEAKS = (names.REGISTERED, names.SUB_BRAND, names.LAWFUL)
# The sentence before the threat: a duty not performed, and (in Chinese) the law as the ground.
_SENTENCE_END = regex.compile(r"[。！!？?；;\n]|\.(?:\s|$)")
_CONDITION_ZH = regex.compile(r"(?:逾期|拒不|如不|若不|如未|若未|仍不|仍未|未按期?|不按期?)[^，。,；;]{0,10}?(?:履行|到庭|执行|报告财产|申报财产)")
_LAW_ZH = regex.compile(r"依法|依照|根据[^，。,；;]{0,30}(?:法|规定)|按照[^，。,；;]{0,30}(?:法|规定)")
_CONDITION_EN = regex.compile(
    r"\b(?:missing|miss|failure\sto|fail(?:s|ing)?\sto|if\syou\sdo\snot|if\syou\sdon['’]t)\s(?>\w+\s){0,2}?"
    r"(?:court|appear\w*|attend\w*|comply|hearing)\b", regex.IGNORECASE)
_COURT_EN = regex.compile(r"\bcourt\b", regex.IGNORECASE)


def _court_speaks(ex: Extraction) -> bool:
    """A court names itself and no made-up or look-alike body is named (English: the message speaks
    of a court and names no body at all)."""
    if any(b.status not in _SPEAKS and b.status != names.NOT_ADJUDICATOR for b in ex.bodies):
        return False
    courts = [b for b in ex.bodies if b.status in _SPEAKS and b.name.endswith(names.COURT_ENDS)]
    if courts:
        return True
    return not ex.bodies and _COURT_EN.search(ex.text.text) is not None


def _asks_nothing_else(ex: Extraction) -> bool:
    if ex.bank_cards or any(p.kind in (phones.MOBILE, phones.VIRTUAL)
                            or (p.kind == phones.FOREIGN and phones.foreign_mobile(p.key)) for p in ex.phones):
        return False
    return all(h.code in _NEUTRAL for h in ex.phrases)


def lawful_statements(ex: Extraction) -> list[tuple[int, int]]:
    """Original-offset spans of stated threats that are a court's statement of the law's
    consequences (empty when the notice is no such statement)."""
    hits = [h for h in ex.phrases if h.code in STATED]
    if not hits or not _court_speaks(ex) or not _asks_nothing_else(ex):
        return []
    out = []
    for h in hits:
        clause = _SENTENCE_END.split(ex.text.window(max(0, h.start - 160), h.start))[-1]
        if _CONDITION_EN.search(clause) or (_CONDITION_ZH.search(clause) and _LAW_ZH.search(clause)):
            out.append((h.start, h.end))
    return out
