"""Fast paths in verifier/analysis/urls.py give what the general code gives."""

from __future__ import annotations

import ipaddress
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.analysis import urls
from verifier.analysis.bidi import CONTROLS
from verifier.analysis.normalise import normalise

HOSTS = [
    "www.bjac.org.cn", "bjac.org.cn", "bjac.org.cn.pay-case.cc", "zcaj-query.netlify.app", "a.github.io",
    "t.cn", "dwz.cn", "www.example.co.uk", "foo.bar.ck", "www.ck", "city.kawasaki.jp", "a.b.kawasaki.jp",
    "com", "cn", "localhost", "a..com", "-a.com", "1.2.3.4", "2130706433", "0x7f.1", "abc.def", "123.com",
    "xn--bjac-7ve.com", "gov.cn", "hrss.sz.gov.cn", "s1.example.com", "a.b.c.d.e.f.g.top", "x.zz",
]


def _general(host: str) -> str:
    r = urls._extractor()(host)
    return f"{r.domain}.{r.suffix}" if r.suffix and r.domain else ""


def _random_hosts(n: int) -> list[str]:
    rnd = random.Random(11)
    tlds = ["com", "cn", "com.cn", "org.cn", "ck", "jp", "kawasaki.jp", "app", "netlify.app", "io", "uk", "co.uk", "zz"]
    labels = ["a", "www", "bjac", "x-y", "0", "12", "pay", "case", "", "github", "kawasaki"]
    return [".".join(rnd.choice(labels) for _ in range(rnd.randint(0, 3))) + "." + rnd.choice(tlds)
            for _ in range(n)]


@pytest.mark.parametrize("host", HOSTS + _random_hosts(300))
def test_plain_hosts_get_tldextracts_answer(host):
    host = host.strip(".")
    if urls._PLAIN_HOST.fullmatch(host) and "xn--" not in host:
        assert urls._plain_registered_domain(host) == _general(host)
    assert urls.registered_domain(host) == (_general(host) if host else "")


@pytest.mark.parametrize("host", ["1.2.3.4", "2130706433", "0x7f.1", "0177.0.0.1", "::1", "fe80::1%eth0", "abc",
                                  "bjac.org.cn", "1.2.3.4.5", "a.b.c.d", "ff", "0xffffffff", "1..2", "９.9.9.9"])
def test_ip_precheck_rejects_only_what_cannot_be_an_ip(host):
    """Without ":" and with a character outside hex digits, x and dots, neither ipaddress nor
    the dotted/decimal/hex/octal parts can read the host."""
    if not (":" in host or urls._IP_CHARS.issuperset(host)):
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            pytest.fail(f"{host} is an IP address but the precheck rejects it")
        assert urls._ipv4_literal(host) is None


def _find_links_unguarded(original: str, text) -> tuple[list, int]:
    """find_links as it was before its shortcuts: every rewrite and the URL search, always."""
    clean = text.sub(urls._SPACED_OUT, lambda m: urls._join_spaced(m, text, original))  # split at sentence dots
    clean = clean.sub(urls._HXXP, lambda m: f"http{m.group(1)}://")
    clean = clean.sub(urls._DOT_WORDS, ".")
    clean = clean.sub(urls._SLASH_SPACES, "/")
    links, seen, total = [], set(), 0
    for m in urls._URL.finditer(clean.text):
        start, end = clean.span(*m.span())
        if not clean.reordered:
            start += urls._run_lead(original[start:end], m.group(0))
        shown = list(clean.start[m.start():m.end()])  # shown in another order than sent
        reordered = shown != sorted(shown)
        piece = original[start:end]
        hint = bool(urls._OBFUSCATION_HINT.search(piece)) or (
            urls._SPACE.search(piece) is not None and not urls._spaced_whole(original))
        link = urls.parse_link(m.group(0), start, end, reordered or hint)
        if link is None:
            continue
        if reordered or (hint and not CONTROLS.isdisjoint(original[start:end])):
            link = link._replace(bidi=True)
        total += 1
        if link.url in seen or len(links) >= urls.MAX_LINKS:
            continue
        seen.add(link.url)
        links.append(link)
    return links, total


LINKISH = ["http", "://", "hxxp", ":", "/", " / ", ".", "。", "点", "[.]", "(dot)", " dot ", "com", "cn", "a", "b1",
           "www", " ", "  ", "1", "٣", "仲裁", "，", "xn--", "-", "@", "ｗｗｗ", "．", "点 com"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(LINKISH) | st.text(max_size=2), max_size=16))
def test_find_links_shortcuts_change_nothing(pieces):
    original = "".join(pieces)
    text = normalise(original)
    assert urls._find_links(original, text) == _find_links_unguarded(original, text)


def test_find_links_shortcuts_on_the_golden_inputs():
    from test_golden import INPUTS

    for _key, req, _lang, _net in INPUTS:
        original = req.get("text") or ""
        text = normalise(original)
        assert urls._find_links(original, text) == _find_links_unguarded(original, text)
