"""Consistency: do the notice's channels (links, numbers, sender, case prefix) belong to its body?"""

from __future__ import annotations

import regex

from verifier.analysis import names, phones, urls
from verifier.analysis.extract import Extraction
from verifier.analysis.normalise import fold
from verifier.checks import sender_fit
from verifier.checks.context import Context
from verifier.checks.finding import Finding, item
from verifier.checks.links import is_official, placeholders
from verifier.registry.compiled import Registry
from verifier.registry.schema import ADJUDICATOR_KINDS, PLATFORM_KINDS

EMITS = frozenset({"CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_EMAIL_NOT_OFFICIAL", "CONSISTENCY_PHONE_NOT_OFFICIAL",
                   "CONSISTENCY_OTHER_BODY_NUMBER", "CONSISTENCY_APP_NOT_OFFICIAL", "CONSISTENCY_PAYEE_NOT_BODY",
                   "CONSISTENCY_CITY_MISMATCH", "CONSISTENCY_ALL_OFFICIAL", "SENDER_NOT_OFFICIAL",
                   "CONSISTENCY_SENDER_NAME_OTHER_BODY", "CONSISTENCY_SHARED_DOCUMENT", "CONSISTENCY_FOREIGN_DOMAIN"})
_NEUTRAL_SENDERS = (phones.SERVICE_PORT, phones.SHORT, phones.ALPHANUMERIC)
_ARBITRATION = frozenset({"commercial_arbitration", "international_arbitration"})
# A number to call that the phone reader could not place ('call 5555 1234', '请致电 88886666'):
# a channel we cannot attribute, so the notice cannot be all-official.
# Money sent to a number is the same ('FPS to 98765432', '轉數快轉帳至 98765432'). Read in the
# normalised text, so traditional 致電 and full-width digits count.
_CALLBACK = regex.compile(r"(?:电话|致电|拨打|来电|热线|联系|call|phone|tel\b|dial|whatsapp"
                          r"|\bfps\b|转数快|payme|转账|转帐|汇款|\bpay\b)\D{0,24}?(\d[\d \-]{5,18}\d)",
                          regex.IGNORECASE)


# Channels that cannot be the named body's, or not confirmed to be, though no warning names them:
# an answer by reply ('同意调解请回复“确认”', 'reply YES'; not '请勿回复'), a program named without
# quotation marks ('微信搜索小程序贸仲在线', '关注公众号cietac_service', 'QQ群': _PROGRAM), a number in Chinese
# numerals ('一三九一二三四五六七八'), money sent by a payment app or to a name ('请使用云闪付向张伟转账'), or to
# "the designated account" the notice never names ('缴纳保证金至指定账户'; not the reader's own, '您指定的账户',
# nor the body's, '本院指定账户').
_UNCONFIRMED = regex.compile(
    r"(?<!勿|不要|无需|无须|不必|不用|不能|别|不)(?:直接)?回复(?:本短信|本信息|本消息|此短信|此信息|本号码|此号码|短信|[“\"「『]|\s?[0-9a-z一二三四五六七八九零]|确认|收到|同意)"
    r"|(?<!\b(?:do not|don't|don’t|never|no need to)\s)\breply\s(?:with\s)?(?:yes|y|no|n|ok|[0-9]|[\"“]|to this)\b"
    r"|[零〇一二三四五六七八九幺]{7,}"
    r"|(?:微信|支付宝|云闪付|qq)(?:转账|红包)|向\p{Han}{2,3}(?:转账|汇款|打款)"
    r"|(?<!您|你|您的|你的|本院|本会|本委|本中心)指定的?(?:银行)?(?:账户|账号)",
    regex.IGNORECASE,
)
# A program named as the channel: 微信搜索小程序“法院在线服务中心”, 关注公众号「…」, 下载“…”APP.
_APP = regex.compile(r"(?:小程序|公众号|应用|app)\s?[“\"「『]([^”\"」』\n]{2,20})[”\"」』]"
                     r"|[“\"「『]([^”\"」』\n]{2,20})[”\"」』]\s?(?:小程序|公众号|app|应用)")
