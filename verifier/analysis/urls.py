"""Find links in a notice, also when written to dodge filters, and take them apart.

tldextract runs on its bundled public-suffix snapshot: it never fetches at run time.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

import regex
import tldextract

from verifier.analysis.bidi import CONTROLS
from verifier.analysis.normalise import SPACED_OUT as _SPACED_OUT
from verifier.analysis.normalise import INVISIBLE_CLASS, Mapped, normalise

MAX_LINKS = 50

# Rewrites that undo common obfuscation; only applied to the copy used to find links.
_TLDS = r"(?:com|cn|net|org|top|vip|xyz|cc|hk|tw|site|online|shop|club|icu|ltd|link)\b"
_ABBREVIATIONS = "pte|co|inc|corp|pty|ltd|llc|plc|bhd|sdn|no|vol|mr|mrs|ms|dr|st|jr|etc|ref|tel|fig|cf|vs"
_DOT_WORDS = regex.compile(
    r"(?<=[a-z0-9])\s{0,2}(?:\[\s?(?:\.|dot|点)\s?\]|\(\s?(?:\.|dot|点)\s?\)|\{\s?(?:\.|dot|点)\s?\}"
    r"|点|。)\s{0,2}(?=[a-z0-9])"
    # "gzac. org", but not a company or title abbreviation before a word ("Pte. Ltd.", "Co. Ltd",
    # "Inc. com…"): those are how firms are written, not a link split to dodge filters.
    # Nor a top-level domain named as one ("the provider for .hk domain names", "注册 .cn 域名"): a kind
    # of name, not the end of a link.
    rf"|(?<=[a-z0-9])(?<!\b(?:{_ABBREVIATIONS}))(?:\s(?:dot|\.)\s?|\.\s)(?={_TLDS})(?!{_TLDS}\s?(?:domain|域名))"
)
_HXXP = regex.compile(r"\bh(?:xx|\*\*|tt)p(s?)\s?(?::|：|\[[:：]\]|\([:：]\))\s?/\s?/\s?")
_SLASH_SPACES = regex.compile(r"(?<=[a-z0-9])\s?/\s?(?=[a-z0-9])")

_LABEL = r"(?:[\p{Latin}\p{Cyrillic}\p{Greek}0-9](?:[\p{Latin}\p{Cyrillic}\p{Greek}0-9-]{0,61}[\p{Latin}\p{Cyrillic}\p{Greek}0-9])?)"
_HAN_LABEL = r"(?:[\p{Han}\p{Latin}0-9](?:[\p{Han}\p{Latin}0-9-]{0,61}[\p{Han}\p{Latin}0-9])?)"
# Chinese top-level domains (in the simplified text the finder reads).
_HAN_TLDS = "(?:中国|公司|网络|政务|公益|网址|在线|商城|网店|集团|手机|信息|我爱你|游戏|企业|广东)"
_PATH = r"(?:[/?#][^\s\p{Han}<>\"'，。、；！？）】」』…（【]{0,400})?"
_URL = regex.compile(
    rf"(?:(?:https?|ftp)://[^\s\p{{Han}}<>\"'，。、；！？）】」』…（【/?#]{{1,253}}{_PATH})"
    # a bare domain, possibly after a dotted "user@" part: 'gzac.org@evil.top/x' goes to evil.top
    # (a bare 'user@host' is a mailbox, left to find_emails, unless its user part is official);
    # or after "//" alone: a scheme-relative link ('//evil.cn/case'), which a browser opens as one
    rf"|(?:(?<![a-z0-9.@/:_-])//|(?<![a-z0-9.@/_-]))(?:(?:{_LABEL}\.){{1,10}}{_LABEL}(?::\d{{1,5}})?@)?"
    rf"(?:{_LABEL}\.){{1,10}}(?:[a-z]{{2,24}}|xn--[a-z0-9-]{{1,59}})(?::\d{{1,5}})?{_PATH}"
    rf"|(?<![a-z0-9.])\d{{1,3}}(?:\.\d{{1,3}}){{3}}(?::\d{{1,5}})?(?:/[^\s\p{{Han}}]{{0,400}})?"
    # A host in Chinese characters (北京仲裁委员会.com, 国家反诈中心.政务) after a scheme, with a Latin TLD
    # or a known Chinese one. Not bare: the text the finder reads has the spaces between Chinese
    # words taken out (OCR line joins), so a bare one's first label would run from the words before it.
    rf"|(?:https?|ftp)://(?=[^\s./]*\p{{Han}})(?:{_HAN_LABEL}\.){{1,10}}"
    rf"(?:[a-z]{{2,24}}\b|{_HAN_TLDS})(?::\d{{1,5}})?{_PATH}"
)
_OBFUSCATION_HINT = regex.compile(
    r"点|點|\[|\{|。|\(\s?(?:\.|dot)|\bdot\b|hxxp|h\*\*p"
    r"|[\uff00-\uffef\u2066-\u2069]|" + INVISIBLE_CLASS, regex.I
)
_SPACE = regex.compile(r"\s")
# Two characters written side by side; in a text spaced out whole (OCR, a copy that put a space
# after every character) there are next to none.
_SIDE_BY_SIDE = regex.compile(r"\S(?=\S)")


def _spaced_whole(original: str) -> bool:
    """Every character stands apart (" ".join of a notice): spaces inside its link are how the whole
    text was written, not the link split to dodge filters, as a link spaced in unspaced text is."""
    shown = len(original) - len(_SPACE.findall(original))
    return shown >= 20 and len(_SIDE_BY_SIDE.findall(original)) * 10 <= shown
_TRAILING = ".,;:!?)]}>'\"-_"


# Text without ".", "/" or "dot" and without this cannot hold a link: every URL match needs
# "." or "://", and the rewrites above only make a dot from "dot", "." or a 点/。 between
# letters or digits (possibly bracketed), and "://" only from text that already has "/".
_LINK_HINT = regex.compile(r"[a-z0-9][\s\[({]{0,4}[点。][\s\])}]{0,4}[a-z0-9]")
# A host of only these characters is never an IP literal without ":" (see _ipv4_literal).
_IP_CHARS = frozenset("0123456789abcdefxABCDEFX.")
# A host of only these characters is its own netloc for tldextract, with no punycode to decode.
_PLAIN_HOST = regex.compile(r"[a-z0-9.-]{1,253}")


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=1)
def _suffixes():  # type: ignore[no-untyped-def]
    return _extractor()._get_tld_extractor()


def _plain_registered_domain(host: str) -> str:
    """registered_domain for a plain host: tldextract's own suffix look-up without its URL
    parsing, which leaves such a host as it is (a third of the cost of a link)."""
    labels = host.split(".")
    found = _suffixes().suffix_index(labels)
    if not found:
        return ""
    index = found[0][0]
    domain = labels[index - 1] if index > 0 else ""
    suffix = ".".join(labels[index:])
    return f"{domain}.{suffix}" if domain and suffix else ""


def suffix_hosted(host: str, suffixes: frozenset[str]) -> bool:
    """`host` is one of `suffixes` or below one ('a.b.github.io' under 'github.io')."""
    parts = host.split(".")
    return any(".".join(parts[i:]) in suffixes for i in range(len(parts)))


def registered_domain(host: str) -> str:
    """'a.b.bjac.org.cn' -> 'bjac.org.cn'; '' when the host has no public suffix."""
    host = host.strip().strip(".").lower()
    if not host or len(host) > 253:
        return ""
    if _PLAIN_HOST.fullmatch(host) and "xn--" not in host:
        return _plain_registered_domain(host)
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        pass
    r = _extractor()(host)
    if not r.suffix or not r.domain:
        return ""
    return f"{r.domain}.{r.suffix}"


# Characters that look alike in a URL bar (digits for letters, letter pairs, Cyrillic/Greek).
_CONFUSABLE = str.maketrans(
    {
        "0": "o", "1": "l", "i": "l", "3": "e", "5": "s", "@": "a",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "l",
        "ј": "j", "ԁ": "d", "ɡ": "g", "ո": "n", "ν": "v", "ο": "o", "ρ": "p", "α": "a", "κ": "k",
        "-": "", "_": "",
    }
)


def skeleton(label: str) -> str:
    """A form under which lookalike labels collide: 'gzac0rg' and 'gzacorg' alike."""
    s = label.lower()
    if s.startswith("xn--"):
        try:
            s = s.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    s = s.replace("rn", "m").replace("vv", "w").replace("cl", "d")
    return s.translate(_CONFUSABLE)


class Link(NamedTuple):
    """Immutable; a tuple because one is built per hit and a frozen dataclass costs 5x more."""

    raw: str
    url: str
    host: str
    domain: str  # registered domain, '' for IP literals and unknown suffixes
    subdomain: str
    path: str
    ip: str | None
    punycode: bool
    obfuscated: bool
    start: int | None
    end: int | None
    field: str = "text"
    bidi: bool = False  # direction controls in it: what is shown is not where it goes


_IP_PART = regex.compile(r"0[xX][0-9a-fA-F]+|[0-9]+")


def _ipv4_literal(host: str) -> str | None:
    """Dotted, decimal, hex and octal IPv4 forms (http://2130706433/ is 127.0.0.1)."""
    if ":" not in host and not _IP_CHARS.issuperset(host):
        return None  # neither ip_address (IPv6 needs ":") nor the parts below can accept it
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    values = []
    for p in parts:
        if not _IP_PART.fullmatch(p):  # int() also takes "-54", "+1", "1_0" and non-ASCII digits
            return None
        try:
            if p.lower().startswith("0x"):
                values.append(int(p, 16))
            elif len(p) > 1 and p.startswith("0"):
                values.append(int(p, 8))
            else:
                values.append(int(p, 10))
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (5 - len(values)) + last
    return str(ipaddress.IPv4Address(number)) if number < 2**32 else None


def parse_link(raw: str, start: int | None = None, end: int | None = None,
               obfuscated: bool = False, field: str = "text", *, known_link: bool = False,
               official: Callable[[str], object] | None = None) -> Link | None:
    """The link `raw` stands for, or None (also for an e-mail address). `known_link`: the caller
    knows it is a link (given as one, or written after a scheme). `official(host)`: whether a host
    lies under an official domain (Registry.official_owner); a bare 'gzac.org@evil.top' whose user
    part is one is the userinfo trick, not a mailbox."""
    text = raw.strip().rstrip(_TRAILING)
    if not text:
        return None
    url = text if "://" in text[:12] else "http:" + text if text.startswith("//") else "http://" + text
    # A browser reads a backslash in an http(s) URL as a slash (WHATWG URL standard), so
    # 'evil.cn\@cietac.org' goes to evil.cn; urlsplit would take cietac.org for the host.
    url = url.replace("\\", "/")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").strip(".")
    except ValueError:
        return None
    if not host or len(host) > 253:
        return None
    if "@" in parts.netloc:  # 'official.org@evil.top/login': the browser goes to evil.top
        schemeless = "://" not in text[:12]
        # Only user@host, with no scheme, port or path: a mailbox, also when the user part ends
        # in a word that is a TLD too ('cietac.case@qq.com', 'bjac.notice@163.com').
        user = (parts.username or "").strip(".")
        mailbox = schemeless and not known_link and parts.netloc == text and ":" not in text \
            and not (official is not None and official(user.lower()))
        if mailbox or (schemeless and not registered_domain(user.split(":")[0])):
            return None  # an e-mail address (zhang.wei@qq.com), not a link
        obfuscated = True
    ip = _ipv4_literal(host)
    punycode = False
    if not host.isascii():
        punycode = True
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    if any(label.startswith("xn--") for label in host.split(".")):
        punycode = True
    domain = "" if ip else registered_domain(host)
    if not ip and not domain:
        return None
    sub = host[: -len(domain)].rstrip(".") if domain and host.endswith(domain) else ""
    return Link(text, url, host, domain, sub, parts.path or "", ip, punycode, obfuscated, start, end, field)


_LABEL_CHAR = regex.compile(r"[\p{Latin}\p{Cyrillic}\p{Greek}\p{Han}\d]")  # \d: the IP form's digits


def _may_hold_url(s: str) -> bool:
    """Whether _URL can match: every match holds "://", or a dot between two label characters
    or digits (a label ends with one; the next label, the TLD or the next IP octet starts with one)."""
    if "://" in s:
        return True
    i = s.find(".", 1)
    while i != -1:
        if _LABEL_CHAR.match(s, i - 1) and _LABEL_CHAR.match(s, i + 1):
            return True
        i = s.find(".", i + 1)
    return False


def find_links(original: str, text: Mapped,
               official: Callable[[str], object] | None = None) -> tuple[list[Link], int]:
    """Links in the text (at most MAX_LINKS) and how many were found in all (`official`: see
    parse_link). A text an override reorders is read both ways: as shown (what the person reads)
    and as sent (what the link opens; 'bjac.org.cn<RLO>/esac' shows as 'bjac.org.cncase/')."""
    links, total = _find_links(original, text, official)
    if not text.reordered:
        return links, total
    sent, more = _find_links(original, normalise(original, display=False), official)
    seen = {link.url for link in links}
    for link in sent:
        if link.url not in seen and len(links) < MAX_LINKS:
            seen.add(link.url)
            links.append(link)
    return sorted(links, key=lambda link: link.start), max(total, more)


def _find_links(original: str, text: Mapped,
                official: Callable[[str], object] | None = None) -> tuple[list[Link], int]:
    s = text.text
    if not ("." in s or "/" in s or "dot" in s or (("点" in s or "。" in s) and _LINK_HINT.search(s))):
        return [], 0
    # Each rewrite is skipped where it cannot change anything: spaced-out text is only joined
    # when it holds a dot (and has five spaces), and both "hxxp://" and "a / b" need a slash.
    clean = text
    if "." in clean.text and clean.text.count(" ") >= 5:  # five "x " pairs at the least
        spaced = clean
        clean = clean.sub(_SPACED_OUT, lambda m: _join_spaced(m, spaced, original))
    if "/" in clean.text:
        clean = clean.sub(_HXXP, lambda m: f"http{m.group(1)}://")
    clean = clean.sub(_DOT_WORDS, ".")
    if "/" in clean.text:
        clean = clean.sub(_SLASH_SPACES, "/")
    links: list[Link] = []
    seen: set[str] = set()
    total = 0
    whole_spaced = cache(lambda: _spaced_whole(original))  # read once, only if a link holds a space
    for m in _URL.finditer(clean.text) if _may_hold_url(clean.text) else ():
        a, b = m.span()
        start, end = clean.span(a, b)
        if not clean.reordered:
            start += _run_lead(original[start:end], m.group(0))
        # shown in another order than sent (a right-to-left override around it): obfuscated
        shown_reordered = clean.reordered and any(
            clean.start[i] > clean.start[i + 1] for i in range(a, b - 1))
        piece = original[start:end]
        obfuscated = shown_reordered or bool(_OBFUSCATION_HINT.search(piece)) or (
            _SPACE.search(piece) is not None and not whole_spaced())
        link = parse_link(m.group(0), start, end, obfuscated, official=official)
        if link is None:
            continue
        if shown_reordered or (obfuscated and not CONTROLS.isdisjoint(original[start:end])):
            link = link._replace(bidi=True)
        total += 1
        if link.url in seen or len(links) >= MAX_LINKS:
            continue
        seen.add(link.url)
        links.append(link)
    return links, total


def _run_lead(piece: str, url: str) -> int:
    """How many characters lead a spaced-out run joined whole before its link begins: every joined
    character maps to the whole run, so "：h t t p s …" would start at the colon, which is no part
    of the link (and, full-width, no sign of one hidden)."""
    i = 0
    while i < len(piece) - 1 and (piece[i].isspace() or (
            (c := unicodedata.normalize("NFKC", piece[i])) in ":/.-" and not url.startswith(c))):
        i += 1
    return i


def _join_spaced(m: regex.Match[str], text: Mapped, original: str) -> str:
    """A spaced-out run joined into the link it spells, split at each dot that ends a sentence: one
    between a lower-case letter or digit and a capital ('c n . T e l', "…scia.com.cn . Tel:" spaced
    out) starts a word, not a host label. A run in capitals ('W W W . G Z A C . O R G') joins whole."""
    run = m.group(0)
    if "." not in run:
        return run
    cuts = [j for j, c in enumerate(run)
            if c == "." and 0 < j < len(run) - 2 and _sentence_dot(text, original, m.start() + j)]
    if not cuts:
        return run.replace(" ", "")
    pieces = [run[a + 1 if a else 0:b] for a, b in zip([0, *cuts], [*cuts, len(run)])]
    return " . ".join(p.replace(" ", "") if "." in p or "/" in p else p.strip() for p in pieces)


def _sentence_dot(text: Mapped, original: str, i: int) -> bool:
    """The dot at normalised index i sits, in the original, between a lower-case letter or digit
    and a capital letter."""
    before = original[:text.start[i]].rstrip()[-1:]
    after = original[text.end[i]:].lstrip()[:1]
    return bool(before) and (before.islower() or before.isdigit()) and after.isupper()


# A domain name given as what a dispute or a registration is about ("贵司注册的域名 yunfan-shop.cn", "the domain
# name <kelvora-outlet.com>", UDRP's angle brackets): the reader's own name, not a site the notice sends the
# reader to. Only a bare name (no scheme, no path), and not one to open ("请登录域名 …", "访问域名 …").
_NAMED_AS_DOMAIN = regex.compile(r"(?<!登录|访问|打开|点击|输入|进入|复制|浏览)(?:域名|\bdomain(?:\snames?)?)\s?"
                                 r"(?:为|是|:|：)?\s?[<“\"「《(（]?\s?$", regex.IGNORECASE)


def named_as_domain(link: Link, original: str, text: Mapped) -> bool:
    """The link is a bare domain name written as the subject of the message (see _NAMED_AS_DOMAIN)."""
    if link.start is None or link.end is None or "://" in link.raw or link.path not in ("", "/") or link.ip:
        return False
    if original[link.start - 1:link.start] == "<" and original[link.end:link.end + 1] == ">":
        return True
    return _NAMED_AS_DOMAIN.search(text.window(max(0, link.start - 24), link.start)) is not None


# A URL inside another's path or query ('bjac.org.cn/login?redirect=https://evil.example/…'): an
# open redirect on an official site sends the reader on to a host that is not the body's.
_INNER_URL = regex.compile(r"(?:https?|ftp)(?::|%3a)(?:/|%2f){2}([^\s&#/%?]{1,253})", regex.IGNORECASE)


def redirects(link: Link) -> list[Link]:
    """The links inside this one's path or query that go to another host."""
    rest = link.url.split("://", 1)[-1]
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i != -1), default=-1)
    tail = rest[cut:] if cut != -1 else ""  # link URLs are normalised, so lower-case
    if "://" not in tail and "%3a%2f%2f" not in tail:  # cheap test before the pattern
        return []
    out = []
    for m in _INNER_URL.finditer(rest, cut):
        inner = parse_link(m[1], link.start, link.end, False, link.field, known_link=True)
        if inner is not None and inner.host != link.host:  # to another site: not where it seems to go
            out.append(inner._replace(obfuscated=inner.domain != link.domain or link.obfuscated))
    return out


