"""Normalisation keeps a map back to the original text; extraction sees through obfuscation."""

from __future__ import annotations

import pytest

from verifier.analysis.normalise import normalise
from verifier.analysis.urls import find_links, parse_link, registered_domain


@pytest.mark.parametrize("original,expected", [
    ("網絡仲裁委員會", "网络仲裁委员会"),
    ("网\u200b络仲\u200d裁委员会", "网络仲裁委员会"),
    # tag characters, a variation selector of the supplement, a Mongolian one, musical and
    # shorthand format controls: invisible too (they were kept and split the name)
    ("网\U000e0020络仲\U000e01ef裁\u180b委\U0001d173员\U0001bca0会", "网络仲裁委员会"),
    ("网 络 仲 裁 委 员 会", "网络仲裁委员会"),
    ("ＡＢＣ１２３", "abc123"),
    ("①②③", "123"),
    ("\u202eevil", "live"),  # read as shown: a right-to-left override reverses what follows
    ("北-京-仲-裁-委-员-会", "北京仲裁委员会"),
    ("仲😊裁😊委😊员😊会", "仲裁委员会"),
    ("中-英对照", "中-英对照"),  # one separator between two characters is ordinary text
    ("http://a-b.cn/x_y", "http://a-b.cn/x_y"),
    ("致电l7l 3390 6628", "致电171 3390 6628"),  # OCR: l for 1 beside digits, in Chinese text
    ("監管帳戶，个人帐户", "监管账户,个人账户"),  # 帐 and 账 are one character to the terms
    ("咨询电话0755-8350l700", "咨询电话0755-83501700"),  # OCR: l between digits of a number
    ("加微信wx12l34", "加微信wx12l34"),  # not inside a handle that starts with letters
    ("请登录 http://l0l.com/a", "请登录 http://l0l.com/a"),  # not inside a host name
    ("hello l2 world", "hello l2 world"),  # not in English text
    # a web page's pinyin glosses ("網(wǎng)絡(luò)") go; brackets that gloss nothing stay
    ("網(wǎng)絡(luò)仲裁委員會(huì)", "网络仲裁委员会"),
    ("請(qǐng)聯（lián）系", "请联系"),
    ("仲裁(zhongcai)", "仲裁(zhongcai)"),
    ("北京(bj)仲裁", "北京(bj)仲裁"),
    ("聯(lián) 系(xì)", "联系"),
    ("仲裁(abc)委员会", "仲裁(abc)委员会"),  # no tone mark: not a gloss
    ("见附件(ā", "见附件(ā"),
    # a mark that joins nothing in Chinese splits even two characters; hyphens and slashes join words
    ("中国网络仲*裁委", "中国网络仲裁委"),
    ("仲·裁院", "仲裁院"),
    ("男/女", "男/女"),
    # once a run is split by a mark, the same mark between two characters elsewhere is the same trick
    ("仲-裁-委：已起-诉，明天冻-结", "仲裁委:已起诉,明天冻结"),
    ("仲/裁/委：已起-诉", "仲裁委:已起-诉"),  # another mark than the run's stays
    ("中-英对照，男/女", "中-英对照,男/女"),  # no run: pairs stay
    # a phone number in Chinese digits (seven or more in a row) reads as digits; a year or an idiom stays
    ("联系一三八 二七六五 四四三二", "联系13827654432"),
    ("幺三九零零零零一二三四", "13900001234"),
    ("二〇二六年三月，一五一十", "二〇二六年三月,一五一十"),
    # OCR: I for 1 before a run of digits; a model name ("i7") stays
    ("联系承办人I7052218836", "联系承办人17052218836"),
    ("买了i7电脑", "买了i7电脑"),
    # OCR: 合 for 会 closing a body's name and 曰 for 日 in a date; a group photo (委员合影) stays
    ("【仲裁委员合】今曰17时前", "【仲裁委员会】今日17时前"),
    ("全体委员合影，子曰", "全体委员合影,子曰"),
    # evasive spellings of the key words, read back only where a name or a term can stand
    ("【冲裁委】", "【仲裁委】"),
    ("冲裁模具", "冲裁模具"),
    ("居中裁判", "居中裁判"),
    ("仲才院", "仲裁院"),
    ("人民法阮", "人民法院"),
    ("移交执刑局", "移交执行局"),
    ("依法执刑", "依法执刑"),
    ("wang络zhong裁委员会", "网络仲裁委员会"),
    ("zhongcai委员会", "仲裁委员会"),
    ("zhongcai", "zhongcai"),  # no Chinese after it: maybe a name or a handle
    ("xwang络", "xwang络"),
    ("【zc委】", "【仲裁委】"),
    ("提交zcw裁决", "提交仲裁委裁决"),
    ("zc2025@163.com", "zc2025@163.com"),
    ("加ｖｘ：abc123", "加微信:abc123"),
    ("v信号:abc123", "微信号:abc123"),
    ("扣扣号 123456", "qq号 123456"),
    ("很有威信", "很有威信"),
    # one mark inside a key word splits it; elsewhere hyphens, slashes and dots join words
    ("网络仲-裁委员会", "网络仲裁委员会"),
    ("法.院", "法院"),
    ("仲.裁.委", "仲裁委"),
    ("网络zhong cai委员会", "网络仲裁委员会"),
    ("京-沪高铁", "京-沪高铁"),
    ("广州仲裁委员会.网址", "广州仲裁委员会.网址"),
    # English spelled a letter at a time: a wider gap (or a space where marks split the letters) ends a word
    ("G u a n g z h o u  A r b i t r a t i o n  C o m m i s s i o n", "guangzhou arbitration commission"),
    ("N o t i c e from the court", "notice from the court"),
    ("G-u-a-n-g-z-h-o-u A-r-b-i-t-r-a-t-i-o-n", "guangzhou arbitration"),
    ("A n y D e s k", "anydesk"),  # one gap throughout: one word, as before
    # a whole sentence spaced out, amounts and numbers too, once wider gaps show the words
    (" ".join("Pay 3,000 CNY today to 13812345678."), "pay 3,000 cny today to 13812345678."),
    ("P a y  3 , 0 0 0  C N Y", "pay 3,000 cny"),
    ("Room 1 2 3 4 is free", "room 1 2 3 4 is free"),  # no wider gap: digits one apart stay
    ("A B C  D E F", "abc def"),
    ("I  a m  a  s t u d e n t", "i am a student"),  # one-letter words stay words
    (" ".join("N o t i c e  f r o m"), "notice from"),  # spaced out again: the wider gaps still split
    (" ".join("A n y D e s k"), "anydesk"),  # evenly spaced, however wide: one word
    # combining marks on Chinese characters go; on Latin letters they are the letter's (Vietnamese, pinyin)
    ("北\u0300京仲裁委员会", "北京仲裁委员会"),
    ("仲\u20dd\u0301裁", "仲裁"),
    ("Nguye\u0302\u0303n Va\u0306n", "nguye\u0302\u0303n va\u0306n"),
    # any Unicode decimal digit reads as its ASCII digit (NFKC folds only the full-width ones)
    ("请致电١٣٨١٢٣٤٥٦٧٨", "请致电13812345678"),
    ("缴纳۳۰۰۰元", "缴纳3000元"),
    ("१२३", "123"),
])
def test_normalised_text(original, expected):
    assert normalise(original).text == expected


