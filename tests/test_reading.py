"""Reading names and numbers out of a notice: where a name starts, which digit runs are numbers.

Pure functions on the bundled registry; the engine's answers are in test_engine_cases.py.
"""

from __future__ import annotations

import pytest

from verifier.analysis import names, phones
from verifier.analysis.normalise import normalise


def _bodies(text: str, registry) -> list[tuple[str, str]]:
    return [(b.name, b.status) for b in names.find_bodies(normalise(text), registry)]


@pytest.mark.parametrize("text,name", [
    # a word with a stop character (在 of 在线, 会 of 商会, 据 of 数据) does not cut the name in two
    ("【在线调解仲裁中心】您的案件已立案", "在线调解仲裁中心"),
    ("【全国在线仲裁中心】您的案件已立案", "全国在线仲裁中心"),
    ("【中国在线仲裁院】已立案", "中国在线仲裁院"),
    ("【大数据仲裁中心】已立案", "大数据仲裁中心"),
    ("【智能仲裁中心】已立案", "智能仲裁中心"),
    ("【网上仲裁委员会】已立案", "网上仲裁委员会"),
    ("【中国经济仲裁委员会】已立案", "中国经济仲裁委员会"),
])
def test_name_read_whole(text, name, registry):
    assert [n for n, _ in _bodies(text, registry)] == [name]


@pytest.mark.parametrize("text,name", [
    ("请于今日在仲裁委员会官网查询", None),  # 在 the preposition still ends a reading
    ("您在线上提交的材料已送达北京仲裁委员会", "北京仲裁委员会"),
    ("送上仲裁委员会的通知", None),
])
def test_stop_characters_still_stop(text, name, registry):
    assert [n for n, _ in _bodies(text, registry)] == ([name] if name else [])


def test_listed_fake_named_whole(registry):
    """A listed fake with more scam words in front is that fake, read to its first character."""
    assert _bodies("【互联网金融仲裁委员会】已立案", registry) == [("互联网金融仲裁委员会", names.FAKE)]


@pytest.mark.parametrize("text", [
    "【全国调解法院】您的案件已立案", "全国调解法院已受理您的网贷纠纷", "【北京网络借贷法院】已立案", "【中国在线法院】已立案",
])
def test_invented_court_is_read_and_impossible(text, registry):
    assert [s for _, s in _bodies(text, registry)] == [names.IMPOSSIBLE]


@pytest.mark.parametrize("text", [
    "请登录全国法院统一送达平台查看", "关注吉林电子法院公众号", "上海法院发布典型案例", "中国移动微法院", "已向法院起诉",
    "请于今天转账，逾期移送法院强制执行", "您未还网贷法院将起诉", "产生纠纷法院会判",  # a clause ends before 法院
])
def test_courts_at_large_and_platforms_are_no_invented_court(text, registry):
    assert not {s for _, s in _bodies(text, registry)} & {names.IMPOSSIBLE, names.UNRECOGNISED, names.NEAR_MISS}


def test_lawful_courts_stay_lawful(registry):
    assert [s for _, s in _bodies("【北京市朝阳区人民法院】已立案", registry)] == [names.LAWFUL]
    assert names.judge("上海金融法院", registry)[0] == names.LAWFUL
    assert names.judge("全国调解法院", registry)[0] == names.IMPOSSIBLE


@pytest.mark.parametrize("sender,key,kind", [
    ("1082217788", "01082217788", phones.LANDLINE),  # Beijing, trunk 0 left out by the gateway
    ("2083288188", "02083288188", phones.LANDLINE),  # Guangzhou
    ("01082217788", "01082217788", phones.LANDLINE),
    ("13800138000", "13800138000", phones.MOBILE),
    ("1069012345", "1069012345", phones.SERVICE_PORT),
    ("95566", "95566", phones.SHORT),
    ("4008001234", "4008001234", phones.HOTLINE),
    ("1234567890", "1234567890", phones.OTHER),  # no area code 012
    ("+1082217788", "+1082217788", phones.FOREIGN),  # written with a plus: a calling code, not a trunk
])
def test_sender_without_trunk_zero(sender, key, kind):
    s = phones.parse_sender(sender, ())
    assert (s.key, s.kind) == (key, kind)


