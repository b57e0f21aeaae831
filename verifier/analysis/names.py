"""Find the bodies a notice names and judge each name against the registry and the naming law.

A lawful commercial commission is named after its city (`<city>仲裁委员会`, under the 2025 law
also `…仲裁院`); labour-dispute and rural-land commissions carry a place name too. A body
without a place, or one that only resembles a real name, is what scams invent.
"""

from __future__ import annotations

from typing import NamedTuple

import regex

from verifier.analysis.normalise import Mapped, normalise
from verifier.registry.compiled import Entry, Registry
from verifier.registry.schema import ASSOCIATION_KINDS, PLATFORM_KINDS

REGISTERED = "registered"
SUB_BRAND = "sub_brand"
LAWFUL = "lawful_pattern"
FAKE = "known_fake"
IMPOSSIBLE = "impossible_name"
NEAR_MISS = "near_miss"
NON_BODY = "non_body"
UNRECOGNISED = "unrecognised"
NOT_ADJUDICATOR = "not_adjudicator"  # a bank, a police force: named, but not as an arbitration body or court
ASSOCIATION = "association"  # the arbitration institutions' self-regulatory association: real, hears no case
# What ends a court's name (names are read lower-cased): a people's court or tribunal, a Hong Kong
# tribunal (…審裁處, read 审裁处), an English "… court".
COURT_ENDS = ("法院", "法庭", "审裁处", "court")

