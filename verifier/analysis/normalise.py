"""Normalise a notice once, keeping a map from every output character back to the original.

Matching runs on the normalised text (NFKC, no invisible characters, simplified Chinese,
lower-case, no spaces inside Chinese words); evidence offsets point into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import NamedTuple

import opencc
import regex

from verifier.analysis.bidi import reorders, shown
from verifier.analysis.spellings import respell

# Characters that render as nothing (or reorder text) and are used to split words past filters:
# Unicode's Default_Ignorable_Code_Point, whole. A hand-picked list missed the tag characters
# (U+E0000-E0FFF), the variation selectors supplement and the Mongolian selectors, so
# "网络\U000E0020仲裁委员会" (a known fake body, shown as written close) was read as no body at all.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_INVISIBLE = frozenset(c for lo, hi in _IGNORABLE_RANGES for c in range(lo, hi + 1))
# The same characters as a regular expression class (urls.py: one inside a link is obfuscation).
INVISIBLE_CLASS = "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _IGNORABLE_RANGES) + "]"
_SPACES = frozenset(" \t\r\n\u00a0\u1680\u3000") | frozenset(chr(c) for c in range(0x2000, 0x200B))

# Spaces and invisible marks, for reading the words before a match as written close ("填 了 我").
GAPS = regex.compile(r"[\s" + INVISIBLE_CLASS[1:] + "+")  # one class: no alternation to repeat
# Spaces between two CJK characters (or CJK and digit) carry no meaning in Chinese.
_CJK = r"\p{Han}"
_SPACE_IN_CJK = regex.compile(rf"(?<={_CJK})[ ]+(?={_CJK})")
# A symbol or emoji put between every character ("北-京-仲-裁-委", "仲😊裁😊委", "仲.裁.委") splits words
# past filters; three characters so joined at the least, so "中-英" in ordinary text stays.
_SEPARATOR = r"[-_*~|/\\·•・+=#.^\p{Extended_Pictographic}]"
_SEPARATED_CJK = regex.compile(rf"{_CJK}(?:{_SEPARATOR}{_CJK}){{2,}}")
_ONE_SEPARATOR = regex.compile(_SEPARATOR)
# "w w w . x y z . c o m": one character at a time, spaced out to dodge filters (urls.py joins
# such a run whole when it holds a dot: a link).
SPACED_OUT = regex.compile(r"(?<![a-z0-9])(?:[a-z0-9.\-/:] ){5,80}[a-z0-9./]\b")
# A Latin word spelled one letter at a time ("A n y D e s k", "T-e-a-m-V-i-e-w-e-r") dodges
# filters the same way: four letters or more, each alone between spaces or one of the marks
# above, read as the word (a spaced-out link is left whole for urls.py).
_GAP = r"[ \-_*~|·•・]"
_SPACED_LETTERS = regex.compile(
    rf"(?<![a-z0-9.:/@])(?<!(?<![a-z0-9])[a-z0-9]{_GAP})"  # a run's first letter
    rf"(?:[a-z]{_GAP}){{3,200}}[a-z](?![a-z0-9])(?!{_GAP}[a-z0-9](?![a-z0-9]))")  # and last
_LETTER_GAP = regex.compile(_GAP)
# A whole sentence spelled out ("P a y  3 , 0 0 0  C N Y  t o d a y", " ".join(text)): single
# characters, the marks inside words and amounts among them, one space apart and words two or more
# apart. Read only when a wider gap shows the words; one space between all is left as it was.
_SPACED_WORDS = regex.compile(r"(?<!\S)(?:[a-z0-9.,:;!?'’\"()$£¥€&@/#%+=\-] ){3,400}[a-z0-9.,:;!?'’\"()$£¥€&@/#%+=\-](?!\S)")
_WIDE_GAP = re.compile(r"\s\s")
# A mark that joins nothing in Chinese writing (an asterisk, a middle dot, a bullet, an emoji)
# splits even a two-character word ("仲*裁委", "仲·裁"); hyphens and slashes join words ("中-英",
# "男/女"), so they count only in the run above. A masked name (张*梅) reads as 张梅: no harm.
_SPLIT_MARK = r"[*~|·•・\p{Extended_Pictographic}]"
_SPLIT_PAIR = regex.compile(rf"(?<={_CJK}){_SPLIT_MARK}(?={_CJK})")
# Once a text splits a run by a mark ("仲-裁-委"), the same mark between two characters elsewhere in
# it is the same trick ("冻-结", "诉/讼"), not a word joined ("中-英" in a text without such a run).
_PAIR_WITH = {sep: regex.compile(rf"(?<={_CJK}){regex.escape(sep)}(?={_CJK})") for sep in "-_~|/\\+=#.^"}
# A photographed or OCR'd notice reads 1 as l and 0 as o inside numbers ("致电l7l 3390 6628",
# "上午l0点", "0755-8350l700"); only in text with Chinese, where such a letter beside digits is no
# English word. Between digits only when no letter starts the run (a handle such as "wx12l34" stays).
_OCR_DIGIT = regex.compile(r"(?<![a-z0-9./:@_-])l(?=\d)|(?<![a-z0-9./@_-])i(?=\d{4})|(?<=\d[ -]?)l(?![a-z0-9./_-])|(?<=(?<![a-z0-9./:@_-])\d[\d -]{0,20})l(?=\d)"
                           r"|(?<=[\s\p{Han}]\d+)o(?=\d)")
_HAN = regex.compile(r"\p{Han}")
# Combining marks put on Chinese characters ("北̀京仲裁委员会", "仲⃝裁") mean nothing in Chinese and
# split a body's name past filters: they go. On Latin letters they stay (Vietnamese, pinyin tones).
_MARK_ON_HAN = regex.compile(r"(?<=\p{Han})[\p{Mn}\p{Me}]+")
# A phone number written in Chinese digits ("一三八 二七六五 四四三二", "138二七六五…") slips past filters
# that look for digit runs; seven or more digit characters in a row are a number in no other use
# (a year is four, an idiom such as 一五一十 has a 十 or is shorter).
_HAN_DIGITS = str.maketrans("〇零一二三四五六七八九幺", "001234567891")
_HAN_NUMBER = re.compile(r"[0-9〇零一二三四五六七八九幺]{7,}")
# Text copied from some Chinese web pages carries a pinyin gloss after characters the page's
# converter found ambiguous ("網(wǎng)絡(luò)仲裁委員會(huì)"): a toned syllable in brackets right after a
# character. It splits words ("網絡仲裁委員會" becomes unreadable), so it goes, offsets kept.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_GLOSS = regex.compile(rf"(?<=\p{{Han}})\((?=[a-zü]{{0,5}}[{_TONED}])[a-zü{_TONED}ńňǹḿ]{{1,7}}\)")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("tw2s")  # character level: phrase conversion turns 執行 into 运行


class Mapped(NamedTuple):
    """A string whose character i came from original[start[i]:end[i]]."""

    text: str
    start: tuple[int, ...]
    end: tuple[int, ...]
    # In display order, not the original's (a right-to-left override): a slice's characters
    # may come from anywhere in their span, so its span is their smallest start to largest end.
    reordered: bool = False

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original offsets of the normalised slice [a, b)."""
        if not self.text or b <= a:
            pos = self.start[a] if a < len(self.start) else (self.end[-1] if self.end else 0)
            return pos, pos
        if self.reordered:
            return min(self.start[a:b]), max(self.end[a:b])
        return self.start[a], self.end[b - 1]

    def window(self, lo: int, hi: int) -> str:
        """The normalised text of original[lo:hi] as the whole notice reads it, stripped like
        fold(): the characters that came from inside the window. Checks reading the words
        around a match take this instead of normalising the window again (~13 µs a call, 5%
        of the engine), and read them as every other check does, not cut off at the edges."""
        if self.reordered:  # offsets out of order: pick the window's characters one by one
            return "".join(c for c, at in zip(self.text, self.start) if lo <= at < hi).strip()
        return self.text[bisect_left(self.start, lo):bisect_left(self.start, hi)].strip()

    def sub(self, pattern: regex.Pattern[str], repl: str | Callable[[regex.Match[str]], str]) -> Mapped:
        """Like pattern.sub, mapping every replacement character to the whole matched span."""
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        changed = False
        for m in pattern.finditer(self.text):
            a, b = m.span()
            new = repl if isinstance(repl, str) else repl(m)
            if new == m.group(0):
                continue
            changed = True
            out.append(self.text[pos:a])
            starts.extend(self.start[pos:a])
            ends.extend(self.end[pos:a])
            if new:
                s, e = self.span(a, b) if b > a else (self.start[a], self.start[a])
                out.append(new)
                starts.extend([s] * len(new))
                ends.extend([e] * len(new))
            pos = b
        if not changed:
            return self
        out.append(self.text[pos:])
        starts.extend(self.start[pos:])
        ends.extend(self.end[pos:])
        return Mapped("".join(out), tuple(starts), tuple(ends), self.reordered)