@pytest.mark.parametrize("sender,key", [
    # the police's SMS alarm number with the area code after it: its last three digits, or (Hebei)
    # the whole code; each was SENDER_UNPARSEABLE
    ("12110010", "12110"), ("12110021", "12110"), ("12110755", "12110"), ("12110771", "12110"),
    ("121100311", "12110"), ("+86 12110755", "12110"), ("12110-755", "12110"),
    # not an area code after it, or more digits: not the alarm number
    ("12110012", "12110012"), ("12110001", "12110001"), ("121107551", "121107551"),
    ("1211075", "1211075"),
])
def test_police_sms_number_with_an_area_code(sender, key):
    s = phones.parse_sender(sender, ())
    assert s.key == key and (s.kind == phones.SHORT) == (key == "12110")


@pytest.mark.parametrize("sender,key", [
    # an area code and a short number after +86 is the short number, as its national form is
    ("+86 551 96110", "96110"), ("0551-96110", "96110"), ("+86 10 12368", "12368"), ("+86 571 95188", "95188"),
    # a landline or a long 95 number after +86 stays what it is
    ("+86 755 83501700", "075583501700"), ("+86 95566123", "95566123"), ("+86 96110", "96110"),
])
def test_short_number_after_plus86_and_area_code(sender, key):
    assert phones.parse_sender(sender, ()).key == key


def _numbers(text: str) -> list[tuple[str, str]]:
    return [(p.key, p.kind) for p in phones.find_phones(normalise(text), (), [])]


@pytest.mark.parametrize("text,found", [
    ("请致电1082217788咨询", [("01082217788", phones.LANDLINE)]),
    ("详情请拨打 10-8221-7788", [("01082217788", phones.LANDLINE)]),
    ("联系电话：2083288188", [("02083288188", phones.LANDLINE)]),
    # a run of digits without a call label is no number: an order, a reference, a date
    ("订单号1082217788已发货", []),
    ("案件编号2025120112，请查收", []),
    ("请拨打1069012345", [("1069012345", phones.SERVICE_PORT)]),
    ("请拨打13800138000", [("13800138000", phones.MOBILE)]),
    ("请致电1082217788元", []),  # an amount
    ("不便通话时可发送短信至12110755报警", [("12110", phones.SHORT)]),
])
def test_landline_without_trunk_zero_in_text(text, found):
    assert _numbers(text) == found


@pytest.mark.parametrize("sender,status", [
    ("北京仲裁委员会", names.REGISTERED),
    ("广州仲裁委", names.REGISTERED),  # the short form people use
    ("CIETAC", names.REGISTERED),
    ("网络仲裁委员会", names.FAKE),
    ("全国调解法院", names.IMPOSSIBLE),
])
def test_display_name_names_a_body(sender, status, registry):
    shown = names.display_name(sender, registry)
    assert shown is not None and (shown.status, shown.field) == (status, "sender")


@pytest.mark.parametrize("sender", ["Info", "x", "顺丰速运", "DHL", "ARB-COURT"])
def test_display_name_that_names_no_body(sender, registry):
    assert names.display_name(sender, registry) is None


def test_short_form_is_the_commission_misspelling_is_not(registry):
    assert names.judge("广州仲裁委", registry)[0] == names.REGISTERED
    assert names.judge("广州仲裁委会", registry)[0] == names.NEAR_MISS  # 委会: the misspelling scams use


@pytest.mark.parametrize("text,ok", [
    ("（2025）浙0192民初1234号", True),  # a basic court: four digits (the internet courts' among them)
    ("（2025）京0491民初12345号", True),
    ("（2025）粤0192民初1234号", True),
    ("（2024）京73民终123号", True),  # a specialised intermediate court: two digits
    ("（2025）浙192民初1234号", False),  # three digits: no court's code
    ("（2025）浙01920民初1234号", False),
    ("（2025）粤030401执1234号", False),
])
def test_court_code_has_two_or_four_digits(text, ok):
    from verifier.analysis.cases import find_cases

    cases = find_cases(normalise(text), 2026)
    assert [c.well_formed for c in cases] == [ok]