# A program to search for by a name in no quotation marks, one given by its handle, a chat group.
# A generic "请登录微信小程序查看" or "关注吉林电子法院公众号" names nothing the reader could be misled to.
_PROGRAM = regex.compile(r"(?:搜索|搜|添加|关注|进入|打开)(?:微信|支付宝)?(?:小程序|公众号)\s?(?![“\"「『])\p{Han}{2,12}"
                         r"|(?:小程序|公众号|\bapp\b)\s?[:：]?\s?[a-z][a-z0-9_]{3,}|(?:qq|微信|钉钉|案件|调解|交流)群",
                         regex.IGNORECASE)


def _unconfirmed(ex: Extraction) -> bool:
    """A channel the notice sends the reader to that no check can attribute (see _UNCONFIRMED);
    a program named in quotation marks is judged by _programs instead."""
    s = ex.text.text
    if _UNCONFIRMED.search(s):
        return True
    named = [m.span() for m in _APP.finditer(s)] if "“" in s or '"' in s or "「" in s or "『" in s else []
    return any(not any(a <= m.start() and m.end() <= b for a, b in named) for m in _PROGRAM.finditer(s))


# Who is paid: 收款账户：…有限公司, 对公账户：…有限公司, 户名：张三, 户名为深圳国际仲裁院 (the copula is not the name).
# A company account names its holder after a colon ("对公账户：…有限公司"); without one the words
# run on ("按官网公布的对公账户预交仲裁费"). A refund to the reader's own account names the reader.
# A field word after the label (收款人姓名, 收款单位名称) is the field, not a payee called 姓名.
_PAYEE = regex.compile(r"(?<!(?:退回|退还|退款|退费|返还|退)(?:至|到|给)(?:您|你)[^。！!？?\n请需先]{0,24})"
                       r"(?:(?:收款账户|收款帐户|收款单位|收款人|收款方|账户名称|帐户名称|账户名|帐户名|开户名|户名)(?:姓名|名称|全称|户名)?\s?[:：]?"
                       r"|对公[账帐]户\s?[:：])\s?(?:为|是)?\s?"
                       r"(\p{Han}[\p{Han}()（）]{1,30})")
# Money the reader is told to send to a named organisation: "请将仲裁费汇至北京某某律师事务所，账号 …".
# Only as a request (请/须/需): a court reporting "执行款已转至申请人…有限公司" tells, it does not ask.
_PAID_TO = regex.compile(r"(?:请|须|需|务必)[^。！!？?\n]{0,20}?(?:汇至|汇到|汇入|转至|转到|转入|打至|打到|缴至|缴纳至|支付至|支付给|转账给|汇给)"
                         r"\s?(\p{Han}[\p{Han}()（）]{1,30}?(?:公司|事务所|工作室|商行|合作社|中心))")
# The body's own words for itself: "收款单位为本会" names the body that sent the notice.
_SELF = ("本会", "本院", "本委", "本中心")


def _programs(ex: Extraction, reg: Registry, family: frozenset[str]) -> list[Finding]:
    """Programs the notice sends the reader to that are not a name of the named body's family."""
    out = []
    for m in _APP.finditer(ex.text.text):
        name = m[1] or m[2]
        if reg.names.get(fold(name)) not in family:
            a, b = ex.text.span(*m.span(1 if m[1] else 2))
            out.append(Finding("CONSISTENCY_APP_NOT_OFFICIAL", (item("text", ex.original[a:b], a, b),)))
    return out


# Content findings that are themselves a channel no registry fact can confirm: money to a person ("向经办人
# 孙立强转账", "to Mr Tan") and a chat handle to add ("添加客服QQ 2873349012", "微信 tj20258").
_PERSONAL_CHANNELS = frozenset({"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_CALLBACK_MOBILE"})


def _personal_channel(ex: Extraction) -> bool:
    """The content check found such a channel outside any caution against it ("请勿向个人账户转账"):
    a channel that is not the body's."""
    return _uncautioned(ex, _PERSONAL_CHANNELS)


def _payees(ex: Extraction, reg: Registry, family: frozenset[str]) -> tuple[list[Finding], bool]:
    """Payees that are not the named body (nor one of its family): a company, a person; and
    whether the body itself is named as a payee."""
    out = []
    body_paid = False
    text = ex.text.text
    matches = list(_PAYEE.finditer(text)) if "户" in text or "收款" in text else []
    if "请" in text or "须" in text or "需" in text:
        matches += _PAID_TO.finditer(text)
    for m in matches:
        payee = m[1]
        if (reg.names.get(payee) in family or payee in _SELF
                or any(payee.startswith(n) for n in _family_names(reg, family))):
            body_paid = True
            continue
        a, b = ex.text.span(*m.span(1))
        out.append(Finding("CONSISTENCY_PAYEE_NOT_BODY", (item("text", ex.original[a:b], a, b),)))
    return out, body_paid