# Also the misspellings scams use to slip past filters (仲栽, 委会): they become near misses.
_SUFFIX_ZH = regex.compile(
    r"仲[裁栽载哉材财](?:服务|调解|管理|事务|监管|监督|执行)?(?:委员会|委元会|委会|委|院|中心|机构|协会|法庭|法院|庭|局)"
    r"|人民法院|(?:互联网|金融|知识产权|海事|铁路运输)法院|法院"
    r"|消费者(?:协会|委员会|权益保护委员会)|调解委员会"
)
_FAKE_WORDS = regex.compile(r"网络|互联网|金融|电子|数字|在线|国家|全国|中国|线上|网上|云")
_SUFFIX_EN = regex.compile(
    r"\b(?:arbitration|arbitral|dispute resolution)\s(?:commission|centre|center|court|tribunal"
    r"|committee|association|institute|board|council|authority|bureau)\b"
    r"|\bcourt of (?:[a-z-]{2,20} ){0,2}arbitration\b"
)
# Characters that end a name when reading backwards from its suffix. 打 is "call" ("可以打仲裁委官网上的
# 电话核实"), as 找 and 问 are "go to" and "ask": no body's name or place holds it.
_STOP = set(
    "的在向被已您你将于由经对和与请至到是了为及或该贵本我其等从把给让去往找来上下次周天想要会能交递提据"
    "诉申报收跟他她们说讲问这那个某此各当而打"
)
# Two-character verbs and determiners that begin a phrase, not a name, when read back from a
# suffix without a place name: "请留意仲裁委员会的通知", "当地仲裁机构" refer to a body, name none.
_LEAD_WORDS = frozenset(
    "留意 注意 关注 提交 冒充 冒用 假冒 仿冒 假借 疑似 联系 委托 收到 接到 前往 通过 依据 根据 按照 提起 移交 "
    "转交 来自 致电 拨打 咨询 查询 登录 访问 发出 出具 作出 寄送 签收 谨防 警惕 谎称 声称 自称 所谓 "
    "当地 本地 相关 有关 其他 任何 各地 各级 多家 哪家 这家 那家 一家 某个 某家 正规 合法 "
    "上级 下级 同级".split()
)
# Words that end a clause about a body, never part of one's name: "仲裁法第十条规定仲裁委员会由…",
# "合同约定仲裁委员会": read back from the suffix, the name starts after the last of them.
_CLAUSE_WORDS = frozenset("规定 约定 载明 写明 指出 表示 显示 认为 明确 组建 设立".split())
# News about the revised law, which calls every body 仲裁机构, speaks of bodies at large: after a policy
# verb ("支持仲裁机构到境外设立业务机构", "规范仲裁机构内部治理"), of a class ("境外仲裁机构", "国内仲裁机构") or
# counted ("全国依法设立285家仲裁委员会", "三家仲裁机构"). None of these words starts a name; what follows
# them is read as the name (a bare 仲裁机构 is a reference). Not in a signature: 【境外仲裁中心】 is judged whole.
_POLICY_WORDS = frozenset("支持 鼓励 引导 推动 推进 加强 规范 指导 允许 培育".split())
_CLASS_WORDS = frozenset("境外 境内 国外 国内 外国".split())  # only before the generic noun 仲裁机构
_NUMERALS = frozenset("0123456789几数两二三四五六七八九十")  # not 万家, 百家: words of their own
# A case and the existence of a body end a clause too: "您的网络仲裁案件仲裁庭已组成" names the case's
# tribunal, "县区一级不设商事仲裁委员会", "却没有区仲裁委员会" say what is not there. No name holds them.
_CLAUSE_WORDS |= frozenset("案件 一案 不设 没有 并无 设有".split())
# Verbs of impersonation end a clause too, wherever they stand ("近期有不法分子冒充仲裁委发送…"): the
# name, if any, is what follows them; no lawful body's name holds one.
_POSE_WORDS = frozenset("冒充 冒用 假冒 仿冒 假借 谎称 自称".split())
# Words that hold a stop character but are read inside a name: "送上仲裁委员会的通知" ends at 上, but
# scams put 网上/线上/在线 in front of a suffix ("網上仲裁委員會", "在线调解仲裁中心") as they do 网络, and
# titles are made of 经济, 智能, 数据, 商会 ("中国经济仲裁委员会", "大数据仲裁中心"). Read back, 在 of 在线
# or 会 of 商会 must not cut the name in two ("线调解仲裁中心").
_NAME_WORDS = frozenset(
    "在线 网上 线上 掌上 云上 经济 经贸 智能 数据 交易 社会 商会 工会 协会 总会 学会 天下 能源".split()
)
_MAX_NAME = 20
# The kind of arbitration alone, without a place, in running text ("不设商事仲裁委员会", "正规的商事仲裁机构"):
# a category, as the bare 仲裁委员会 is, not a body's name. In a signature (【商事仲裁委员会】) it is judged.
_CATEGORY = frozenset({"商事", "民商事"})
# Arbitration associations: the national one the Arbitration Law provides for (中国仲裁协会, a
# self-regulatory body of the institutions) and the provinces' and cities' (广西仲裁协会). They are lawful
# and named after their place, but handle no cases: not bodies a notice can come from.
_ASSOCIATION_SUFFIX = "仲裁协会"
# Only courts enforce an award (Arbitration Law, revised text art. 75; 1994 text art. 62):
# an arbitration body has no enforcement division, so "遵义市仲裁院执行局", "【仲裁委执行庭】" are
# invented, whatever the place in front.
_ENFORCEMENT_UNIT = regex.compile(r"执行(?:局|庭(?!审)|处|科)")
# Names kept per notice: a real one names a few; a text of one name repeated 1,400 times must not
# cost 1,400² overlap tests or a 150 KB answer.
MAX_BODIES = 50
_BARE_DIVISION = frozenset("市区县省州")
_HAN_TAIL = regex.compile(rf"\p{{Han}}{{1,{_MAX_NAME}}}\Z")
_CITY_SHI = regex.compile(r"(?<=\p{Han})市(?=仲裁)")
# Words no court's name holds before its kind: a court is named after its place and level (人民法院)
# or its field (互联网, 金融, 海事…), never after a procedure or a kind of debt: "全国调解法院", "网络借贷法院"
# are invented. In running text 纠纷 or 网贷 before 法院 is mostly the end of a clause ("产生纠纷法院会判"):
# only 调解 and the online words are read there; the rest only in a signature, 【…纠纷法院】.
_INVENTED_COURT = regex.compile(r"(?:调解|纠纷|借贷|网贷|信贷|网络|在线|线上|网上)(?:人民)?法院$")
_INVENTED_IN_TEXT = regex.compile(r"(?:调解|网络|在线|线上|网上)$")
_COURT_TAIL = regex.compile(r"(?:人民|互联网|金融|知识产权|海事|铁路运输)法院$")
# A division of a registered body: 西安仲裁委员会商洛分会, 广州仲裁委员会网络仲裁院. Commissions run
# branches and online-arbitration centres under their own name; the name is lawful, not proof.
_DIVISION = regex.compile(r"\p{Han}{0,8}?(?:分会|分院|中心|仲裁院|仲裁庭|办事处|秘书处)")
_BARE_SUFFIX = regex.compile(r"^(?:仲裁委员会|仲裁委|仲裁院|仲裁中心)$")
_EN_FAKE_WORDS = regex.compile(
    r"\b(?:internet|online|network|financ\w*|digital|electronic|national|e-|cyber|loan|credit)"
)
# A name given on its own (the request's `institution`) that has none of these does not present
# itself as an arbitration body or court (a bank, a police force, a lender): it is judged by what
# the notice does, not as an impossible body.
_CLAIMS_BODY_ZH = regex.compile(r"仲|裁|法院|法庭|委员会|委員會|委会|仲裁")
_CLAIMS_BODY_EN = regex.compile(r"arbitra|court|tribunal|dispute|judicia|justice")
_EN_WORD = regex.compile(r"\(?[a-z][a-z.&'-]*")
_EN_STOP = frozenset(
    ["the", "a", "an", "your", "you", "by", "with", "to", "at", "from", "filed", "before", "in", "this", "our", "has", "been", "dear", "of", "for", "and", "on", "is", "are", "was", "were", "be", "will", "notice", "that", "which"]
)
# Labour-dispute and rural-land commissions exist at county level everywhere: always lawful by name.
_LABOUR = ("劳动人事争议仲裁委员会", "劳动争议仲裁委员会", "劳动仲裁委员会", "劳动人事争议仲裁院",
           "农村土地承包仲裁委员会", "农村土地承包经营纠纷仲裁委员会",
           "劳动仲裁委", "劳动仲裁院", "劳动人事仲裁委", "劳动争议仲裁委", "劳动人事争议仲裁委",  # as people say them
           "劳动仲裁局", "劳动争议仲裁局",
           "审裁处")  # Hong Kong's tribunals (小额钱债审裁处, 劳资审裁处): courts, named without 法院