# An e-mail address: a channel like a link ('答辩材料请发送至 cqac_court@126.com'). The user part
# may hold dots; 'gzac.org@evil.top/login', read as a link by find_links, is not an address.
# The host is one run of label characters and dots (no nested repeat), checked after the match.
_EMAIL = regex.compile(r"(?<![a-z0-9._%+-])[a-z0-9][a-z0-9._%+-]{0,63}@((?>[a-z0-9][a-z0-9.-]{0,252}))")


# The reader's own address, quoted back ("回执已发送至您的邮箱 li.ming@…", "sent to your e-mail …"),
# is where the notice went, not a channel the reader is sent to.
_OWN_MAILBOX = regex.compile(
    r"(?:(?:您|你|贵方|贵司|阁下|台端)(?:的|预留的|登记的|注册的|提供的|填写的|留存的)?(?:电子)?(?:邮箱|邮件地址|邮件)"
    r"|\byour\s(?:registered\s)?(?:e-?mail|mailbox)(?:\saddress)?)\s?(?:为|是|:|：)?\s?\Z",
    regex.IGNORECASE,
)


class Email(NamedTuple):
    address: str
    host: str
    start: int  # offsets into the original text
    end: int


def find_emails(original: str, text: Mapped, links: tuple[Link, ...] | list[Link] = ()) -> list[Email]:
    """E-mail addresses in the text (not those already read as a link, nor the reader's own), at
    most MAX_LINKS."""
    s = text.text
    if "@" not in s:
        return []
    taken = [(lk.start, lk.end) for lk in links if lk.start is not None and lk.end is not None]
    out: list[Email] = []
    for m in _EMAIL.finditer(s):
        start, end = text.span(*m.span())
        if any(a < end and start < b for a, b in taken) or _OWN_MAILBOX.search(s, max(0, m.start() - 40), m.start()):
            continue
        host = m[1].rstrip(".-")
        if "." not in host or ".." in host or not registered_domain(host):
            continue
        out.append(Email(original[start:end], host, start, end))
        if len(out) >= MAX_LINKS:
            break
    return out
