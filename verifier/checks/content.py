"""Content check: what a genuine arbitration never does (pay a person, threaten, hurry)."""

from __future__ import annotations

import re
from collections import defaultdict

import regex

from verifier.analysis import names, phones
from verifier.analysis.extract import Extraction
from verifier.analysis.normalise import GAPS
from verifier.checks import statutory
from verifier.checks.finding import Evidence, Finding, item
from verifier.registry.compiled import Registry

# Codes the registry's phrases and patterns may name (and only these: the loader checks it).
PHRASE_CODES = frozenset({
    "CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_PAYMENT_DEMAND", "CONTENT_VERIFICATION_CODE",
    "CONTENT_INSTALL_APP", "CONTENT_SCREEN_SHARE", "CONTENT_THREAT_ARREST",
    "CONTENT_THREAT_HOME_VISIT", "CONTENT_THREAT_CONTACTS", "CONTENT_FREEZE_ACCOUNTS",
    "CONTENT_DEADLINE_HOURS", "CONTENT_THREAT_CREDIT", "CONTENT_EMERGENCY_CONTACT",
    "CONTENT_QR_CODE", "CONTENT_CALLBACK_MOBILE", "CONTENT_NEGATED_WARNING", "CONTENT_LEGAL_NOTICE",
    "CONTENT_PRIZE_CONTRACT", "CONTENT_RELAY_REQUEST", "CONTENT_PRESS_KEY", "CONTENT_CARD_DETAILS",
    "CONTENT_DEBT_RELIEF_SERVICE", "CONTENT_ID_DETAILS", "CONTENT_SERVICE_OFFER",
    "CONTENT_CANCEL_LURE", "CONTENT_ADVANCE_FEE", "CONTENT_CRIME_ACCUSATION",
    "CONTENT_FEE_FOR_FREE_PROCEDURE", "CONTENT_MEETING_APP", "CONTENT_THREAT_STATUS",
    "CONTENT_DEEMED_CONSENT", "CONTENT_WAGE_WITHHOLDING", "CONTENT_LAW_MISSTATED",
    "CONTENT_UNCLAIMED_SUMMONS", "CONTENT_DOMAIN_REGISTRATION_LURE",
})
EMITS = PHRASE_CODES | {"CONTENT_NONE", "CONTENT_BANK_CARD", "CONTENT_FPS_PAYEE"}

# A courier's own mobile in a delivery SMS ("法院专递…投递员王师傅 138…") is how the post reaches
# you, not a number the body asks you to call back. A virtual-operator number stays suspect.
_COURIER = re.compile(
    r"(?:投[递遞]员|投[递遞]員|快[递遞]员|快[递遞]員|派送[员員]|配送[员員]|揽投[员員]|攬投[员員]|送件[员員]"
    r"|快[递遞]小哥|[骑騎]手|courier|postman|delivery (?:driver|man))[^，。,;；！!？?\n]{0,12}$",
    re.IGNORECASE,
)


def _courier(original: str, p: phones.Phone) -> bool:
    return p.kind == phones.MOBILE and _COURIER.search(original, max(0, p.start - 24), p.start) is not None


# Information-only phrase codes: they say what kind of message this is, not that it is wrong.
_INFO_PHRASES = frozenset({"CONTENT_LEGAL_NOTICE", "CONTENT_NEGATED_WARNING", "CONTENT_SERVICE_OFFER"})
# The same with CONTENT_NONE: content codes that find nothing wrong (the engine reads them).
INFO_PHRASES = _INFO_PHRASES | {"CONTENT_NONE"}
# Bodies an advert may name in passing ("劳动仲裁委", a bank) without speaking for them.
_AD_BODIES = frozenset({names.LAWFUL, names.NOT_ADJUDICATOR})


def _service_offer(ex: Extraction) -> bool:
    """A lawyer's or consultant's advert that mentions arbitration ("专业处理劳动仲裁…免费咨询
    139…") gives the advertiser's own mobile: it is no notice asking for a call back. Only when
    the message claims no body, cites no case and says nothing else a notice should not."""
    codes = {h.code for h in ex.phrases}
    return ("CONTENT_SERVICE_OFFER" in codes and not codes - _INFO_PHRASES and not ex.cases
            and all(b.status in _AD_BODIES for b in ex.bodies))


# The reader's own account named as what a court freezes or enforces on ("冻结你名下支付宝账户及微信账户",
# "freeze your Alipay account", a bank's "your personal account"): an account type qualified as the
# reader's is theirs, not a person's to pay. Not when its clause moves money ("转入您名下的个人账户", "用您的支付宝账户转账给专员"): scams
# call their own account "yours" ("您的专属安全账户"), and such terms (安全账户, 监管账户) are no account type.
_ACCOUNT_TYPE = regex.compile(r"支付宝|微信|个人|私人|银行卡|alipay|wechat|personal|private", regex.IGNORECASE)
_OWN = regex.compile(r"(?:你|您|阁下)(?:本人)?(?:的|名下的?|个人的?)?(?:所有|全部|相关)?的?"
                     r"(?:[\p{Han}a-z]{1,12}(?:以及|及|和|、|与|或))?$"
                     r"|\byour(?:\sown)?\s?$", regex.IGNORECASE)