# NFKC turns one character into as many as 18 (U+FDFA, an Arabic honorific), so a notice within
# the length limit normalised to 180,000 characters and cost 7-9 times a normal notice of that
# length. Characters that expand further than this stay as they are; the longest ones that
# matter here (㍿ 株式会社, ㏇ co., ⑽ (10)) are four or fewer.
_MAX_EXPANSION = 4


def _nfkc_char(ch: str) -> str:
    norm = unicodedata.normalize("NFKC", ch).lower()
    if len(norm) == 1 and norm.isdecimal():
        return ascii_digits(norm)  # "١٣٨", "۱۳۸", "१३८": NFKC folds only full-width digits
    return norm if len(norm) <= _MAX_EXPANSION else ch.lower()


def ascii_digits(text: str) -> str:
    """Every Unicode decimal digit as its ASCII digit, for numbers read outside the normalised
    text (a sender): NFKC folds full-width digits but not Arabic-Indic or Devanagari ones."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _norm_char(ch: str) -> str:
    """What one character becomes in the normalised text ("" when it is dropped)."""
    code = ord(ch)
    if code in _INVISIBLE:
        return ""
    if ch in _SPACES:
        return " "
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"  # a lone surrogate: keep the place, drop the garbage
    if code < 0x20 or 0x7F <= code < 0xA0:
        return ""
    if code < 0x80:
        return ch.lower()
    return _nfkc_char(ch)


# Characters seen so far that do not become exactly one character (dropped or expanded).
# Only ever grows, so it is a superset of those in any text already translated (also across
# the reload thread); it stays small: only invisible, control and NFKC-expanding characters.
_IRREGULAR: set[str] = set()
_TABLE_MAX = 100_000
# _IRREGULAR as one character class, rebuilt when the set has grown: one C-level scan of a text
# instead of isdisjoint's string object per character.
_irregular_re: tuple[int, re.Pattern[str] | None] = (0, None)


def _has_irregular(text: str) -> bool:
    global _irregular_re
    size, pattern = _irregular_re
    if size != len(_IRREGULAR):
        chars = sorted(_IRREGULAR)  # a copy first: the reload thread may add to the set
        pattern = re.compile("[" + "".join(map(re.escape, chars)) + "]") if chars else None
        _irregular_re = size, pattern = len(chars), pattern
    return pattern is not None and pattern.search(text) is not None


class _CharTable(dict[int, str]):
    """A str.translate table filled on the first sight of each character (bounded cache)."""

    def __missing__(self, code: int) -> str:
        norm = _norm_char(chr(code))
        if len(norm) != 1:
            _IRREGULAR.add(chr(code))
        if len(self) >= _TABLE_MAX:
            self.clear()
        self[code] = norm
        return norm


_TABLE = _CharTable()
_RANGE = tuple(range(10_002))  # identity offsets for texts up to models.MAX_TEXT_CHARS


def _char_pass(original: str, display: bool = True) -> Mapped:
    # Fast path, the common case: every character becomes exactly one character and no two
    # spaces meet, so the offsets are the identity. Otherwise the general loop below.
    text = original.translate(_TABLE)
    if display and reorders(original):
        return _display_pass(original)
    if len(text) == len(original) and "  " not in text and not _has_irregular(original):
        n = len(text)
        if n < len(_RANGE):  # slices of one shared tuple: the same offsets, no ints to make
            return Mapped(text, _RANGE[:n], _RANGE[1:n + 1])
        return Mapped(text, tuple(range(n)), tuple(range(1, n + 1)))
    return _general_pass(original, enumerate(original))


def _display_pass(original: str) -> Mapped:
    """A notice with a right-to-left override, read in the order it is displayed (bidi.py)."""
    return _general_pass(original, shown(original))._replace(reordered=True)


def _general_pass(original: str, chars: Iterable[tuple[int, str]]) -> Mapped:
    """Each (offset, character) normalised, dropped or expanded; runs of spaces made one."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in chars:
        code = ord(ch)
        if code in _INVISIBLE:
            continue
        if ch in _SPACES:
            norm = " "
        elif 0xD800 <= code <= 0xDFFF:
            norm = "\ufffd"  # a lone surrogate: keep the place, drop the garbage
        elif code < 0x20 or 0x7F <= code < 0xA0:
            continue
        elif code < 0x80:
            norm = ch.lower()
        else:
            norm = _nfkc_char(ch)
        if norm == " " and out and out[-1] == " ":
            continue
        for c in norm:
            out.append(c)
            starts.append(i)
            ends.append(i + 1)
    return Mapped("".join(out), tuple(starts), tuple(ends))


