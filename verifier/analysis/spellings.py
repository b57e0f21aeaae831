"""Key legal words written to slip past keyword filters, read back as the words they stand for.

Scam SMS spell the words a filter looks for another way: a homophone or variant character
(仲才, 冲裁委, 法阮, 执刑局), the word's pinyin mixed into it ("wang络zhong裁委员会",
"zhongcai委员会") or its pinyin initials ("zc委", "提交zcw裁决"); and 微信 or QQ as "加vx", "V信", "扣扣号". Each rewrite needs the context
that makes it a name or a legal term (an institution suffix after it, Chinese on both sides), so
real words (冲裁模具, 居中裁判, 执刑, a handle "zc2025") stay as they are. Offsets are kept by
Mapped.sub: a rewritten word maps back to the whole span it replaced.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import regex

if TYPE_CHECKING:
    from verifier.analysis.normalise import Mapped

# What follows an arbitration word in a body's name or a notice's title.
_BODY_NEXT = r"(?:委员会|委会|委|院|庭|中心|机构|通知|案|裁决)"
# Homophones and variants of 仲 or 裁 before such a suffix: 冲裁委, 中裁委, 仲才院, 仲财中心 (仲栽 and
# 仲载 are read as near misses of real names, so they are left to the name check).
_ARBITRATION = regex.compile(
    rf"(?:[中冲重钟忠众种]裁|仲[才财材])(?={_BODY_NEXT})"
)
# Variants of 法院 that are no word of their own, and 执刑 where only 执行 can stand (执刑局).
_COURT = regex.compile(r"法[阮垸]|[珐砝]院|执刑(?=局|庭|人员|法官)")
# Words a notice's name or threat is built of, and their syllables: a word written partly or
# wholly in pinyin ("wang络", "zhong裁", "zhongcai委员会").
_WORDS = {
    "仲裁": ("zhong", "cai"),
    "网络": ("wang", "luo"),
    "互联网": ("hu", "lian", "wang"),
    "法院": ("fa", "yuan"),
    "委员会": ("wei", "yuan", "hui"),
    "金融": ("jin", "rong"),
    "执行": ("zhi", "xing"),
}


# One mark put inside a key word to split it ("仲-裁", "法.院", "zhong cai"): hyphens, slashes and dots
# join words elsewhere ("中-英", "男/女"), so only inside these words are they read as nothing.
_IN_WORD = r"[-_/\\^.、 ·*~|]?"


def _word_pattern(word: str, syllables: tuple[str, ...]) -> str:
    return _IN_WORD.join(f"(?:{ch}|{syl})" for ch, syl in zip(word, syllables, strict=True))


# A pinyin part is bounded by no other latin letter or digit ("wang络" but not "xwang络", "fa" in "fast").
_PINYIN_WORD = regex.compile(
    r"(?:(?=\p{Han})|(?<![a-z0-9]))(?:" + "|".join(_word_pattern(w, s) for w, s in _WORDS.items())
    + r")(?:(?<=\p{Han})|(?![a-z0-9]))"
)
_WORD_RES = [(w, regex.compile(_word_pattern(w, s))) for w, s in _WORDS.items()]
# Cheap test first: a letter that ends a syllable above before a Chinese character, or one that
# begins a syllable after one (a class range, as \p{Han} in an alternation costs several µs a text).
_MIXED = regex.compile(r"[gioanu][\u4e00-\u9fff]|[\u4e00-\u9fff][zcwlhfyjrx]")
_SPLIT_HAN = regex.compile(r"[\u4e00-\u9fff][-_/\\^.、][\u4e00-\u9fff]")
# Pinyin initials: "zc" before a body suffix (zc委, zc院); "zcw" standing for 仲裁委 between Chinese.
_INITIALS = regex.compile(rf"(?<![a-z0-9._@-])zc(?={_BODY_NEXT})|(?<=\p{{Han}})zcw(?=\p{{Han}})")
_HAN_AT = regex.compile(r"\p{Han}")
# 微信 and QQ written past filters: "加V：…", "vx：…", "V信", "薇信", "扣扣号". Only where an ID or
# the verb to add one follows or goes before, so "威信" (standing) and a "vx" in a model name stay.
_MESSENGER = regex.compile(
    r"(?P<verb>加个|添加|加|联系)\s?(?:vx|wx|v信|薇信|威信|v)(?![a-z0-9])"
    r"|(?<![a-z0-9])(?:vx|wx|v信|薇信)(?=\s?号?\s?[:：])"
    r"|扣扣(?=号|群|\s?[:：])"
)


def _messenger(m: regex.Match[str]) -> str:
    if m.group(0) == "扣扣":
        return "qq"
    return (m.group("verb") or "") + "微信"


def _pinyin_word(m: regex.Match[str], text: str) -> str:
    """The Chinese word a split or partly or wholly pinyin match stands for; wholly pinyin only
    when Chinese follows ("zhongcai委员会"; "fayuan" alone may be a person's name)."""
    s = m.group(0)
    if not any(c.isascii() or c == "、" for c in s):
        return s
    if s.isascii() and not _HAN_AT.match(text, m.end()):
        return s
    for word, pattern in _WORD_RES:
        if pattern.fullmatch(s):
            return word
    return s


# Characters an OCR'd screenshot misreads in a notice's fixed words: 会 as 合 at the end of a body's
# name (【仲裁委员合】; 委员合影 is a photo, so only before a bracket, punctuation or line end) and 日 as 曰
# in a date or deadline (今曰, 3曰前; 曰 is classical "to say" and stands in no date).
_OCR_WORD = regex.compile(r"委员合(?=[】\]」』)）:：,，。\s]|$)|(?<=[今明昨当次翌\d])曰")


def _ocr_word(m: regex.Match[str]) -> str:
    return "委员会" if m.group(0) == "委员合" else "日"


_COURT_HINTS = ("阮", "垸", "珐", "砝", "执刑")
_SYLLABLES = tuple(dict.fromkeys(syl for syllables in _WORDS.values() for syl in syllables))
_MESSENGER_HINTS = ("vx", "wx", "v信", "薇信", "威信", "扣扣", "加v", "加 v", "个v", "系v", "系 v")
# One pass over the text for anything a rewrite below could start from: most texts hold none, and
# a literal alternation in the standard library's engine is several times faster than the
# patterns above (the engine's whole budget is a few hundred microseconds a notice).
_GATE = re.compile("|".join(("仲", "裁", "院", "络", "融", "zc", "委员合", "曰", *_COURT_HINTS, *_MESSENGER_HINTS, *_SYLLABLES)))
# Each hint list as one alternation: `any(h in text for h in hints)` ran a generator step per
# hint (dozens of syllables) on every text the gate let through.
_COURT_HINT, _MESSENGER_HINT, _SYLLABLE = (re.compile("|".join(map(re.escape, hints)))
                                           for hints in (_COURT_HINTS, _MESSENGER_HINTS, _SYLLABLES))


def respell(m: Mapped) -> Mapped:
    """Read evasive spellings of arbitration, court and messenger words as the words themselves."""
    text = m.text
    if not _GATE.search(text):
        return m
    if ("委员合" in text or "曰" in text) and _OCR_WORD.search(text):
        m = m.sub(_OCR_WORD, _ocr_word)
    if ("裁" in m.text or "仲" in m.text) and _ARBITRATION.search(m.text):
        m = m.sub(_ARBITRATION, "仲裁")
    if _COURT_HINT.search(text) and _COURT.search(m.text):
        m = m.sub(_COURT, lambda x: "执行" if x.group(0).startswith("执") else "法院")
    if "zc" in text and _INITIALS.search(m.text):
        m = m.sub(_INITIALS, lambda x: "仲裁委" if x.group(0) == "zcw" else "仲裁")
    if _MESSENGER_HINT.search(text) and _MESSENGER.search(m.text):
        m = m.sub(_MESSENGER, _messenger)
    if not text.isascii() and (_SYLLABLE.search(text) and _MIXED.search(m.text)
                               or _SPLIT_HAN.search(m.text)):
        current = m.text
        m = m.sub(_PINYIN_WORD, lambda x: _pinyin_word(x, current))
    return m