# Sports arbitration is lawful since the 2022 Sports Law (ch. 9, 体育仲裁): a sports body's or a
# league's arbitration committee is not a commercial commission and needs no city in its name.
# Bodies that mediate by law and carry their organiser's name, not a city's: consumer associations and
# councils (Consumer Rights Protection Law art. 37: 中国消费者协会, 广州市消费者委员会), and people's mediation
# committees, set up by villages, residents' committees and enterprises (People's Mediation Law art. 8:
# 福全街道人民调解委员会).
_MEDIATORS = ("消费者协会", "消费者委员会", "消费者权益保护委员会", "人民调解委员会")
# Any other mediation committee names who set it up (某某公司劳动争议调解委员会, 某市医疗纠纷调解委员会); one named
# only with scam words and a kind of debt (网络调解委员会, 全国金融纠纷调解委员会) is a made-up title, as 调解中心 is.
_MEDIATION = "调解委员会"
_DEBT_WORDS = regex.compile(r"纠纷|债务|借贷|网贷|信贷|贷款|逾期|催收|消费|联合|统一|民间|诉前")
_SPORTS = ("体育", "足协", "足球协会", "篮协", "篮球协会", "排协", "联赛", "奥委会")
_PLACE_END = tuple("省市区县州旗盟")
_NATIONAL = ("中国", "国家", "最高")  # read as a place for commissions (中国国际经济贸易仲裁委员会), not for courts


