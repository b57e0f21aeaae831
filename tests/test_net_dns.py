"""Pure parts of the DNS layer: name preparation and reading DNSBL answers."""

from __future__ import annotations

import pytest

from verifier.analysis.evidence import DnsblResult
from verifier.net.dns import Answer, to_name
from verifier.net.dnsbl import interpret, query_name


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("Example.COM", "example.com."),
        ("example.com.", "example.com."),
        (" bjac.org.cn ", "bjac.org.cn."),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s."),
        ("_dmarc.example.com", "_dmarc.example.com."),
    ],
)
def test_to_name(domain: str, expected: str) -> None:
    name = to_name(domain)
    assert name is not None and name.to_text() == expected


@pytest.mark.parametrize(
    "domain",
    [
        "",
        "com",
        "a" * 64 + ".com",
        "x." * 130 + "com",
        "1.2.3.4",
        "::1",
        "a b.com",
        "a/b.com",
        "foo.localhost",
        "nas.local",
        "-a.com",
        "a-.com",
        "\x00.com",
        "😀",
    ],
)
def test_to_name_refuses(domain: str) -> None:
    assert to_name(domain) is None


def test_dnsbl_query_name() -> None:
    name = query_name("Evil.Example", "dbl.spamhaus.org.")
    assert name is not None and name.to_text() == "evil.example.dbl.spamhaus.org."
    assert query_name(".".join(["a" * 63] * 3) + ".com", "x" * 60 + ".org") is None
    assert query_name("example.com", "bad zone") is None
    assert query_name("example.com", "") is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer("nxdomain"), DnsblResult("z.test", "clean")),
        (Answer("nodata"), DnsblResult("z.test", "clean")),
        (Answer("error", why="timeout"), DnsblResult("z.test", "unknown")),
        (
            Answer("answer", ("127.0.1.2",)),
            DnsblResult("z.test", "listed", "127.0.1.2", ("127.0.1.2",)),
        ),
        (
            Answer("answer", ("127.0.1.104", "127.0.1.4")),
            DnsblResult("z.test", "listed", "127.0.1.4", ("127.0.1.4", "127.0.1.104")),
        ),
        (
            Answer("answer", ("127.255.255.254",)),
            DnsblResult("z.test", "refused", "127.255.255.254", ("127.255.255.254",)),
        ),
        (
            Answer("answer", ("127.0.1.2", "127.255.255.252")),
            DnsblResult("z.test", "refused", "127.255.255.252", ("127.255.255.252",)),
        ),
        (Answer("answer", ("198.51.100.7",)), DnsblResult("z.test", "unknown")),
        (Answer("answer", ("::1",)), DnsblResult("z.test", "unknown")),
        (Answer("answer", ()), DnsblResult("z.test", "unknown")),
    ],
)
def test_interpret(answer: Answer, expected: DnsblResult) -> None:
    assert interpret("z.test", answer) == expected