def _family_names(reg: Registry, family: frozenset[str]) -> list[str]:
    return [fold(reg.institutions[i].name) for i in family if i in reg.institutions]


def _other_bodys(key: str, reg: Registry, family: frozenset[str]) -> bool:
    """The number is an arbitration commission's, but not the named body's."""
    owners = reg.official_phones.get(key, frozenset()) | reg.official_senders.get(key, frozenset())
    return bool(owners) and not owners & family and _arbitration_bodies(owners, reg)


def _unread_callback(ex: Extraction) -> bool:
    read = [(p.start, p.end) for p in (*ex.phones, *ex.bank_cards) if p.start is not None and p.end is not None]
    for m in _CALLBACK.finditer(ex.text.text):
        a, b = ex.text.span(*m.span(1))
        if sum(c.isdigit() for c in m[1]) >= 7 and not any(s < b and a < e for s, e in read):
            return True
    return _unread_spaced(ex)


# A text spelled one character at a time with no wider gap between words ("p a y … v i a F P S t o
# 9 8 7 6 5 4 3 2") has no word boundaries left: its words are read run together, and a number after
# one that no reader placed (compared by its last seven digits) is as unconfirmed as in plain text.
_CALLBACK_RUN_TOGETHER = regex.compile(r"(?:电话|致电|拨打|来电|热线|联系|call|phone|tel|dial|whatsapp|fps|转数快|payme"
                                       r"|转账|转帐|汇款|pay)\D{0,24}?(\d{7,20})")
_DIGIT_JOINS = regex.compile(r"(?<=\d)[ \-](?=\d)")


def _unread_spaced(ex: Extraction) -> bool:
    s = ex.text.text
    if len(s) < 20 or s.count(" ") * 3 < len(s):
        return False
    flat = _DIGIT_JOINS.sub("", s).replace(" ", "")
    read = {p.key[-7:] for p in (*ex.phones, *ex.bank_cards)}
    return any(m[1][-7:] not in read for m in _CALLBACK_RUN_TOGETHER.finditer(flat))


def _city_of_prefix(prefix: str, reg: Registry) -> str | None:
    for n in (4, 3, 2):
        if prefix[:n] in reg.cities:
            return reg.cities[prefix[:n]].short
    return reg.city_abbreviations.get(prefix[:1])


# What makes a message naming a payment platform or lender a legal or collection threat: its channels
# are then evidence (a callback that is not the lender's), where in an ordinary message that mentions
# 支付宝 beside a friend's number they are not.
_THREATS = frozenset({
    "CONTENT_LEGAL_NOTICE", "CONTENT_THREAT_CREDIT", "CONTENT_THREAT_ARREST", "CONTENT_THREAT_HOME_VISIT",
    "CONTENT_THREAT_CONTACTS", "CONTENT_FREEZE_ACCOUNTS", "CONTENT_CANCEL_LURE", "CONTENT_EMERGENCY_CONTACT",
    "CONTENT_DEADLINE_HOURS", "CONTENT_PAYMENT_DEMAND", "CONTENT_ADVANCE_FEE", "CONTENT_CRIME_ACCUSATION",
    "CONTENT_FEE_FOR_FREE_PROCEDURE", "CONTENT_RELAY_REQUEST", "CONTENT_THREAT_STATUS",
})
# Bodies whose naming makes the message a legal claim that a lender's own channels cannot confirm.
_CLAIMED = frozenset({names.REGISTERED, names.SUB_BRAND, names.LAWFUL, names.FAKE, names.IMPOSSIBLE,
                      names.NEAR_MISS, names.NON_BODY, names.UNRECOGNISED})


_LEGAL_NOTICE = frozenset({"CONTENT_LEGAL_NOTICE"})