def registered(inst_id: str, registry: Registry) -> str:
    """The status of a registry institution named: a payment platform or lender (支付宝, 微粒贷) is
    named, with its id, but not as an arbitration body or court; the arbitration association is real
    but decides no case."""
    inst = registry.institutions[inst_id]
    if inst.kind in PLATFORM_KINDS:
        return NOT_ADJUDICATOR
    if inst.kind in ASSOCIATION_KINDS:
        return ASSOCIATION
    return SUB_BRAND if inst.parent else REGISTERED


class NamedBody(NamedTuple):
    """Immutable; a tuple because one is built per hit and a frozen dataclass costs 5x more."""

    name: str
    status: str
    institution_id: str | None
    start: int | None
    end: int | None
    field: str = "text"


def _backwards_name(text: str, end: int, registry: Registry) -> int:
    """Start index of the name ending at `end`: at the last place name before it, if any,
    else just after the nearest stop character (a preposition, pronoun, verb)."""
    run = _HAN_TAIL.search(text, max(0, end - _MAX_NAME), end)  # the Han characters before end
    window = run.start() if run else end
    window = max(window, text.rfind("的", window, end) + 1)  # "柳州这边的仲裁委员会": no name holds 的
    firsts = registry.prepared.place_firsts
    for i in range(end - 2, window - 1, -1):
        if text[i] not in firsts:
            continue  # no place name starts with this character
        for n in (2, 3, 4, 5):
            if i + n > end:
                break
            piece = text[i:i + n]
            if piece in registry.cities or piece in registry.provinces:
                return i
    start = end
    while start > window and (text[start - 1] not in _STOP or _in_word(text, start - 1, end)):
        start -= 1
    for i in range(end - 2, start - 1, -1):
        if text[i:i + 2] in _CLAUSE_WORDS or text[i:i + 2] in _POSE_WORDS:
            start = i + 2
            break
    if not _in_signature(text, start):  # a signature is judged whole, spaced out too: 【 支 持 …
        start = _after_talk_of_bodies(text, start, end)
    if start > 0 and text[start - 1:start + 1] in _LEAD_WORDS:  # "当地…": 当 stopped the reading
        start += 1
    while text[start:start + 2] in _LEAD_WORDS and start + 2 <= end:  # "留意仲裁委员会", "冒充仲裁机构"
        start += 2
    return start


def _after_talk_of_bodies(text: str, start: int, end: int) -> int:
    """Start of the name after the last policy verb, class word or count in text[start:end], if any."""
    for i in range(end - 1, start - 1, -1):
        if text[i] == "家" and text[max(0, i - 3):i].rstrip()[-1:] in _NUMERALS:  # "285家", "2 8 5 家"
            return i + 1
        word = text[i:i + 2]
        if i + 2 <= end and (word in _POLICY_WORDS or (word in _CLASS_WORDS and text.startswith("仲裁机构", i + 2))):
            return i + 2
    return start


def _in_signature(text: str, a: int) -> bool:
    """The name at a opens a bracketed signature, spaces allowed between ("【 商 事 仲 裁 …】")."""
    return text[max(0, a - 8):a].rstrip()[-1:] in ("【", "[")


def _in_word(text: str, i: int, end: int) -> bool:
    """The stop character at i is part of a word of _NAME_WORDS within the name read back."""
    return text[i - 1:i + 1] in _NAME_WORDS or (i + 2 <= end and text[i:i + 2] in _NAME_WORDS)


def _organiser(text: str, end: int, registry: Registry) -> int | None:
    """Start of the organiser named right before a title such as 调解中心 or 法务部: a place and then
    who it is ("上海银行业纠纷调解中心", "深圳某某科技有限公司法务部"). None when the title stands bare, after
    a place alone ("鹰潭调解中心", which scams sign) or after words that name no one ("全国调解中心")."""
    start = _backwards_name(text, end, registry)
    head = text[start:end]
    place = max((n for n in (2, 3, 4, 5) if head[:n] in registry.cities or head[:n] in registry.provinces), default=0)
    if place and head[place:place + 1] in _BARE_DIVISION:
        place += 1
    return start if place and len(head) - place >= 2 else None