_MONEY = regex.compile(r"转入|转至|转到|转进|汇入|汇至|汇到|存入|存到|打入|打到|充值|缴至|缴到|缴入|付至|付到"
                       r"|转账|转帐|汇款|付款|打款|缴纳|缴费|还款|支付(?!宝)|\b(?:transfer|pay|send|deposit)", regex.IGNORECASE)
_CLAUSE_END = regex.compile(r"[。！!？?；;，,\n]")


def _own_account(ex: Extraction, value: str, start: int) -> bool:
    end = start + len(value)
    if not _ACCOUNT_TYPE.search(ex.text.window(start, end)):
        return False
    before = _CLAUSE_END.split(ex.text.window(max(0, start - 30), start))[-1]
    after = _CLAUSE_END.split(ex.text.window(end, end + 30))[0]
    return _OWN.search(before) is not None and not _MONEY.search(before) and not _MONEY.search(after)


# The writer is the third party, telling what happened to them ("他借钱时填了我当紧急联系人", "有人打电话
# 让我转告"): the framing is narrated, not put to the reader. Only with the writer as the one named or
# asked (填了我, 让我, 我是…的); "我们查到…的紧急联系人是你" and "我司…请您转告" put it to the reader.
_BY_ME = regex.compile(r"(?:(?:填|留|写|设|选|登记|预留|把|让|叫|要|托|找|求)了?我(?!们|司|方|行|院|会)"
                       r"|(?<!自)我(?:被|是)(?!们))[^，。,；;！!？?\n你您]{0,10}$")
_NARRATED = frozenset({"CONTENT_EMERGENCY_CONTACT", "CONTENT_RELAY_REQUEST"})


def _narrated(ex: Extraction, start: int) -> bool:
    """Spaces and invisible marks left out, so spaced-out text reads as written close."""
    before = _CLAUSE_END.split(GAPS.sub("", ex.text.window(max(0, start - 48), start)))[-1]
    return _BY_ME.search(before) is not None


# A lecture's, article's or course's title ("《仲裁裁决的强制执行与失信被执行人名单》线上讲座", "推荐文章《…》"):
# its words name a subject, they threaten no one. A title with no such word around it ("《逮捕令》") is read.
_TITLE = regex.compile(r"(?:讲座|文章|课程|主题|题为|阅读|推荐|分享)[:：]?\s?(《[^《》\n]{1,60}》)"
                       r"|(《[^《》\n]{1,60}》)\s?(?:线上|线下|公益|专题|免费)?(?:讲座|课程|论坛|研讨会|沙龙|培训|直播|讲堂|一文|文章)")


def _titles(ex: Extraction) -> list[tuple[int, int]]:
    s = ex.text.text
    if "《" not in s:
        return []
    return [ex.text.span(*m.span(1 if m[1] else 2)) for m in _TITLE.finditer(s)]


def _names(ex: Extraction) -> list[tuple[int, int]]:
    """Spans of registry bodies named in the text: a term inside one ("征信" in 中国人民银行征信中心)
    is the body's name, not something the message says."""
    return [(b.start, b.end) for b in ex.bodies if b.status in (names.REGISTERED, names.SUB_BRAND)
            and b.field == "text" and b.start is not None and b.end is not None]


def check(ex: Extraction, reg: Registry) -> list[Finding]:
    by_code: dict[str, list] = defaultdict(list)
    spans = _names(ex) + _titles(ex)
    stated = statutory.lawful_statements(ex)
    for code, value, start, end in ex.phrases:
        if spans and code not in _INFO_PHRASES and any(a <= start and end <= b for a, b in spans):
            continue
        if stated and code in statutory.STATED and (start, end) in stated:
            continue
        if code == "CONTENT_PAY_PERSONAL_ACCOUNT" and _own_account(ex, value, start):
            continue
        if code in _NARRATED and _narrated(ex, start):
            continue
        by_code[code].append(Evidence("text", value[:200], start, end))  # finding.item, inlined
    for p in () if _service_offer(ex) else ex.phones:
        mobile = p.kind in (phones.MOBILE, phones.VIRTUAL) or (p.kind == phones.FOREIGN and phones.foreign_mobile(p.key))
        if mobile and not _courier(ex.original, p):
            by_code["CONTENT_CALLBACK_MOBILE"].append(item("text", ex.original[p.start:p.end], p.start, p.end))
    for card in ex.bank_cards:
        code = "CONTENT_FPS_PAYEE" if card.kind == phones.FPS_ID else "CONTENT_BANK_CARD"
        by_code[code].append(item("text", ex.original[card.start:card.end], card.start, card.end))
    if not set(by_code) - _INFO_PHRASES:
        by_code["CONTENT_NONE"] = []
    return [Finding(code, tuple(items[:10])) for code, items in by_code.items()]