def _uncautioned(ex: Extraction, codes: frozenset[str]) -> bool:
    """One of `codes` was found outside every caution against it ("请勿向个人账户转账")."""
    cautions = [(h.start, h.end) for h in ex.phrases if h.code == "CONTENT_NEGATED_WARNING"]
    return any(h.code in codes and not any(a <= h.start and h.end <= b for a, b in cautions)
               for h in ex.phrases)


def _legal_claim(ex: Extraction) -> bool:
    """The message speaks of a case, an arbitration body or a court (not only of a lender)."""
    return (bool(ex.cases) or any(b.status in _CLAIMED for b in ex.bodies)
            or _uncautioned(ex, _LEGAL_NOTICE))


def _platform_only(ids: frozenset[str], reg: Registry) -> bool:
    """The site or number belongs to payment platforms or lenders only."""
    return all(i in reg.institutions and reg.institutions[i].kind in PLATFORM_KINDS for i in ids)


def _arbitration_bodies(ids: frozenset[str], reg: Registry) -> bool:
    """The site belongs to arbitration commissions only: a notice from another body has no
    reason to send its reader there, even when that body's own site is unknown to us."""
    return all(i in reg.institutions and reg.institutions[i].kind in _ARBITRATION for i in ids)


def check(ex: Extraction, reg: Registry, ctx: Context, fit: sender_fit.Fit) -> list[Finding]:
    out = _channels(ex, reg, ctx, fit)
    out += _shared_documents(ex, reg, out)
    return out + _foreign_domains(ex, reg, out)


# Where a mainland body is: its registry province or city, or (a lawful name the registry does not list)
# the mainland naming law's words. Hong Kong, Macao and Taiwan bodies use their own country codes.
_OUTSIDE_MAINLAND = frozenset({"香港", "澳门", "台湾"})
_MAINLAND_NAME_ENDS = ("人民法院", "人民法庭", "仲裁委员会", "仲裁院")


def _mainland_adjudicator(ex: Extraction, reg: Registry) -> bool:
    """A mainland court or arbitration body speaks (a registry body placed in a mainland province, or a
    lawful mainland name), and no body outside the mainland is named beside it."""
    found = False
    for b in ex.bodies:
        if b.status in (names.REGISTERED, names.SUB_BRAND) and b.institution_id:
            inst = reg.institutions[b.institution_id]
            province = inst.province or (reg.cities[inst.city].province if inst.city in reg.cities else None)
            if province in _OUTSIDE_MAINLAND or (inst.kind in ADJUDICATOR_KINDS and province is None):
                return False
            found = found or (inst.kind in ADJUDICATOR_KINDS and province is not None)
        elif b.status == names.LAWFUL and b.name.endswith(_MAINLAND_NAME_ENDS):
            if any(b.name.startswith(p) for p in _OUTSIDE_MAINLAND):
                return False
            found = True
    return found


def _foreign_domains(ex: Extraction, reg: Registry, found: list[Finding]) -> list[Finding]:
    """A mainland court's or commission's notice that links a site under another country's code (.ru,
    .de, .vn): no mainland court or commission in the registry has a site there (they use .cn or the
    generic .com, .org, .net), so the link is not the body's, whether or not its own site is known. A
    link already faulted as not the body's, a short link and free hosting have their own codes."""
    foreign = [lk for lk in ex.links if lk.domain and len(tld := lk.domain.rsplit(".", 1)[-1]) == 2
               and tld.isalpha() and tld != "cn"]
    if not foreign or not _mainland_adjudicator(ex, reg):
        return []
    faulted = {ev for f in found if f.code in _LINK_FAULTS for ev in f.evidence}
    out = []
    for link in foreign:
        ev = item(link.field, link.raw, link.start, link.end)
        if (ev in faulted or is_official(link, reg) or link.domain in reg.shorteners or link.host in reg.shorteners
                or urls.suffix_hosted(link.host, reg.free_hosting)):
            continue
        out.append(Finding("CONSISTENCY_FOREIGN_DOMAIN", (ev,)))
    return out


# A court or arbitration body by name (read from the normalised name), listed or not.
_ADJUDICATOR_NAME = regex.compile(r"仲裁|法院|法庭|审裁处|arbitra|court|tribunal", regex.IGNORECASE)
_NOT_SPEAKING = (names.NOT_ADJUDICATOR, names.NON_BODY)
_LINK_FAULTS = ("CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_SHARED_DOCUMENT")