def _place_prefix(name: str, registry: Registry) -> int:
    """Length of the leading place name (city or province, with 市/省), 0 if none."""
    best = 0
    if not name or (name[0] not in registry.prepared.place_firsts and name[0] not in "中国最"):
        return 0  # no place name (nor 中国, 国家, 最高) starts with this character
    for n in range(2, min(len(name), 10) + 1):
        head = name[:n]
        if head in registry.cities or head in registry.provinces or head in ("中国", "国家", "最高"):
            best = n
    if best and name[best:best + 1] in ("市", "省"):
        best += 1
    elif best and name[best:best + 1] == "州" and (city := registry.cities.get(name[:best])) and city.full.endswith("自治州"):
        best += 1  # an autonomous prefecture written short with 州: 黔南州, 恩施州, 大理州
    return best


def judge_chinese(name: str, registry: Registry) -> tuple[str, str | None]:
    canon = _CITY_SHI.sub("", name)
    # "广州仲裁委" is how people (and senders' display names) shorten 广州仲裁委员会.
    full = canon[:-3] + "仲裁委员会" if canon.endswith("仲裁委") else canon  # not 仲裁委会: a misspelling scams use
    for key in (name, canon, canon.removeprefix("中国"), full):
        if key in registry.names:
            return registered(registry.names[key], registry), registry.names[key]
    if name in registry.fake_names or canon in registry.fake_names:
        return FAKE, None
    if name in registry.non_bodies:
        return NON_BODY, None
    if canon.endswith(_LABOUR) or canon.endswith(_MEDIATORS) or any(w in canon for w in _SPORTS):
        return LAWFUL, None
    if canon.endswith(_MEDIATION):
        head = _DEBT_WORDS.sub("", _FAKE_WORDS.sub("", canon[:-len(_MEDIATION)]))
        return (NOT_ADJUDICATOR if head else NON_BODY), None
    if not _CLAIMS_BODY_ZH.search(canon):
        return NOT_ADJUDICATOR, None
    place = _place_prefix(canon, registry)
    rest = canon[place:]
    if rest.endswith("法院") and "仲" not in rest:  # "互联网仲裁法院": no court arbitrates, no commission judges
        if _INVENTED_COURT.search(rest):
            return IMPOSSIBLE, None
        if place and rest in ("人民法院", "市人民法院") and canon[:place].rstrip("市") in registry.cities:
            return IMPOSSIBLE, None  # a prefecture's courts are 中级/高级人民法院, never "X市人民法院"
        national = canon[:2] in _NATIONAL  # a court is named after its place; "中国互联网法院" names none
        head = _COURT_TAIL.sub("", canon if national else rest)
        if (place and not national) or head.endswith(_PLACE_END):
            return LAWFUL, None
        if not _FAKE_WORDS.search(head) and "仲裁" not in head:
            return UNRECOGNISED, None
    elif place:
        middle = rest
        for mod in registry.body_modifiers:  # before the suffix: "赣州国际仲裁院" is <city>国际 + 仲裁院
            middle = middle.replace(mod, "")
        if not _BARE_SUFFIX.sub("", middle):
            return LAWFUL, None
        if middle == _ASSOCIATION_SUFFIX and canon[:place].rstrip("市省") not in ("国家", "最高"):
            return ASSOCIATION, None  # a province's or city's association: real, hears no case
    for n in range(len(canon) - 2, 3, -1):  # the longest registered name it starts with
        if (canon[:n] in registry.names and _DIVISION.fullmatch(canon, n)
                and registry.institutions[registry.names[canon[:n]]].kind not in PLATFORM_KINDS):
            return LAWFUL, None  # a lender has no arbitration division ("支付宝仲裁中心" is invented)
    head = canon[:canon.find("仲")] if "仲" in canon else ""
    if head and not _FAKE_WORDS.sub("", head):
        return IMPOSSIBLE, None  # "网上仲裁委员会" is made of scam words, not a misspelt 上海仲裁委员会
    match = registry.near_names.best(canon, 80) if len(canon) >= 4 else None
    if match:
        return NEAR_MISS, registry.names[match]
    return IMPOSSIBLE, None


