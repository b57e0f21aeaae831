"""Properties of normalise, extract and the engine over realistic notices and their mutations.

Seeds are the labelled corpus (tests/corpus/notices.jsonl); hypothesis mutates them (inserts,
deletions, duplications, hostile snippets) and also draws arbitrary strings. For every input the
request model accepts:

* nothing raises, and the answer is well formed;
* every offset lies inside the submitted text; a `text` evidence value is `text[start:end]`
  (cut to 200 characters, like every evidence value). Two documented exceptions:
  - links: the value is the de-obfuscated URL (`gzac点org` -> `gzac.org`); the span is what was
    written, and the host's characters appear in order in the normalised span;
  - `LINK_TOO_MANY`: the value is a count, with no offsets;
  - `extracted.case_numbers`: the number as normalised (`（２０２４）` reads `(2024)`); the span
    normalises to it (the CASE_* reasons' evidence is the written text itself);
* the same input gives the same answer;
* a notice and its variants get the same verdict: traditional script (opencc s2t), zero-width
  characters inside words, spaced-out CJK, and full-width ASCII outside links. Full-width or
  zero-width characters inside a link are themselves obfuscation (`LINK_OBFUSCATED`, by design:
  a real institution never writes its address that way), so there the property is narrower: the
  same codes apart from LINK_OBFUSCATED, and a verdict no milder.
"""

from __future__ import annotations

import json
from pathlib import Path

import opencc
import pytest
import regex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from verifier.analysis.extract import extract
from verifier.analysis.normalise import normalise
from verifier.engine import check_offline
from verifier.models import MAX_TEXT_CHARS, VerifyRequest, VerifyResponse

CORPUS = [json.loads(line) for line in
          (Path(__file__).parent / "corpus" / "notices.jsonl").read_text("utf-8").splitlines()
          if line.strip()]
NOTICES = [row for row in CORPUS if row["request"].get("text")]
VERDICTS = ("likely_genuine", "unverified", "suspicious", "likely_scam")
SEVERITY = {v: i for i, v in enumerate(VERDICTS)}  # "unverified" vs "likely_genuine": see below
HAN = regex.compile(r"\p{Han}")
WORD = regex.compile(r"[\p{Han}\p{Latin}0-9]")
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
SNIPPETS = ["http://", "https://wlzc-case.top/q", "点com", "[.]", "（2024）", "仲裁委员会", "网络仲裁委员会",
            "13812345678", "+86 10 6512 3456", "\u202e", "\u200b", "＠", "ｈｔｔｐ", "请于24小时内",
            "爆通讯录", "转账到个人账户", "\U0001f600", "\x00", "\r\n", "①②", "第", "号", "bjac.org.cn",
            "xn--", "%", "\ufffd", "a" * 60, "1" * 30, "。" * 10]

# A failing example can be a 10,000-character notice: its repr must not turn into a warning-error
# that hides the failure itself (pytest runs with filterwarnings=error).
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