def _shared_documents(ex: Extraction, reg: Registry, found: list[Finding]) -> list[Finding]:
    """A court's or commission's notice that sends the reader to a shared online document, form or
    file share (腾讯文档, 金山文档, 飞书, 网盘): anyone can create one, and no such body serves
    documents that way. The channel check names it so for a listed body with a known site; this
    catches the rest (贵阳仲裁委员会, a district court, a made-up body); a link faulted is not counted twice."""
    if not reg.shared_documents or not ex.links:
        return []
    # a body's name is normalised text already (a slice of it, or the folded sender/institution)
    if not any(b.status not in _NOT_SPEAKING and _ADJUDICATOR_NAME.search(b.name) for b in ex.bodies):
        return []
    faulted = {ev for f in found if f.code in _LINK_FAULTS for ev in f.evidence}
    out = []
    for link in ex.links:
        ev = item(link.field, link.raw, link.start, link.end)
        if ev not in faulted and urls.suffix_hosted(link.host, reg.shared_documents):
            out.append(Finding("CONSISTENCY_SHARED_DOCUMENT", (ev,)))
    return out


def _channels(ex: Extraction, reg: Registry, ctx: Context, fit: sender_fit.Fit) -> list[Finding]:
    inst = ctx.primary
    if inst is None:
        return []
    out: list[Finding] = []
    # A channel is the body's when it belongs to the body's family or to a body whose channels it
    # uses (a court: the SPC's platforms and 12368); one elsewhere is judged against the body's own
    # facts only, so a court whose phone we do not know is not faulted for its landline.
    used = ctx.channels or ctx.family
    own_domains = reg.domains_of(ctx.family)
    own_suffixes = reg.web_suffixes_of(ctx.family)  # a link elsewhere is not the body's, site known or not
    own_phones = reg.phones_of(ctx.family)
    used_phones = reg.phones_of(used)
    channels = 0
    all_official = True

    for link in ex.links:
        channels += 1
        owner = reg.official_owner(link.host)
        if owner and owner[1] & used:
            continue
        if own_suffixes and link.domain and ("." + link.domain).endswith(own_suffixes):
            continue
        other_body = owner is not None and _arbitration_bodies(owner[1], reg)
        # A lender's site is no shared platform: in a commission's notice, or another lender's, it is
        # not the named body's channel (a link to alipay.com does not confirm an arbitration).
        lenders = owner is not None and _platform_only(owner[1], reg)
        if is_official(link, reg) and not other_body and not lenders:
            # A shared platform (court delivery, a regulator) for a body without its own site; for
            # one with a site, another government page (an anti-fraud site): no scammer holds it,
            # but it is not the body's own channel either.
            all_official = all_official and not own_domains
            continue
        all_official = False
        if own_domains or own_suffixes or other_body:
            # A shared document is named as what it is: the reader learns more than "not the body's".
            code = ("CONSISTENCY_SHARED_DOCUMENT" if urls.suffix_hosted(link.host, reg.shared_documents)
                    else "CONSISTENCY_LINK_NOT_OFFICIAL")
            out.append(Finding(code, (item(link.field, link.raw, link.start, link.end),)))
    for mail in urls.find_emails(ex.original, ex.text, ex.links):
        # An address is a channel like a link: the body's own domain, or not the body's. A body
        # whose site we do not know may use a public mailbox; one whose site we know does not.
        channels += 1
        owner = reg.official_owner(mail.host)
        if owner and owner[1] & used:
            continue
        all_official = False
        if own_domains or (owner is not None and _arbitration_bodies(owner[1], reg)):
            out.append(Finding("CONSISTENCY_EMAIL_NOT_OFFICIAL", (item("text", mail.address, mail.start, mail.end),)))
    for p in ex.phones:
        channels += 1
        if p.key in used_phones or p.key in reg.public_numbers:
            continue
        all_official = False
        ev = (item("text", ex.original[p.start:p.end], p.start, p.end),)
        if _other_bodys(p.key, reg, used):
            out.append(Finding("CONSISTENCY_OTHER_BODY_NUMBER", ev))
        elif own_phones or (p.kind == phones.HOTLINE and inst.kind in _ARBITRATION):
            out.append(Finding("CONSISTENCY_PHONE_NOT_OFFICIAL", ev))  # commissions publish landlines, not 400s
        elif p.area and inst.city and inst.city not in p.area:
            out.append(Finding("CONSISTENCY_CITY_MISMATCH", ev))
    s = ex.sender
    if s is not None and s.kind == phones.EMAIL:
        # An e-mail's sender is an address: the body's own domain, or not the body's, as an
        # address in the text ('arb@scia.com.cn' from SCIA; 'cietac_notice@163.com' is not CIETAC).
        channels += 1
        owner = reg.official_owner(phones.email_host(s))
        if not (owner and owner[1] & used):
            all_official = False
            if own_domains or (owner is not None and _arbitration_bodies(owner[1], reg)):
                out.append(Finding("CONSISTENCY_EMAIL_NOT_OFFICIAL", (item("sender", s.raw),)))
    elif s is not None and (shown := _shown_other_body(ex, reg, used)):
        all_official = False  # the sender shows another adjudicator's name than the one the notice speaks for
        out.append(Finding("CONSISTENCY_SENDER_NAME_OTHER_BODY", (item("sender", s.raw), item("institution", shown))))
    elif s is not None and s.kind != phones.HIDDEN:
        official = s.key in used_phones or s.key in reg.senders_of(used)
        if official and fit.other is None and not fit.unplaced:
            channels += 1
        elif official and fit.other is None:
            all_official = False  # a regional port for a body of no known place (sender_fit.unplaced)
        elif _other_bodys(s.key, reg, used):  # caller id borrowed from another commission
            all_official = False
            out.append(Finding("CONSISTENCY_OTHER_BODY_NUMBER", (item("sender", s.raw),)))
        elif fit.other is not None:
            all_official = False  # another body's, or another province's, sender: SENDER_OTHER_BODY says so
        elif s.kind not in _NEUTRAL_SENDERS:
            all_official = False
            if own_phones or reg.senders_of(ctx.family):
                out.append(Finding("SENDER_NOT_OFFICIAL", (item("sender", s.raw),)))
    if inst.city:
        for c in ex.cases:
            city = _city_of_prefix(c.prefix or "", reg)
            if city and city != inst.city and c.prefix and not reg.case_prefixes.get(c.prefix, frozenset()) & ctx.family:
                all_official = False
                out.append(Finding("CONSISTENCY_CITY_MISMATCH",
                                   (item("text", ex.original[c.start:c.end], c.start, c.end),)))
    programs = _programs(ex, reg, used)
    payees, body_paid = _payees(ex, reg, ctx.family)
    out += programs + payees
    # A bank account is a channel too: it is the body's only when the notice names the body as
    # the payee ("户名：深圳国际仲裁院"); an account with no payee, or another's, is not confirmed.
    if ex.bank_cards and not body_paid:
        all_official = False
    platform = inst.kind in PLATFORM_KINDS
    if platform and not _threat(ex):
        # "我用支付宝转你了，电话139…": naming a lender in an ordinary message makes its other channels
        # no evidence; only a legal or collection threat in its name does.
        out = []
    if (all_official and channels and not programs and not payees and not _unread_callback(ex)
            and not placeholders(ex)  # a link we were not given may be anyone's
            and not _unconfirmed(ex) and not _personal_channel(ex)
            and not (platform and (ctx.named_fake or _legal_claim(ex)))):
        # A lender's own number or site says the message is the lender's, never that a case,
        # a commission or a court it speaks of is real.
        out.append(Finding("CONSISTENCY_ALL_OFFICIAL", (item("institution", inst.name),)))
    return out


def _shown_other_body(ex: Extraction, reg: Registry, used: frozenset[str]) -> str | None:
    """The name of the registered adjudicator a sender's display name names, when the notice speaks
    for another ('北京仲裁委员会' shown for a notice signed 【广州仲裁委员会】): a body's own gateway shows
    its own name. None when the names agree or either is no adjudicator."""
    for b in ex.bodies:
        if b.field != "sender" or not b.institution_id or b.status not in (names.REGISTERED, names.SUB_BRAND):
            continue
        inst = reg.institutions[b.institution_id]
        if inst.kind in ADJUDICATOR_KINDS and not reg.families[inst.id] & used:
            return inst.name
    return None


def _threat(ex: Extraction) -> bool:
    return _legal_claim(ex) or _uncautioned(ex, _THREATS)
