"""Which registry institution a notice speaks for: decided once, read by several checks."""

from __future__ import annotations

from typing import NamedTuple

import regex

from verifier.analysis import names
from verifier.analysis.extract import Extraction
from verifier.analysis.normalise import GAPS
from verifier.registry.compiled import Registry
from verifier.registry.schema import ADJUDICATOR_KINDS, Institution


class Context(NamedTuple):
    """Immutable; a tuple because it is built per notice and a frozen dataclass costs 5x more."""

    primary: Institution | None  # the registry body the notice claims to come from
    family: frozenset[str]  # its id, its parent's and its sub-brands' ids
    named_fake: bool  # a fake, impossible or near-miss body is named
    named: frozenset[str] = frozenset()  # families of every registry body the notice names
    # The family and the bodies whose channels it uses (a court: the SPC's platforms and 12368):
    # a link, number or program of theirs is the body's channel too.
    channels: frozenset[str] = frozenset()


MADE_UP = frozenset({names.FAKE, names.IMPOSSIBLE, names.NEAR_MISS, names.NON_BODY})
# A registry institution named: a body, or a platform or lender (NOT_ADJUDICATOR with its id).
NAMED = (names.REGISTERED, names.SUB_BRAND, names.NOT_ADJUDICATOR)


_COURT_KINDS = ("court", "court_delivery_platform")
# A regulator named as where records are reported ("逾期记录将报送中国人民银行征信系统", "上报征信中心")
# is the destination of the sender's reporting, not the sender: a bank's reminder with its own 95
# number and site is not a notice from the central bank. (A case submitted to a commission or a
# court, "提交中国国际经济贸易仲裁委员会", is that body's case: adjudicators are never skipped.)
_REPORTED_TO = regex.compile(r"(?:报送|上报|上传|录入|纳入|计入)(?:至|到|给|于|进)?$")


def _reported_to(ex: Extraction, b: names.NamedBody, inst: Institution) -> bool:
    return inst.kind not in ADJUDICATOR_KINDS and _preceded_by(ex, b, _REPORTED_TO, 6)


# A body named as where the reader's mail went ("您寄往北京仲裁委员会的文件已签收", a courier's receipt) or
# as what the writer uses or goes to ("我在用“人民法院在线服务”小程序立案") is not who speaks: the message
# is not held to that body's channels. "我院", "我会" (a court or commission speaking) are no such verb.
_NOT_SPEAKER = regex.compile(r"(?:寄往|寄给|寄至|寄到|寄交|发往|送往|邮寄至|邮寄到"
                             r"|我们?(?:正|刚|也|已经?|要|想|准备|打算)?(?:在用|使用|用|通过|去|到))"
                             r"[^。！!？?\n，,；;]{0,4}$")


def _not_speaker(ex: Extraction, b: names.NamedBody) -> bool:
    return _preceded_by(ex, b, _NOT_SPEAKER, 12) or _forum(ex, b)


# A body named as the forum a contract chooses or a party will go to ("委托人将依据合同约定向上海国际仲裁中心
# 申请仲裁", "clause 18 provides for arbitration at HKIAC", "on clause 21 we accept CIETAC arbitration"): a
# buyer, a lawyer or a creditor speaks of it, the body does not speak. Not when the case is already there
# ("根据合同约定，申请人已向本会…", "我行已向广州仲裁委员会申请仲裁", "the contract dispute has been filed for
# arbitration at CIETAC"): the body may then be the speaker. Nor a contract named only as the dispute's
# ("借款合同纠纷，申请人向北京仲裁委员会申请仲裁"): the body's own notice says that.
_FORUM = regex.compile(r"(?:约定|条款|\bclause|\bagreement|\bcontract)"
                       r"(?:(?!已|\b(?:been|was|were|has|have|is)\b)[^。！!？?\n]){0,40}?"
                       r"(?:向|提交|交由|选择|\b(?:accept|propose|prefer|agree\sto|arbitration\s(?:at|under|before)))\s?$")


def _forum(ex: Extraction, b: names.NamedBody) -> bool:
    """`_FORUM` ends the words before the name (spaces kept: English needs its word boundaries)."""
    if b.field != "text" or not b.start:
        return False
    return _FORUM.search(ex.text.window(max(0, b.start - 60), b.start)) is not None


# A platform named as what a threat acts on ("冻结您名下全部银行卡及微信支付宝", "划扣您支付宝余额") or as
# the way to pay ("将欠款转至承办人支付宝 …", "通过支付宝转账") is not who speaks: the message is not
# judged by the platform's channels.
_ACTED_ON = regex.compile(r"(?:冻结|划扣|扣划|扣除|查封|限制|转至|转到|转入|汇至|汇到|汇入|打到|打至|付至|通过|使用)"
                          r"[^。！!？?\n]{0,12}$")


def _acted_on(ex: Extraction, b: names.NamedBody) -> bool:
    return _preceded_by(ex, b, _ACTED_ON, 14)


# A line named as what to call ("详情请咨询12368诉讼服务热线", "拨打12368热线") is a channel the message gives,
# not who speaks: beside a made-up body it does not make the message that line's, nor a sender of the line's
# official for it.
_TO_CALL = regex.compile(r"(?:咨询|拨打|致电|详询|垂询|来电|电话|请打|打)[^。！!？?\n，,；;]{0,3}$")


def called(ex: Extraction, b: names.NamedBody) -> bool:
    return _preceded_by(ex, b, _TO_CALL, 8)


def _preceded_by(ex: Extraction, b: names.NamedBody, words: regex.Pattern[str], chars: int) -> bool:
    """`words` end the last `chars` characters before a name in the text, spaces and invisible
    marks left out (spaced-out text reads as written close)."""
    if b.field != "text" or not b.start:
        return False
    before = GAPS.sub("", ex.text.window(max(0, b.start - 3 * chars), b.start))
    return words.search(before[-chars:]) is not None


def context(ex: Extraction, reg: Registry) -> Context:
    ctx = _primary(ex, reg)
    named = set(ctx.family)
    for b in ex.bodies:
        if b.institution_id and b.status in NAMED:
            named |= reg.families[b.institution_id]
    channels = reg.channel_families[ctx.primary.id] if ctx.primary else frozenset()
    return Context(ctx.primary, ctx.family, ctx.named_fake, frozenset(named), channels)


def _primary(ex: Extraction, reg: Registry) -> Context:
    named_fake = any(b.status in MADE_UP for b in ex.bodies)
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
            if not _reported_to(ex, b, inst) and not _not_speaker(ex, b) and not (named_fake and called(ex, b)):
                return Context(inst, reg.families[inst.id], named_fake)
    # A payment platform or lender named ("【支付宝】", "您在微粒贷的借款") and no body: the message
    # speaks in its name, and its channels are the platform's or not. Also beside a made-up body
    # ("网络仲裁委员会受理您的借呗欠款"): a number to call that is not the lender's is evidence too. Not
    # beside a court or commission that may be real but is not listed ("XX区人民法院…冻结你的支付宝"):
    # that body speaks, and the platform is what it acts on.
    unlisted_body = any(b.status in (names.LAWFUL, names.UNRECOGNISED) for b in ex.bodies)
    for b in () if unlisted_body else ex.bodies:
        if b.status == names.NOT_ADJUDICATOR and b.institution_id and not _acted_on(ex, b):
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