PROPS = settings(max_examples=120, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def request(text: str, **extra: object) -> VerifyRequest | None:
    """The request the model accepts for this text, or None (lone surrogates, too long)."""
    try:
        req = VerifyRequest(text=text, **extra)  # type: ignore[arg-type]
    except ValidationError:
        return None
    return None if req.is_empty() else req


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A corpus notice with a few random edits."""
    text = draw(st.sampled_from(NOTICES))["request"]["text"]
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "dup", "snippet", "replace"]))
        if op == "insert":
            text = text[:pos] + draw(st.text(max_size=8)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)):]
        elif op == "dup":
            text = text[:pos] + text[pos:pos + draw(st.integers(1, 40))] * draw(st.integers(2, 5)) + text[pos:]
        elif op == "snippet":
            text = text[:pos] + draw(st.sampled_from(SNIPPETS)) + text[pos:]
        else:
            text = text[:pos] + draw(st.characters()) + text[pos + 1:]
    return text


ANY_TEXT = st.one_of(mutated(), st.text(max_size=300),
                     st.lists(st.sampled_from(list("仲裁委员会法院网络【】（）()[]./:点 0123456789abc@_-")
                                              + SNIPPETS), max_size=80).map("".join))


def check_offsets(text: str, resp: VerifyResponse) -> None:
    n = len(text)
    for reason in resp.reasons:
        for ev in reason.evidence:
            if ev.start is None or ev.end is None:
                assert ev.start is None and ev.end is None, (reason.code, ev)
                assert ev.field != "text" or reason.code == "LINK_TOO_MANY", (reason.code, ev)
                continue
            assert ev.field == "text", (reason.code, ev)  # offsets only ever point into text
            assert 0 <= ev.start <= ev.end <= n, (reason.code, ev, n)
            if reason.code.startswith("LINK_") or reason.code.startswith("CONSISTENCY_LINK"):
                assert_link_span(text[ev.start:ev.end], ev.value)
            else:
                assert ev.value == text[ev.start:ev.end][:200], (reason.code, ev)
    ex = resp.extracted
    for found in [*ex.phones, *ex.links, *ex.institutions, *ex.case_numbers]:
        if found.start is not None:
            assert found.end is not None and 0 <= found.start <= found.end <= n, found
    for case in ex.case_numbers:
        if case.start is not None:
            assert case.number == normalise(text[case.start:case.end]).text, case


def assert_link_span(written: str, value: str) -> None:
    """The written link holds the value's host, in order, once normalised and de-obfuscated."""
    assert written, value
    host = value.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if not host.isascii() or host.startswith("xn--") or ".xn--" in host:
        return  # IDNA turned the written host into punycode: nothing literal to compare
    letters = iter(normalise(written).text)
    assert all(c in letters for c in host if c.isalnum()), (written, value)


# -- never raises, offsets, determinism ---------------------------------------------------------

@PROPS
@given(ANY_TEXT)
def test_normalise_maps_every_character_inside_the_original(text: str) -> None:
    m = normalise(text)
    assert len(m.text) == len(m.start) == len(m.end)
    assert all(0 <= s < e <= len(text) for s, e in zip(m.start, m.end))
    # output order follows the original, or where a right-to-left override reorders the text,
    # the order it is shown in (then "\u202e" is in it)
    assert list(m.start) == sorted(m.start) or (m.reordered and "\u202e" in text)
    assert normalise(text) == m
    for a in range(0, len(m.text), 7):
        s, e = m.span(a, min(len(m.text), a + 5))
        assert 0 <= s <= e <= len(text)


@PROPS
@given(ANY_TEXT)
def test_extraction_offsets_point_into_the_original(registry, text: str) -> None:
    req = request(text)
    assume(req is not None)
    assert req is not None
    ex = extract(req, registry)
    n = len(text)
    for hit in ex.phrases:
        assert 0 <= hit.start <= hit.end <= n and hit.value == text[hit.start:hit.end]
    for found in [*ex.phones, *ex.bank_cards, *ex.cases, *ex.bodies]:
        if found.start is not None:
            assert found.end is not None and 0 <= found.start <= found.end <= n
    for case in ex.cases:  # the number as normalised: （２０２４） is reported as (2024)
        if case.start is not None:
            assert case.raw == normalise(text[case.start:case.end]).text
    for link in ex.links:
        if link.start is not None:
            assert link.end is not None and 0 <= link.start < link.end <= n
            assert_link_span(text[link.start:link.end], link.url)


@PROPS
@given(ANY_TEXT, st.sampled_from([None, "17012345678", "106912345678", "+8613800138000", "NOT A NUMBER"]),
       st.sampled_from(["zh-Hans", "zh-Hant", "en"]))
def test_engine_never_raises_and_is_deterministic(registry, text: str, sender: str | None,
                                                  lang: str) -> None:
    req = request(text, sender=sender)
    assume(req is not None)
    assert req is not None
    first = check_offline(req, registry, lang)
    assert first.verdict in VERDICTS and 0 <= first.risk <= 100
    check_offsets(text, first)
    again = check_offline(VerifyRequest.model_validate(req.model_dump()), registry, lang)
    assert again.model_dump() == first.model_dump()


def test_engine_on_every_corpus_notice_has_sound_offsets(registry) -> None:
    for row in NOTICES:
        req = VerifyRequest.model_validate(row["request"])
        check_offsets(row["request"]["text"], check_offline(req, registry))


# -- variants get the same verdict --------------------------------------------------------------

_S2T = opencc.OpenCC("s2t")


def link_spans(text: str, registry) -> list[tuple[int, int]]:
    ex = extract(VerifyRequest(text=text), registry)
    return [(lk.start, lk.end) for lk in ex.links if lk.start is not None and lk.end is not None]


def outside(spans: list[tuple[int, int]], i: int) -> bool:
    # one character of margin: a link's end is found by where its characters stop
    return not any(s - 1 <= i <= e for s, e in spans)


def traditional(text: str) -> str:
    return _S2T.convert(text)


def fullwidth(text: str, spans: list[tuple[int, int]] | None = None) -> str:
    return "".join(
        (chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c)
        if spans is None or outside(spans, i) else c
        for i, c in enumerate(text))


def sprinkled(text: str, spans: list[tuple[int, int]] | None, picks: list[int]) -> str:
    """A zero-width character after some word characters that are followed by another."""
    out = []
    for i, c in enumerate(text):
        out.append(c)
        if (i + 1 < len(text) and WORD.match(c) and WORD.match(text[i + 1]) and picks[i % len(picks)]
                and (spans is None or (outside(spans, i) and outside(spans, i + 1)))):
            out.append(ZERO_WIDTH[picks[i % len(picks)] % len(ZERO_WIDTH)])
    return "".join(out)


def spaced_out(text: str) -> str:
    return "".join(c + (" " if i + 1 < len(text) and HAN.match(c) and HAN.match(text[i + 1]) else "")
                   for i, c in enumerate(text))


def verdict(registry, row: dict, text: str) -> VerifyResponse:
    return check_offline(VerifyRequest.model_validate(row["request"] | {"text": text}), registry)


VARIANT = settings(max_examples=60, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow])
ROWS = st.sampled_from(NOTICES)
PICKS = st.lists(st.integers(0, 9), min_size=1, max_size=30)