# Variant characters simplified text still uses side by side, folded to one so that a term
# matches either: 帐户/账户 (and traditional 帳戶, which the converter turns into 帐户). A
# replace, not str.translate: translate looks every character up in its table and raises (and
# clears) a KeyError for each one not in it, ~5 µs a notice for this one-entry table.
_VARIANT, _FOLDED = "帐", "账"


def _to_simplified(m: Mapped) -> Mapped:
    if m.text.isascii():
        return m
    converted = _t2s().convert(m.text).replace(_VARIANT, _FOLDED)
    if len(converted) == len(m.text):
        return Mapped(converted, m.start, m.end, m.reordered)
    # Phrase conversion changed the length: fall back to character by character.
    conv = _t2s().convert
    text = "".join(conv(c) if len(conv(c)) == 1 else c for c in m.text)
    return Mapped(text.replace(_VARIANT, _FOLDED), m.start, m.end, m.reordered)


def _han_digits(m: Mapped) -> Mapped:
    """Chinese digit characters in a long run of digits read as digits; one character each, offsets kept."""
    text = _HAN_NUMBER.sub(lambda x: x.group(0).translate(_HAN_DIGITS), m.text)
    return m if text == m.text else m._replace(text=text)


def _gap_width(m: Mapped, original: str, k: int) -> int:
    """How many spaces the one space at normalised index k stood for in the original."""
    return sum(c.isspace() for c in original[m.end[k - 1]:m.start[k + 1]])