@pytest.mark.parametrize("original,normalised,source", [
    ("前\u200b文 ＨＫＩＡＣ 後", "hkiac", "ＨＫＩＡＣ"),
    ("【wang络zhong裁委员会】", "仲裁", "zhong裁"),  # a respelled word maps to what it replaced
    ("N o t i c e:  P a y  n o w", "pay", "P a y"),  # a spelled-out word maps to its own letters
])
def test_offsets_map_back(original, normalised, source):
    m = normalise(original)
    i = m.text.index(normalised)
    start, end = m.span(i, i + len(normalised))
    assert original[start:end] == source


@pytest.mark.parametrize("text,host,obfuscated", [
    ("请访问 https://www.bjac.org.cn/case 查看", "www.bjac.org.cn", False),
    ("访问bjac.org.cn查看", "bjac.org.cn", False),
    ("gzac点org", "gzac.org", True),
    ("www[.]wlzc88[.]com", "www.wlzc88.com", True),
    ("hxxp://wlzc88.com/x", "wlzc88.com", True),
    ("ｗｗｗ．ｗｌｚｃ８８．ｃｏｍ", "www.wlzc88.com", True),
    ("w w w . w l z c 8 8 . c o m /case", "www.wlzc88.com", True),
    ("wlzc88 . com", "wlzc88.com", True),
    # bidi controls reorder what is shown (like zero-width characters, they hide the real link)
    ("https://www.bjac.org.cn\u202e/esac", "www.bjac.org.cn", True),
    ("http://bjac\u2066.org\u2069.cn.evil.top", "bjac.org.cn.evil.top", True),
    ("http://case\U000e0020-pay.cc/a", "case-pay.cc", True),  # a tag character hides as ZWSP does
    # scheme-relative: a browser opens '//host/path' as a link on the page's scheme
    ("请登录 //zc-case.cn/a 查看", "zc-case.cn", False),
    ("请登录//www.bjac.org.cn查看", "www.bjac.org.cn", False),
    # a notice spaced out whole (OCR, a copy): the link's spaces are how all of it was written
    (" ".join("【某某商城】双十二大促，详情见 https://shop-sale.com/a ，回T退订"), "shop-sale.com", False),
    ("【某某商城】双十二大促，详情见 h t t p s : / / s h o p - s a l e . c o m / a ，回T退订", "shop-sale.com", True),
])
def test_links_found(text, host, obfuscated):
    links, _ = find_links(text, normalise(text))
    assert [lk.host for lk in links] == [host]
    assert links[0].obfuscated is obfuscated
    assert text[links[0].start:links[0].end]


def test_scheme_relative_link_keeps_what_was_written():
    links, _ = find_links("请登录 //zc-case.cn/a 查看", normalise("请登录 //zc-case.cn/a 查看"))
    assert (links[0].raw, links[0].url, links[0].path) == ("//zc-case.cn/a", "http://zc-case.cn/a", "/a")