@VARIANT
@given(ROWS, PICKS, st.sets(st.sampled_from(["traditional", "fullwidth", "zero-width", "spaced"]),
                              min_size=1))
def test_variants_get_the_same_verdict(registry, row: dict, picks: list[int], kinds: set[str]) -> None:
    text = row["request"]["text"]
    base = verdict(registry, row, text)
    variant = text
    if "traditional" in kinds:
        variant = traditional(variant)
    if "fullwidth" in kinds:
        variant = fullwidth(variant, link_spans(variant, registry))
    if "zero-width" in kinds:
        variant = sprinkled(variant, link_spans(variant, registry), picks)
    if "spaced" in kinds:
        variant = spaced_out(variant)
    assume(len(variant) <= MAX_TEXT_CHARS)
    got = verdict(registry, row, variant)
    assert got.verdict == base.verdict, (sorted(kinds), variant,
                                         {r.code for r in base.reasons} ^ {r.code for r in got.reasons})


@pytest.mark.parametrize("kind", ["traditional", "fullwidth", "zero-width", "spaced"])
def test_every_corpus_notice_keeps_its_verdict_under(registry, kind: str) -> None:
    """The exhaustive pass over the corpus, one variant at a time (hypothesis samples combinations)."""
    changed = []
    for row in NOTICES:
        text = row["request"]["text"]
        variant = {"traditional": lambda t: traditional(t),
                   "fullwidth": lambda t: fullwidth(t, link_spans(t, registry)),
                   "zero-width": lambda t: sprinkled(t, link_spans(t, registry), [1, 0, 3]),
                   "spaced": spaced_out}[kind](text)
        if verdict(registry, row, variant).verdict != verdict(registry, row, text).verdict:
            changed.append(row["id"])
    assert not changed


@VARIANT
@given(ROWS, PICKS)
def test_obfuscating_a_link_never_makes_a_notice_look_safer(registry, row: dict, picks: list[int]) -> None:
    """Full-width or zero-width characters inside a link: the same codes apart from
    LINK_OBFUSCATED (which the disguise rightly adds), and a verdict no milder."""
    text = row["request"]["text"]
    assume(link_spans(text, registry))
    base = verdict(registry, row, text)
    for variant in (fullwidth(text), sprinkled(text, None, picks)):
        got = verdict(registry, row, variant)
        codes = {r.code for r in got.reasons} - {"LINK_OBFUSCATED"}
        assert codes == {r.code for r in base.reasons} - {"LINK_OBFUSCATED"}, variant
        assert got.risk >= base.risk, variant
        if base.verdict != "unverified":
            assert SEVERITY[got.verdict] >= SEVERITY[base.verdict], variant
