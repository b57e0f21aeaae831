"""Named-institution check: registered, lawful by name, known fake, impossible, near miss."""

from __future__ import annotations

import bisect
import itertools

import regex

from verifier.analysis import names
from verifier.analysis.extract import Extraction
from verifier.checks.finding import Finding, item
from verifier.registry.compiled import Registry

_BY_STATUS = {
    names.REGISTERED: "BODY_REGISTERED",
    names.SUB_BRAND: "BODY_SUB_BRAND",
    names.LAWFUL: "BODY_LAWFUL_PATTERN",
    names.FAKE: "BODY_KNOWN_FAKE",
    names.IMPOSSIBLE: "BODY_IMPOSSIBLE_NAME",
    names.NEAR_MISS: "BODY_NEAR_MISS",
    names.NON_BODY: "BODY_NON_BODY",
    names.UNRECOGNISED: "BODY_UNRECOGNISED",
    names.NOT_ADJUDICATOR: "BODY_NOT_ADJUDICATOR",
}
EMITS = frozenset(_BY_STATUS.values()) | {"BODY_NONE", "BODY_ASSOCIATION_CASE"}
# Statuses that would speak for a sender's display name; an invented or look-alike name shown
# there is evidence like one in the text.
_PROVES_NOTHING = frozenset({names.REGISTERED, names.SUB_BRAND, names.NOT_ADJUDICATOR})


# What a case notice does: accept, hear, decide, enforce, charge, collect a debt from the reader. The
# arbitration association does none of it; a mention of it that does none of it (news, the law's text,
# "解决商事纠纷") claims nothing.
_CASE_ACT = regex.compile(
    r"立案|受理|开庭|庭审|传票|应诉|答辩|裁决|仲裁费|受理费|缴纳|缴费|缴款|转账|被申请人|案件|案号|涉案|执行|结案|撤案|撤诉"
    r"|起诉|还款|欠款|逾期|冻结|查封|担保人|借款人|免责"
    r"|\b(?:case|hearing|award|summons|respondent|claim|fees?|pay|payment|enforce\w*|debt|repay\w*|freez\w*)\b",
    regex.IGNORECASE,
)
# A negation earlier in the act's clause: "协会不受理具体案件", "请勿相信以协会名义发送的缴费短信" ("No." numbers a case).
_NEGATED = regex.compile(r"[不无未勿别没]|\b(?:not|never)\b|\bno\b(?!\.)", regex.IGNORECASE)
_CLAUSE_START = regex.compile(r"[。！!？?；;，,:：\n][^。！!？?；;，,:：\n]*$")
# Case acts looked at per notice: a case notice says what it does early; a pasted page of cautions
# must not cost one look per act.
_MAX_ACTS = 200


def _acts_on_a_case(ex: Extraction) -> bool:
    """The notice accepts, hears, decides or charges for a case (a case number, or a case act that is
    neither negated in its clause nor inside a caution)."""
    if ex.cases:
        return True
    cautions = sorted((h.start, h.end) for h in ex.phrases if h.code == "CONTENT_NEGATED_WARNING")
    starts = [a for a, _b in cautions]
    reach = list(itertools.accumulate((b for _a, b in cautions), max))  # furthest end of cautions so far
    s = ex.text.text
    for i, m in enumerate(_CASE_ACT.finditer(s)):
        if i >= _MAX_ACTS:
            break
        lo = max(0, m.start() - 40)
        clause = _CLAUSE_START.search(s, lo, m.start())
        if _NEGATED.search(s, clause.start() if clause else lo, m.start()):
            continue
        start, end = ex.text.span(m.start(), m.end())
        k = bisect.bisect_right(starts, start)  # cautions that start at or before the act
        if not k or reach[k - 1] < end:
            return True
    return False


# Someone is told something: "您", "请…", "your". An announcement to member institutions or news that
# cites a case number tells no reader of a case of theirs.
_READER = regex.compile(r"您|你|阁下|閣下|请|請|\byour?\b", regex.IGNORECASE)


def _signs(ex: Extraction, b: names.NamedBody) -> bool:
    """The name opens a bracketed signature (spaces allowed between: "【 江 西 省 …】")."""
    return (b.field == "text" and b.start is not None
            and ex.text.window(max(0, b.start - 8), b.start).rstrip().endswith(("【", "[")))


def _code(b: names.NamedBody, ex: Extraction, acts: list[bool]) -> str | None:
    if b.status == names.ASSOCIATION:
        # Real, but it hears no case: a case notice in its name is not its own; a mention is no claim.
        if not acts:  # read once per notice, whichever name asks first
            acts.append(_READER.search(ex.text.text) is not None and _acts_on_a_case(ex))
        if acts[0] or _signs(ex, b):
            return "BODY_ASSOCIATION_CASE"
        return None if b.field == "sender" else "BODY_NOT_ADJUDICATOR"
    if b.field == "sender" and b.status in _PROVES_NOTHING:
        return None  # a real name shown as the sender is typed by whoever sends: SENDER_DISPLAY_NAME says so
    return _BY_STATUS[b.status]


def check(ex: Extraction, reg: Registry) -> list[Finding]:
    if not ex.bodies:
        return [Finding("BODY_NONE")]
    out = []
    acts: list[bool] = []
    for b in ex.bodies:
        if (code := _code(b, ex, acts)) is None:
            continue
        ev = [item(b.field, b.name if b.field != "text" else ex.original[b.start:b.end], b.start, b.end)]
        if b.status == names.NEAR_MISS and b.institution_id:
            ev.append(item("institution", reg.institutions[b.institution_id].name))
        out.append(Finding(code, tuple(ev)))
    return out
