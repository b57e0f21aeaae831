"""Hostile input to the engine: a verdict or a clear error, fast, never a traceback.

Every regular expression, in code and in the registry, is fed adversarial strings.
"""

from __future__ import annotations

import random
import time
import unicodedata

import pytest
import regex

from verifier.analysis import cases, names, phones, urls
from verifier.analysis.normalise import normalise
from verifier.engine import check_offline
from verifier.models import MAX_TEXT_CHARS, VerifyRequest

HOSTILE = {
    "empty": "",
    "spaces": " " * 5000,
    "binary": bytes(range(256)).decode("latin-1") * 30,
    "urls": " ".join(f"http://a{i}.com" for i in range(2000)),
    "dots": "a." * 4999,
    "brackets": "（2024）" * 1400,
    "digits": "1 " * 4999,
    "han": "仲" * MAX_TEXT_CHARS,
    "suffixes": "仲裁委员会" * 2000,
    "zero-width": "\u200b" * MAX_TEXT_CHARS,
    "mixed": "网络仲裁委员会http://x.cn 13800138000 " * 250,
    "bidi": "\u202ehttp://moc.elgoog\u202c 仲裁",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_gets_a_verdict(registry, name):
    text = HOSTILE[name][:MAX_TEXT_CHARS]
    t0 = time.perf_counter()
    resp = check_offline(VerifyRequest(text=text or None, sender="x" if not text else None), registry)
    assert resp.verdict in ("likely_genuine", "unverified", "suspicious", "likely_scam")
    assert time.perf_counter() - t0 < 10  # a correctness bound (no runaway), not a speed target


def test_lone_surrogates_are_a_clear_validation_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        VerifyRequest(text="\ud800仲裁\udfff委员会")
    assert info.value.errors()[0]["loc"] == ("text",)


def test_oversized_text_is_a_validation_error():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        VerifyRequest(text="x" * (MAX_TEXT_CHARS + 1))


def test_random_strings_never_raise(registry):
    rnd = random.Random(7)
    alphabet = "仲裁委员会法院网络【】（）()[].:/ 0123456789abcxyz@_-点。，\u200bｗ"
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 400)))
        check_offline(VerifyRequest(text=text or "x"), registry)


def _patterns(registry) -> list[tuple[str, regex.Pattern[str]]]:
    mods = [urls, phones, cases, names]
    found = []
    for mod in mods:
        for attr, value in vars(mod).items():
            if isinstance(value, regex.Pattern):
                found.append((f"{mod.__name__}.{attr}", value))
    for code, pat in registry.patterns:
        found.append((f"registry:{code}:{pat.pattern[:30]}", pat))
    return found


def _attacks(p: regex.Pattern[str]) -> list[str]:
    chars = sorted(set(regex.sub(r"\\[a-zA-Z]|[\[\](){}?*+|^$.\\]", "", p.pattern)))[:40] or ["a"]
    out = []
    for c in chars + ["a", "1", " ", ".", "仲"]:
        out.append(c * 5000 + "!")
        out.append((c + " ") * 2500 + "!")
    out.append("a." * 2500 + "!")
    out.append("1-" * 2500)
    out.append("(2024)" * 800)
    return out


def test_no_regex_backtracks_catastrophically(registry):
    for name, p in _patterns(registry):
        for attack in _attacks(p):
            text = normalise(attack).text
            # Catastrophic backtracking on 5,000 characters runs for hours; 10 s only guards against
            # that, not a speed target (a loaded CI machine took 3.7 s for a linear pattern).
            try:
                for _ in p.finditer(text, timeout=10.0):
                    pass
            except TimeoutError:
                pytest.fail(f"{name} timed out on an adversarial string")


def test_nfkc_cannot_grow_a_notice_past_four_times_its_length(registry):
    # U+FDFA became 18 characters: a notice at the length limit normalised to 180,000 and cost
    # 7-9 times a normal notice of that length. Characters that expand further stay as they are.
    expanding = [ch for ch in map(chr, range(0x110000))
                 if not 0xD800 <= ord(ch) <= 0xDFFF and len(unicodedata.normalize("NFKC", ch)) > 1]
    worst = max(expanding, key=lambda ch: len(normalise(ch).text))
    assert len(normalise(worst).text) <= 4
    text = "\ufdfa" * MAX_TEXT_CHARS
    assert len(normalise(text).text) == MAX_TEXT_CHARS
    check_offline(VerifyRequest(text=text), registry)
    assert normalise("㍻㈱㍿").text == "平成(株)株式会社"  # the short expansions still read as words


def _best_ms(registry, text: str) -> float:
    check_offline(VerifyRequest(text=text), registry)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        check_offline(VerifyRequest(text=text), registry)
        best = min(best, time.perf_counter() - t0)
    return best * 1000


@pytest.mark.parametrize("shape", ["nested", "override-per-character", "override-per-line"])
def test_bidi_controls_read_in_display_order_cost_a_few_normal_notices(registry, shape):
    # A notice is read in the order an override shows it (analysis/bidi.py): the evidence still
    # points at the text as sent, and the most an attacker's controls can cost (every character
    # at its own level, 125 deep) stays within a few normal notices of the length limit.
    normal = ("【北京仲裁委员会】您的案件已受理，请登录 https://www.bjac.org.cn 查看，联系13800138000。" * 200)
    normal = normal[:MAX_TEXT_CHARS]
    text = {
        "nested": "\u202e\u202d" * 62 + normal,
        "override-per-character": "\u202e北" * (MAX_TEXT_CHARS // 2),
        "override-per-line": "\u202e北京仲裁委员会\n" * (MAX_TEXT_CHARS // 9),
    }[shape][:MAX_TEXT_CHARS]
    resp = check_offline(VerifyRequest(text=text), registry)
    for reason in resp.reasons:
        for ev in reason.evidence:
            if ev.field == "text" and not reason.code.startswith(("LINK_", "CONSISTENCY_LINK")):
                assert 0 <= ev.start <= ev.end <= len(text) and text[ev.start:ev.end] == ev.value
    # A guard against blow-up (quadratic in the depth would be ~100x), not a speed target: the
    # nested shape costs ~3x a normal notice, and a loaded machine skews single runs.
    assert _best_ms(registry, text) < 10 * _best_ms(registry, normal)