def judge_english(name: str, registry: Registry) -> tuple[str, str | None]:
    key = name.lower().strip()
    if key in registry.english_names:
        return registered(registry.english_names[key], registry), registry.english_names[key]
    if key in registry.fake_names:
        return FAKE, None
    if not _CLAIMS_BODY_EN.search(key):
        return NOT_ADJUDICATOR, None
    match = registry.near_english.best(key, 88)
    if match:
        return NEAR_MISS, registry.english_names[match]
    if _EN_FAKE_WORDS.search(key):
        return IMPOSSIBLE, None
    return UNRECOGNISED, None


def judge(name: str, registry: Registry) -> tuple[str, str | None]:
    return judge_english(name, registry) if name.isascii() else judge_chinese(name, registry)


def display_name(sender: str, registry: Registry) -> NamedBody | None:
    """The body a sender shown as a name names ('北京仲裁委员会', '广州仲裁委', 'CIETAC': some apps and
    gateways show a name for the number). Set by whoever sends, it proves nothing; it says whose
    channels the notice's must be. None when it names no body nor registry institution ('x', 'Info'),
    or only sounds like one ('ARB-COURT'): an ID, not a name to judge."""
    name = normalise(sender).text.strip()[:100]
    if len(name) < 2:
        return None
    status, inst = judge(name, registry)
    if (status == NOT_ADJUDICATOR and inst is None) or status == UNRECOGNISED:
        return None
    return NamedBody(name, status, inst, None, None, field="sender")


def word_bounded(s: str, a: int, b: int) -> bool:
    """An ASCII term must not be part of a longer word ('national' inside 'international')."""
    if not s[a:b].isascii():
        return True
    before = s[a - 1] if a > 0 else " "
    after = s[b] if b < len(s) else " "
    return not _WORDISH(before) and not _WORDISH(after)


def _WORDISH(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in "_-@")


