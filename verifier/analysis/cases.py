"""Case numbers: `（2024）穗仲案字第12345号` and its variants, and what their prefix says."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import regex

from verifier.analysis.normalise import Mapped

# (year) prefix 第 number 号 — brackets already normalised by NFKC where they have ASCII forms.
_STANDARD = regex.compile(
    r"[(\[〔【]\s?((?:19|20)\d{2})\s?[)\]〕】]\s?(\p{Han}{1,12}?)\s?第?\s?([a-z]{0,3}\d{1,8}(?:-\d{1,6})?)\s?号"
)
# Court style: （2024）粤0304执1234号 — province, court code, case type, serial.
_COURT = regex.compile(
    r"[(\[〔【]\s?((?:19|20)\d{2})\s?[)\]〕】]\s?(\p{Han}{1,3}\d{2,6}\p{Han}{1,6}?)\s?(\d{1,8})\s?号"
)
# A court's code is its high court's (粤, 京, 兵…) and a number: two digits for an intermediate court
# (京04, 京73), four for a basic one (粤0304, 浙0192) (SPC rules on case numbers, art. 5; amended by
# 法〔2018〕335号, which kept the two digits for the specialised intermediate courts, 71-99). A code of
# three, five or six digits is no court's.
_COURT_CODE_DIGITS = (2, 4)
# The high court codes of the same rules (法〔2015〕137号, annex: 高级人民法院代字): a province's one-character
# abbreviation, as lists/cities.txt writes the province. 兵 (the Xinjiang Production and Construction
# Corps' courts) and 最 are no province.
HIGH_COURT_PROVINCES = {
    "京": "北京", "津": "天津", "冀": "河北", "晋": "山西", "内": "内蒙古", "辽": "辽宁", "吉": "吉林", "黑": "黑龙江",
    "沪": "上海", "苏": "江苏", "浙": "浙江", "皖": "安徽", "闽": "福建", "赣": "江西", "鲁": "山东", "豫": "河南",
    "鄂": "湖北", "湘": "湖南", "粤": "广东", "桂": "广西", "琼": "海南", "渝": "重庆", "川": "四川", "黔": "贵州",
    "云": "云南", "藏": "西藏", "陕": "陕西", "甘": "甘肃", "青": "青海", "宁": "宁夏",
    "新": "新疆",
}

# prefix (year) number 号 — e.g. 华南国仲深裁【2014】D211号
_PREFIX_FIRST = regex.compile(
    r"(\p{Han}{2,10})\s?[(\[〔【]\s?((?:19|20)\d{2})\s?[)\]〕】]\s?第?\s?([a-z]{0,3}\d{1,8})\s?号"
)
# Looks like a case number but cannot be one: a five-digit year, letters for the serial.
_LOOSE = regex.compile(
    r"[(\[〔【]\s?\d{2,6}\s?[)\]〕】]\s?(\p{Han}{1,12}?)\s?第?\s?([a-z0-9]{0,12})\s?号"
)
# Court numbers since 2016 read （2024）粤0304民初1234号 (SPC rules on case numbers, 法〔2015〕137号); the
# old "民初字第…号" form dated 2016 or later is a court number no court issues. Arbitration
# commissions (穗仲案字), notaries (民证字), police and procurators still write 字: a prefix with
# 仲, 证, 公, 检 or 监 is not a court's.
_OLD_COURT_STYLE = regex.compile(r"(?:民|刑|执|行政|赔|破|诉)\p{Han}{0,2}字$")
# Hong Kong court and tribunal numbers: "HCA 1234/2020", "LBTC 3218/2025" (court letters, serial,
# year), as the Judiciary's cause lists write them.
_HK_COURT = regex.compile(
    r"\b(hca|hcal|hcmp|hcct|hcb|hccw|hcma|hccc|hcpi|dccj|dcmp|dcec|dcpi|dcdt|lbtc|sctc|ldbm|ldpd"
    r"|facv|famv|cacv|caci|cacc|escc|ktcc|wkcc|stcc|ftcc|flcc)\s?(\d{1,6})/((?:19|20)\d{2})\b"
)
# "案号：ZC-2024-0088" style labels whose value is not in the standard form.
_LABELLED = regex.compile(r"(?:案号|案件编号|案件号|仲裁案号|case no\.?|case number)\s?[:：]?\s?([a-z0-9][a-z0-9\-_/]{3,30})")


class CaseNumber(NamedTuple):
    """Immutable; a tuple because one is built per hit and a frozen dataclass costs 5x more."""

    raw: str
    year: int | None
    prefix: str | None
    serial: str | None
    well_formed: bool
    start: int | None
    end: int | None


def find_cases(text: Mapped, this_year: int | None = None) -> list[CaseNumber]:
    """Case numbers in the text; one is malformed with a year outside 1990..this_year + 1
    (None: this year, read from the clock only when a number with a year turns up)."""
    s = text.text
    out: list[CaseNumber] = []
    taken: list[tuple[int, int]] = []
    latest = [this_year]

    def ok_year(year: int) -> bool:
        if latest[0] is None:
            latest[0] = dt.date.today().year
        return 1990 <= year <= latest[0] + 1

    def add(a: int, b: int, year: int | None, prefix: str | None, serial: str | None, ok: bool) -> None:
        if any(x < b and a < y for x, y in taken) or len(out) >= 20:
            return
        taken.append((a, b))
        start, end = text.span(a, b)
        out.append(CaseNumber(s[a:b], year, prefix, serial, ok, start, end))

    # The first four forms need an opening bracket and 号, the labelled one 案 or "case": text
    # without them cannot hold those matches, so their patterns are not run on it.
    if "号" in s and ("(" in s or "[" in s or "〔" in s or "【" in s):
        for m in _STANDARD.finditer(s):
            year = int(m.group(1))
            prefix = m.group(2).removesuffix("第")
            old_court = (year >= 2016 and _OLD_COURT_STYLE.search(prefix) is not None
                         and not any(c in prefix for c in "仲证公检监"))
            add(m.start(), m.end(), year, prefix, m.group(3), ok_year(year) and not old_court)
        for m in _COURT.finditer(s):
            year = int(m.group(1))
            digits = sum(c.isdigit() for c in m.group(2))
            add(m.start(), m.end(), year, m.group(2), m.group(3), ok_year(year) and digits in _COURT_CODE_DIGITS)
        for m in _PREFIX_FIRST.finditer(s):
            year = int(m.group(2))
            add(m.start(), m.end(), year, m.group(1), m.group(3), ok_year(year))
        for m in _LOOSE.finditer(s):
            add(m.start(), m.end(), None, m.group(1), m.group(2), False)
    if "/" in s:
        for m in _HK_COURT.finditer(s):
            year = int(m.group(3))
            add(m.start(), m.end(), year, m.group(1), m.group(2), ok_year(year))
    if "案" in s or "case" in s:
        for m in _LABELLED.finditer(s):
            add(m.start(1), m.end(1), None, None, m.group(1), False)
    return out


def court_province(c: CaseNumber) -> str | None:
    """The province of the court that issued a court-style number ((2025)浙0102民初…), else None."""
    prefix = c.prefix or ""
    if len(prefix) < 3 or not prefix[1].isdigit():
        return None
    return HIGH_COURT_PROVINCES.get(prefix[0])