@pytest.mark.parametrize("text,hosts", [
    ("https://www.bjac.org.cn//evil.cn/x", ["www.bjac.org.cn"]),  # a double slash in a path is no new link
    ("见 a/b//c.cn", []),
    ("ftp://x.cn//y.cn", ["x.cn"]),
])
def test_double_slash_inside_a_path_is_not_a_link(text, hosts):
    links, _ = find_links(text, normalise(text))
    assert [lk.host for lk in links] == hosts


@pytest.mark.parametrize("text", ["Ok. Me watching tv too.", "3.5 hours", "file.txt", "a@b.com"])
def test_no_false_links(text):
    links, _ = find_links(text, normalise(text))
    assert all(lk.host != "me.watching" for lk in links)
    assert not [lk for lk in links if lk.host in ("mail.com", "file.txt", "b.com")]


@pytest.mark.parametrize("raw,ip", [
    ("http://2130706433/", "127.0.0.1"), ("http://0x7f.1/", "127.0.0.1"),
    ("http://017700000001/", "127.0.0.1"), ("http://10.0.0.1:8080/x", "10.0.0.1"),
])
def test_ip_literal_forms(raw, ip):
    assert parse_link(raw).ip == ip


@pytest.mark.parametrize("raw", ["http://-54/", "http://+1.2.3.4/", "http://1_0.1.1.1/", "http://٣.1.1.1/",
                                 "http://0x.1.1.1/", "http://1.-2.3.4/"])
def test_ip_literal_lookalikes_are_not_ip_literals(raw):
    """Found by the fuzzer (tests/fuzz/crashers/body/crash-75b5…): int() took "-54" and the
    negative address raised, a 500 for any notice holding http://-54/."""
    link = parse_link(raw)
    assert link is None or link.ip is None


def test_registered_domain_offline():
    assert registered_domain("a.b.bjac.org.cn") == "bjac.org.cn"
    assert registered_domain("zxfw.court.gov.cn") == "court.gov.cn"
    assert registered_domain("localhost") == ""


def test_window_reads_the_normalised_text_of_an_original_span() -> None:
    """Checks read the words around a match from the notice's normalisation, not a second one."""
    original = "请将款项转入 您的 個人帳戶，網(wǎng)絡仲裁"
    m = normalise(original)
    at = original.index("個")
    assert m.window(0, at) == "请将款项转入您的"  # spaces inside Chinese gone, as in the whole text
    assert m.window(at, at + 4) == "个人账户"  # simplified, 帐 folded to 账
    assert m.window(original.index("網"), len(original)) == "网络仲裁"  # the gloss dropped
    assert m.window(original.index("(") + 1, original.index(")")) == ""  # inside what was dropped
    assert m.window(len(original), len(original) + 30) == ""  # past the end
def _l2_as_written(line: list[int], levels: list[int]) -> list[int]:
    """UAX #9 L2 as the standard words it: from the highest level to the lowest odd level,
    reverse every run at that level or higher (one pass a level)."""
    top = max((levels[i] for i in line), default=0)
    lowest_odd = min((levels[i] for i in line if levels[i] % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        out: list[int] = []
        run: list[int] = []
        for i in line:
            if levels[i] >= level:
                run.append(i)
            else:
                out.extend(reversed(run))
                run = []
                out.append(i)
        out.extend(reversed(run))
        line = out
    return line


def test_display_order_is_l2_as_the_standard_words_it():
    # the linear-time reordering (a pass a level cost 4-5 normal notices for 125 nested
    # overrides) gives the order the standard's own steps give
    import random

    from verifier.analysis import bidi

    rng = random.Random(7)
    pieces = ["a", "北", "1", "(", "】", " ", *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
    for size in [10] * 3000 + [400] * 200:
        text = "".join(rng.choice(pieces) for _ in range(size))
        levels = bidi._levels(text)
        line = [i for i in range(len(text)) if levels[i] >= 0]
        assert bidi.display_order(text)[0] == _l2_as_written(line, levels), repr(text)


def test_window_of_a_reordered_notice_reads_its_characters_as_shown() -> None:
    # a right-to-left override: offsets are out of order, so the window cannot be one slice
    original = "通知【\u202e会员委裁仲京北\u202c】请回复"
    m = normalise(original)
    assert m.reordered and "北京仲裁委员会" in m.text
    assert m.window(original.index("\u202e"), original.index("\u202c")) == "北京仲裁委员会"
    assert m.window(original.index("委"), original.index("京")) == "仲裁委"  # part of the name, as shown
    assert m.window(0, 2) == "通知"
    assert m.window(original.index("请"), len(original)) == "请回复"


def test_every_default_ignorable_character_is_dropped():
    """Unicode's Default_Ignorable_Code_Point renders as nothing, so every one of them can split
    a word past the matchers; the list in normalise.py is checked against the property itself."""
    import regex

    ignorable = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    kept = [hex(c) for c in range(0x110000)
            if not 0xD800 <= c <= 0xDFFF and ignorable.match(chr(c)) and normalise(f"a{chr(c)}b").text != "ab"]
    assert kept == []