def _word_gaps(m: Mapped, original: str, gaps: range) -> set[int]:
    """The gaps of a spaced-out run that end a word: those wider than its narrowest space, so
    "G u a n g z h o u  A r b …" splits at the double space, and the same text spaced out again
    (three spaces between letters, seven between words) splits the same way. Evenly spaced
    letters are one word."""
    widths = {k: _gap_width(m, original, k) for k in gaps if m.text[k] == " "}
    narrowest = min(widths.values(), default=0)
    return {k for k, w in widths.items() if w > narrowest}


def _drop(m: Mapped, drop: set[int]) -> Mapped:
    """m without the characters at the given indices; every other keeps its own offsets."""
    keep = [i for i in range(len(m.text)) if i not in drop]
    return Mapped("".join(m.text[i] for i in keep), tuple(m.start[i] for i in keep),
                  tuple(m.end[i] for i in keep), m.reordered)


def _join_spaced_letters(m: Mapped, original: str) -> Mapped:
    """Letters written apart are read as the word they spell; a wider gap, or a space in a run
    whose letters a mark splits ("G-u-a-n-g-z-h-o-u A-r-b-…"), ends a word. Only the gaps go, so
    each letter keeps its place in the original (evidence points at the letters it came from)."""
    links = [x.span() for x in SPACED_OUT.finditer(m.text) if "." in x.group(0)]
    drop: set[int] = set()
    for x in _SPACED_LETTERS.finditer(m.text):
        if any(a < x.end() and x.start() < b for a, b in links):
            continue
        gaps = range(x.start() + 1, x.end(), 2)
        if any(m.text[k] != " " for k in gaps):  # marks split the letters: a space splits words
            drop.update(k for k in gaps if m.text[k] != " ")
        else:
            words = _word_gaps(m, original, gaps) if not m.reordered else set()
            drop.update(k for k in gaps if k not in words)
    if not m.reordered and _WIDE_GAP.search(original):
        for x in _SPACED_WORDS.finditer(m.text):
            gaps = range(x.start() + 1, x.end(), 2)
            if words := _word_gaps(m, original, gaps):
                drop.update(k for k in gaps if k not in words)
    return _drop(m, drop) if drop else m


def normalise(original: str, *, display: bool = True) -> Mapped:
    """The one normalisation every check matches against: in the order the text is shown, or
    as sent (`display=False`: what a link in it opens)."""
    m = _char_pass(original, display)
    if not m.text.isascii() and _MARK_ON_HAN.search(m.text):
        m = m.sub(_MARK_ON_HAN, "")
    if "(" in m.text and _PINYIN_GLOSS.search(m.text):
        m = m.sub(_PINYIN_GLOSS, "")
    m = _to_simplified(m)
    if " " in m.text:
        m = m.sub(_SPACE_IN_CJK, "")
    if _HAN_NUMBER.search(m.text):
        m = _han_digits(m)
    if _SPACED_LETTERS.search(m.text) or (" " in m.text and _SPACED_WORDS.search(m.text)):
        m = _join_spaced_letters(m, original)
    if ("l" in m.text or "o" in m.text or "i" in m.text) and _HAN.search(m.text) and _OCR_DIGIT.search(m.text):
        m = m.sub(_OCR_DIGIT, lambda x: "0" if x.group(0) == "o" else "1")
    if _ONE_SEPARATOR.search(m.text):
        runs: set[str] = set()

        def join(x: regex.Match[str]) -> str:
            runs.update(_ONE_SEPARATOR.findall(x.group(0)))
            return _ONE_SEPARATOR.sub("", x.group(0))

        m = m.sub(_SEPARATED_CJK, join)
        for sep in runs & _PAIR_WITH.keys():
            m = m.sub(_PAIR_WITH[sep], "")
        if _SPLIT_PAIR.search(m.text):
            m = m.sub(_SPLIT_PAIR, "")
    return respell(m)


def fold(text: str) -> str:
    """Normalise a registry name or term the same way, without offsets."""
    return normalise(text).text.strip()