def find_bodies(text: Mapped, registry: Registry,
                matches: list[tuple[int, Entry]] | None = None) -> list[NamedBody]:
    """Named bodies; `matches` is registry.automaton.iter(text.text) when the caller has it."""
    s = text.text
    found: list[NamedBody] = []
    taken = bytearray(len(s))  # 1 where a name was found: overlap tests cost the name's length

    def add(a: int, b: int, status: str, inst: str | None) -> None:
        if len(found) >= MAX_BODIES or 1 in taken[a:b]:
            return
        taken[a:b] = b"\x01" * (b - a)
        start, end = text.span(a, b)
        found.append(NamedBody(s[a:b], status, inst, start, end))

    # Names read back from an arbitration or court suffix: "最高人民法院网络仲裁庭" is one name.
    read: list[tuple[int, int, str, str | None]] = []
    judged: dict[str, tuple[str, str | None]] = {}  # a name repeated 1,000 times is judged once
    # Every suffix holds 仲, 法院, 消费者 or 调解 (and every English one "arbitra" or "dispute resolution"):
    # text without them is not searched for one.
    for m in _SUFFIX_ZH.finditer(s) if "仲" in s or "法院" in s or "消费者" in s or "调解" in s else ():
        if len(read) >= MAX_BODIES:
            break
        a = _backwards_name(s, m.start(), registry)
        b = m.end()
        if m.group(0).startswith("仲") and (unit := _ENFORCEMENT_UNIT.match(s, b)):
            if b - a > len(m.group(0)) or _in_signature(s, a):
                read.append((a, unit.end(), IMPOSSIBLE, None))  # named, or a signature: "【仲裁委执行庭】"
            continue  # "所谓仲裁委执行局": a reference, as the bare 仲裁委员会 is
        if m.group(0).endswith("庭") and not _FAKE_WORDS.search(s[a:m.start()]):
            continue  # "仲裁庭已组成", "第二仲裁庭": the tribunal or a hearing room, not a body
        before = s[a:m.start()]
        if m.group(0) == "法院" and not (_INVENTED_COURT.search(s, a, b) and (
                _INVENTED_IN_TEXT.search(before) or (a > 0 and s[a - 1] in "【[" and s[b:b + 1] in "】]"))):
            continue  # "全国法院", "吉林电子法院", "上海法院": courts at large or a platform; an invented one is judged
        if (m.group(0).startswith("仲") and m.group(0).endswith("法院") and before
                and not _FAKE_WORDS.search(before) and not _place_prefix(before, registry)):
            continue  # "常设仲裁法院" (the PCA in The Hague) in the news; "互联网仲裁法院", "北京仲裁法院" are judged
        if s[a:m.start()] in _BARE_DIVISION and not (a > 0 and s[a - 1] in "【["):
            continue  # "本市仲裁委员会", "某某市仲裁委员会": the place word alone refers, names no body
        if s[a:m.start()] in _CATEGORY and not _in_signature(s, a):
            continue  # "不设商事仲裁委员会": the kind of body, named by no one
        if b - a <= len(m.group(0)) or s[a:b] == "人民调解委员会":
            if a > 0 and s[a - 1] in "【[" and s[b:b + 1] in "】]" and "仲" in m.group(0):
                read.append((a, b, IMPOSSIBLE, None))  # "【仲裁中心】": a body with no name at all
            elif a > 0 and s[a - 1] in "【[" and s[b:b + 1] in "】]" and m.group(0) == _MEDIATION:
                read.append((a, b, NON_BODY, None))  # "【人民调解委员会】": whose? a title, no body
            continue  # "本仲裁委员会", "该法院", "找人民调解委员会调解": a reference, not a name
        if (verdict := judged.get(s[a:b])) is None:
            verdict = judged[s[a:b]] = judge_chinese(s[a:b], registry)
        read.append((a, b, *verdict))

    # Longest registry and pattern-list names first, found by the automaton.
    hits = []
    for end_idx, (terms, _needed_by) in registry.automaton.iter(s) if matches is None else matches:
        for t in terms:
            if t.kind in ("institution", "fake", "non_body"):
                hits.append((end_idx + 1 - t.length, end_idx + 1, t))
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    for a, b, t in hits:
        if len(found) >= MAX_BODIES:
            break
        if not word_bounded(s, a, b):
            continue
        if any(x <= a and b < y for x, y, _st, _i in read):
            continue  # a real name inside a longer invented one ("最高人民法院网络仲裁庭")
        if t.kind == "institution":
            add(a, b, registered(t.key, registry), t.key)
        elif (t.kind == "non_body" and (owner := _organiser(s, a, registry)) is not None
              and not any(owner < y and x < a for x, y, _st, _i in read)):
            # "上海银行业纠纷调解中心": a named body's unit, no bare title. After a court's or commission's
            # name ("朝阳区人民法院诉前调解中心") that name is judged itself and the title stays a warning.
            add(owner, b, NOT_ADJUDICATOR, None)
        elif t.kind == "fake":
            # "互联网金融仲裁委员会": a listed fake with more scam words in front is that fake, named whole.
            a = min((x for x, y, _st, _i in read if y == b and x < a and not _FAKE_WORDS.sub("", s[x:a])), default=a)
            add(a, b, FAKE, None)
        else:
            add(a, b, NON_BODY, None)

    for a, b, status, inst in sorted(read, key=lambda r: (r[0] - r[1], r[0])):
        add(a, b, status, inst)

    for m in _SUFFIX_EN.finditer(s) if "arbitra" in s or "dispute resolution" in s else ():
        words = s[: m.start()].split(" ")[-7:-1] if s[: m.start()].endswith(" ") else []
        lead: list[str] = []
        for w in reversed(words):
            if not _EN_WORD.fullmatch(w) or w in _EN_STOP:
                break
            lead.insert(0, w)
            if w.startswith("("):
                break
        a = m.start() - sum(len(w) + 1 for w in lead)
        if lead and lead[0].startswith("("):
            a += 1
        name = s[a: m.end()]
        if not lead and not name.startswith("court of"):
            continue  # "the arbitration commission": a reference, not a name
        status, inst = judge_english(name, registry)
        add(a, m.end(), status, inst)
        if len(found) >= MAX_BODIES:
            break
    found.sort(key=lambda f: f.start or 0)
    return found
