"""Phone numbers and sender IDs: find them in text and say what kind of line each is.

China numbering: personal mobiles, virtual-operator segments (registry), 106 SMS service
ports, 95/96 and 12xxx short numbers, 400/800 hotlines, landlines with area codes, foreign.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
import regex
from phonenumbers import geocoder

from verifier.analysis.normalise import Mapped, ascii_digits

# Digits with the separators people (and scammers) put between them; no nested quantifiers. The
# dashes of word processors and phone keyboards ('010—82217788', '138‐0013‐8000') are hyphens too.
_NUMBER = regex.compile(r"(?<![0-9a-z])(?:\+|00)?\d(?:[ \-.()（）\u2010-\u2015\u2212]{0,3}\d){4,21}(?![0-9a-z])")
_BRACKETED_CODES = frozenset({"852", "853", "886"})
# A number right after such a label is a code to type in, not a line to call: court e-delivery
# SMS carry "验证码123456" beside the official link.
_CODE_LABEL = regex.compile(
    r"(?:验证码|校验码|动态码|取件码|提取码|查询码|查阅码|识别码|授权码|密码|口令|\bcode|\bpin|\botp)"
    r"\s?(?:为|是|:|：)?\s?\Z"
)
# A number right after such a label is a bank account whatever its length: company accounts run
# to 20-odd digits ('对公账户…账号 4200 1234 5678 9012 3456'), longer than a card's 16-19. Hong
# Kong writes 戶口 for a bank account ('滙豐銀行戶口 123-456789-888').
_ACCOUNT_LABEL = regex.compile(
    r"(?:账号|帐号|账户|帐户|卡号|户口(?:号码|号)?|\baccount(?:\sno\.?|\snumber)?)\s?(?:为|是|:|：)?\s?\Z"
)
# A landline and its extension joined by a hyphen or space ('010-82217788-8025', '0755 83501700 8012'):
# read as one run of digits it is no number at all, so the landline went unread.
_EXTENSION = regex.compile(r"(0\d{2,3}[ \-]?\d{7,8})[ \-](\d{1,5})")
# A 95/96 number and its extension ('95013-8866'): 95 numbers run to eight digits at most, so a
# longer run after one is an extension, as after a landline.
_SHORT_EXTENSION = regex.compile(r"(9[56]\d{3,6})[ \-\u2010-\u2015](\d{1,5})")
# A sender or number written with a scheme ('tel:+861082217788', 'sms:10690…').
_SCHEME = regex.compile(r"\A(?:tel|sms|callto)\s?:\s?", regex.IGNORECASE)
# An address as the sender of an e-mail ('arb@scia.com.cn'): a channel judged by its domain.
# The host is one run of label characters and dots (no nested repeat), checked after the match.
_ADDRESS = regex.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}@([a-z0-9][a-z0-9.-]{0,252})")
# A label that asks the reader to call: a run of digits right after one is a number to call.
_CALL_LABEL = regex.compile(
    r"(?:电话|致电|拨打|来电|热线|座机|联系|咨询|\bcall|\bphone|\btel)\s?(?:号码|电话)?\s?(?:为|是|:|：)?\s?\Z",
    regex.IGNORECASE,
)
# Hong Kong writes its numbers without +852 (8 digits: '致電 5123 4567') and pays by FPS (轉數快) to an
# FPS ID of 7-9 digits or a phone ('FPS to 98765432'). Read so only in a notice that is Hong Kong's by
# its own marks (read in the normalised text): its currency, FPS, a tribunal (審裁處), HKIAC, a .hk site,
# +852 elsewhere; or 香港/Hong Kong in traditional script. Mainland text keeps its 8-digit runs unread
# (a local landline without its area code, a reference).
_HK_MARKS = regex.compile(r"hk\$|\bhkd\b|港元|港币|转数快|\bfps\b|审裁处|\bhkiac\b|香港国际仲裁中心|\.hk\b|\+\s?852|\(852\)")
_HK_NAMED = regex.compile(r"香港|hong\s?kong")
# Characters only traditional script writes (the simplified forms differ): a notice in them with
# 香港 in it is written in Hong Kong (or Macao or Taiwan, whose numbers are not 8-digit HK numbers).
_TRADITIONAL = regex.compile(r"[請於為們閣電話號碼處將會與這個錢費資單戶賬帳屬聯繫銀機構審應須時間書則額內]")
_FPS_LABEL = regex.compile(r"(?:转数快|\bfps\b)[^0-9\n。；;]{0,14}\Z")
# A run after such a label is a reference, not a number to call ('訂單編號 12345678', 'Ref. No. 20251234').
_REFERENCE_LABEL = regex.compile(r"(?:编号|单号|订单|参考号|\bref(?:erence)?\.?(?:\s?no\.?)?|\bno\.|#)\s?(?:为|是|:|：)?\s?\Z")
# The words phones and gateways show for a withheld caller id (compared with spaces removed).
_HIDDEN = frozenset({"unknown", "private", "hidden", "anonymous", "未知", "未知号码", "隐藏号码", "私人号码", "无号码",
                     "nocallerid", "privatenumber", "unknownnumber", "unknowncaller", "withheld", "restricted",
                     "号码隐藏", "未显示号码", "无来电显示"})


def _address(compact: str) -> bool:
    """The whole sender is one mailbox whose host is labels joined by dots."""
    m = _ADDRESS.fullmatch(compact)
    if m is None:
        return False
    labels = m[1].split(".")
    return len(labels) > 1 and all(lab and not lab.startswith("-") and not lab.endswith("-") for lab in labels)

MOBILE = "mobile"
VIRTUAL = "virtual_operator"
SERVICE_PORT = "service_port"
SHORT = "short_number"
HOTLINE = "hotline_400_800"
LANDLINE = "landline"
FOREIGN = "foreign"
BANK_CARD = "bank_card"
FPS_ID = "fps_id"  # a Hong Kong FPS (轉數快) payee: an FPS ID or a phone money is sent to
ALPHANUMERIC = "alphanumeric"
EMAIL = "email"
HIDDEN = "hidden"
OTHER = "other"


class Phone(NamedTuple):
    """Immutable; a tuple because one is built per hit and a frozen dataclass costs 5x more."""

    raw: str
    key: str  # national digits for China (no +86), '+<cc><digits>' for foreign numbers
    kind: str
    start: int | None = None
    end: int | None = None
    area: str | None = None  # landline: geographic description, e.g. 广东省广州市


def digits_key(value: str) -> str:
    """The comparable form of a number: national digits, or +<country><digits> if foreign."""
    v = ascii_digits(unicodedata.normalize("NFKC", value)).strip()  # full-width digits and plus: '＋８６ １３８…'
    plus = v.startswith(("+", "00"))
    digits = "".join(c for c in v if c.isdecimal() and c.isascii())
    if v.startswith("00"):
        digits = digits[2:]
    if not digits:
        return ""
    if plus or (digits.startswith("86") and len(digits) == 13 and digits[2] == "1"):
        if digits.startswith("86"):
            return _national(_trunk(v, digits[2:]))
        return "+" + digits
    if digits.startswith("86") and 11 <= len(digits) <= 13 and _area(_national(_trunk(v, digits[2:]))):
        # China's calling code without its '+' ('86-755-25831663', SCIA's own page; '8610-82217788'):
        # no national number begins 86 (landlines begin 0), and what follows is a landline.
        return _national(_trunk(v, digits[2:]))
    return _local_short(digits)


def _trunk(written: str, rest: str) -> str:
    """The national digits after 86 without a trunk 0 written in brackets ('+86 (0)10 8221 7788')."""
    if rest.startswith("0") and regex.search(r"86\D{0,2}[(（]\s?0\s?[)）]", written):
        return rest[1:]
    return rest


def _local_short(digits: str) -> str:
    """A short number dialled or shown after an area code ('010-12368', '02096110': outside its
    area the courts' 12368 and the police's 96110 are reached so) is that short number. Area codes
    beginning 1 or 2 have two digits after the 0, the others three; local numbers have seven or eight
    digits, so no landline is this short."""
    if digits.startswith("0") and len(digits) in (8, 9):
        rest = digits[3:] if digits[1] in "12" else digits[4:]
        if len(rest) == 5 and rest.startswith(("12", "95", "96")):
            return rest
    if _AREA_AFTER.fullmatch(digits):
        return digits[:5]
    return digits


# The police's SMS alarm number 12110 is also written with the area code after it: its last three
# digits (12110010 Beijing, 12110755 Shenzhen: 央视新闻, "在12110後加上電話區號後3位") or, in
# Hebei's older form, the whole code (121100311 Shijiazhuang: 燕赵都市报 2014-01-03); both are
# the registry's sources for 12110. Either is the police's line for that city.
_AREA_AFTER = regex.compile(r"12110(?:010|02\d|0?[3-9]\d\d)")


def _national(rest: str) -> str:
    """A number after +86 in national form: mobiles, 400/800, 95/96 and other short numbers carry
    no trunk 0; a landline does ('+86 10 8221 7600' is Beijing's 010-82217600, '+86 411 …' Dalian's
    0411-…, '+86 991 …' Urumqi's 0991-…: area codes also begin with 1, 4, 8 and 9)."""
    if _AREA_AFTER.fullmatch(rest):
        return rest[:5]
    short = _local_short("0" + rest)
    if len(short) == 5:
        return short  # an area code and a short number ('+86 551 96110' is Hefei's 0551-96110: 96110)
    if len(rest) < 9 or (rest.startswith(("95", "96")) and len(rest) <= 8):
        return rest
    if rest[0] == "1" and not (rest.startswith("10") and len(rest) == 10 and not rest.startswith("106")):
        return rest  # a mobile (11 digits), a 106 service port (read so even when 10 digits long)
    if rest.startswith(("400", "800")) and len(rest) == 10:
        return rest
    return "0" + rest


@lru_cache(maxsize=4096)
def _area(key: str) -> str | None:
    try:
        n = phonenumbers.parse(key, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return geocoder.description_for_number(n, "zh") or None


@lru_cache(maxsize=4096)
def foreign_mobile(key: str) -> bool:
    """A foreign number ('+853 6612 3456', '+852 5123 4567', '+65 8123 4567') that its country's
    plan gives to mobiles only: a person's phone, as a mainland 13x number is."""
    try:
        n = phonenumbers.parse(key)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(n) == phonenumbers.PhoneNumberType.MOBILE


def classify(key: str, virtual_prefixes: tuple[str, ...]) -> str:
    if not key:
        return OTHER
    if key.startswith("+"):
        return FOREIGN
    n = len(key)
    if n == 11 and key[0] == "1" and key[1] in "3456789":
        return VIRTUAL if key.startswith(virtual_prefixes) else MOBILE
    if key.startswith("106") and 8 <= n <= 20:
        return SERVICE_PORT
    if key.startswith(("400", "800")) and n == 10:
        return HOTLINE
    if (key.startswith(("95", "96")) and 5 <= n <= 8) or (key.startswith(("12", "10", "11")) and 3 <= n <= 6):
        return SHORT
    if key[0] == "0" and 10 <= n <= 12 and key[1] != "0":
        return LANDLINE if _area(key) else OTHER
    if 16 <= n <= 19 and key[0] in "3456" and not identity_number(key):
        return BANK_CARD
    return OTHER


# The first two digits of a resident identity number: the province (GB 11643, GB/T 2260), and
# 71/81/82/91 for Taiwan, Hong Kong, Macao and abroad.
_PROVINCES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
                       "61 62 63 64 65 71 81 82 91".split())


def identity_number(key: str) -> bool:
    """Eighteen digits shaped as a resident identity number (a province and region, a birth date, a
    sequence; the check digit is not tested, so a mistyped one still reads): Hubei's court
    e-service SMS gives one as the reader's sign-in account ('账号 4209…'); it is no bank card to
    pay into. A card of that length whose digits seven to fourteen also form a date is rare."""
    if len(key) != 18 or not key.isdigit() or key[:2] not in _PROVINCES:
        return False
    year, month, day = int(key[6:10]), int(key[10:12]), int(key[12:14])
    if not 1900 <= year <= 2099:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def parse_sender(sender: str, virtual_prefixes: tuple[str, ...]) -> Phone:
    raw = sender.strip()
    # Full-width digits ('１３８００１３８０００'), invisible characters, a tel: scheme.
    plain = _SCHEME.sub("", ascii_digits("".join(c for c in unicodedata.normalize("NFKC", raw)
                                                 if unicodedata.category(c) != "Cf")))
    compact = "".join(plain.split()).lower()
    if not compact or compact in _HIDDEN:
        return Phone(raw, "", HIDDEN)
    if _address(compact):
        return Phone(raw, compact, EMAIL)
    if any(c.isalpha() for c in compact) and not compact.startswith("+"):
        return Phone(raw, compact, ALPHANUMERIC)
    key = digits_key(plain)
    kind = classify(key, virtual_prefixes)
    if kind == OTHER and (ext := _SHORT_EXTENSION.fullmatch(plain.strip())):
        key, kind = ext[1], classify(ext[1], virtual_prefixes)
    if kind == OTHER and not plain.lstrip().startswith(("+", "00")) and (landline := without_trunk(key)):
        key, kind = landline, LANDLINE  # a caller id shown without its trunk 0
    return Phone(raw, key, kind, area=_area(key) if kind == LANDLINE else None)


def without_trunk(key: str) -> str | None:
    """A landline written without its trunk 0 ('1082217788' for Beijing's 010-82217788, as some
    gateways show a caller and some people write it): the national form, or None. Mobiles (11
    digits, 1[3-9]), 106 ports, 95/96, 400/800 and short numbers are read before this and never get here."""
    if not 10 <= len(key) <= 11 or key[0] == "0" or not key.isdigit():
        return None
    return "0" + key if _area("0" + key) else None


def email_host(sender: Phone) -> str:
    """The domain of an e-mail sender ('arb@scia.com.cn' -> 'scia.com.cn')."""
    return sender.key.rsplit("@", 1)[-1] if sender.kind == EMAIL else ""


def hong_kong(text: Mapped, original: str) -> bool:
    """The notice is Hong Kong's by its own marks (see _HK_MARKS)."""
    s = text.text
    return _HK_MARKS.search(s) is not None or (_HK_NAMED.search(s) is not None and _TRADITIONAL.search(original) is not None)


# Macao and Taiwan write their numbers without a calling code too: Macao's 8 digits (6xxxxxxx mobiles,
# 28xxxxxx lines), Taiwan's with a trunk 0 (09xx-xxx-xxx mobiles, 02-xxxx-xxxx, 0800 free lines), which
# a mainland reader would take for a mainland landline (0912 is Yulin's code, 022 Tianjin's). Read so
# only in a notice that is theirs by its own marks (currency, site, calling code) or names the place in
# traditional script, as for Hong Kong.
_MO_MARKS = regex.compile(r"\bmop\b|澳门元|澳门币|葡币|\.mo\b|\+\s?853|\(853\)")
_MO_NAMED = regex.compile(r"澳门|\bmaca[ou]\b|初级法院|终审法院")
_TW_MARKS = regex.compile(r"\bnt\$|新台币|\btwd\b|\.tw\b|\+\s?886|\(886\)|中华民国")
_TW_NAMED = regex.compile(r"台湾|台北|新北|桃园|台中|台南|高雄|地方法院|\btaiwan\b|\btaipei\b")


def local_plan(text: Mapped, original: str) -> str | None:
    """The calling code of the place a notice is written in, when it is Hong Kong, Macao or Taiwan
    by its own marks ('852', '853', '886'); None for any other notice."""
    if hong_kong(text, original):
        return "852"
    s = text.text
    traditional = _TRADITIONAL.search(original) is not None
    if _MO_MARKS.search(s) or (traditional and _MO_NAMED.search(s)):
        return "853"
    if _TW_MARKS.search(s) or (traditional and _TW_NAMED.search(s)):
        return "886"
    return None


@lru_cache(maxsize=1024)
def _valid_in(code: str, digits: str) -> bool:
    """The national digits are a line in that place's plan (Hong Kong: 2/3 fixed, 4-9 mobile and others)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(f"+{code}{digits}"))
    except phonenumbers.NumberParseException:
        return False


def _local_reading(text: Mapped, raw: str, key: str, a: int, code: str) -> tuple[str, str] | None:
    """A run in a Hong Kong, Macao or Taiwan notice: an FPS payee after 轉數快/FPS (7-9 digits, Hong
    Kong), or a local number written without its calling code; None when it is neither."""
    if raw.startswith(("+", "00")) or not key.isdigit():
        return None
    if code == "852" and 7 <= len(key) <= 9 and _FPS_LABEL.search(text.text, max(0, a - 24), a):
        return key, FPS_ID
    if _REFERENCE_LABEL.search(text.text, max(0, a - 16), a):
        return None
    if code in ("852", "853") and len(key) == 8 and _valid_in(code, key):
        return f"+{code}{key}", FOREIGN
    if code == "886" and key[0] == "0" and 9 <= len(key) <= 10 and _valid_in(code, key[1:]):
        return f"+886{key[1:]}", FOREIGN
    return None


def find_phones(text: Mapped, virtual_prefixes: tuple[str, ...], skip: list[tuple[int, int]],
                original: str = "") -> list[Phone]:
    """Numbers in the normalised text, except inside `skip` spans (links, case numbers); in a Hong
    Kong, Macao or Taiwan notice (of `original`) also its local numbers, and Hong Kong's FPS payees."""
    out: list[Phone] = []
    plan: str | None = ""  # local_plan, decided the first time a run could be a local number there
    for m in _NUMBER.finditer(text.text):
        a, b = m.span()
        if any(s <= a < e or s < b <= e for s, e in skip):
            continue
        before = text.text[max(0, a - 1):a]
        after = text.text[b:b + 1]
        if before in ("第", "¥", "$", "￥") or after in ("号", "元", "年", "月", "日", "万", "%", "块"):
            continue
        if _CODE_LABEL.search(text.text, max(0, a - 8), a):
            continue
        raw = m.group(0)
        if before in ("(", "（") and raw[3:4] in (")", "）") and raw[:3] in _BRACKETED_CODES:
            raw = "+" + raw  # '(853) 2875 2088': a calling code in brackets, as HK, Macao, Taiwan write it
        key = digits_key(raw)
        kind = classify(key, virtual_prefixes)
        if (kind == OTHER and 10 <= len(key) <= 25 and not identity_number(key)
                and _ACCOUNT_LABEL.search(text.text, max(0, a - 10), a)):
            kind = BANK_CARD
        if kind == OTHER and (ext := _EXTENSION.fullmatch(raw)) and classify(digits_key(ext[1]), virtual_prefixes) == LANDLINE:
            raw, key, kind, b = ext[1], digits_key(ext[1]), LANDLINE, a + ext.end(1)
        if kind == OTHER and (ext := _SHORT_EXTENSION.fullmatch(raw)) and classify(ext[1], virtual_prefixes) == SHORT:
            raw, key, kind, b = ext[1], ext[1], SHORT, a + ext.end(1)
        if (kind == OTHER and not raw.startswith(("+", "00")) and (landline := without_trunk(key))
                and _CALL_LABEL.search(text.text, max(0, a - 10), a)):
            key, kind = landline, LANDLINE  # '请致电1082217788': a number to call, its trunk 0 left out
        if (kind == OTHER and 7 <= len(key) <= 9) or (kind in (LANDLINE, OTHER) and key[:1] == "0" and 9 <= len(key) <= 10):
            if plan == "":
                plan = local_plan(text, original)
            if plan and (read := _local_reading(text, raw, key, a, plan)):
                key, kind = read
        if kind == OTHER:
            continue
        start, end = text.span(a, b)
        out.append(Phone(text.text[a:b], key, kind, start, end, _area(key) if kind == LANDLINE else None))
        if len(out) >= 50:
            break
    return out
