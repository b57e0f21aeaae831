"""The partners file: origins normalised strictly, every problem reported with its line."""

from __future__ import annotations

import os

import pytest

from verifier.web.partners import (
    NO_PARTNERS,
    PartnersError,
    load_partners,
    normalise_origin,
    origin_of,
    parse_partners,
)


@pytest.mark.parametrize(("given", "expected"), [
    ("https://example.org", "https://example.org"),
    ("HTTPS://Example.ORG:443/", "https://example.org"),
    ("https://example.org:8443", "https://example.org:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost", "http://localhost"),
    ("https://xn--fiqs8s.example", "https://xn--fiqs8s.example"),
])
def test_origin_normalised(given, expected):
    assert normalise_origin(given) == expected


@pytest.mark.parametrize("bad", [
    "example.org",                      # no scheme
    "http://example.org",               # plain http off loopback
    "https://example.org/widget",       # a path
    "https://example.org?x=1",
    "https://user@example.org",
    "https://*.example.org",            # wildcards would silently widen access
    "https://exa mple.org",
    "ftp://example.org",
    "https://example.org:99999",
])
def test_origin_refused(bad):
    with pytest.raises(ValueError):
        normalise_origin(bad)


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("null", None),
    ("http://evil.example", "http://evil.example"),
    ("https://Example.org:443", "https://example.org"),
    ("https://example.org/path", None),
    ("javascript:alert(1)", None),
])
def test_request_origin(header, expected):
    assert origin_of(header) == expected


def test_parse_valid_file():
    partners = parse_partners(
        "- key: cg-example\n  name: 消费者协会\n"
        "  origins: [https://example.org, https://EXAMPLE.org]\n"
        "- key: other_key\n  name: Other\n  origins: [https://other.example]\n"
        "  rate_limit: 5/second\n"
    )
    assert len(partners) == 2
    assert partners.get("cg-example").origins == ("https://example.org",)
    assert partners.get("other_key").rate == (5, 1)
    assert partners.get("cg-example").rate_limit == "600/minute"
    assert partners.get("missing") is None
    assert partners.get("../../etc") is None
    assert partners.all_origins == {"https://example.org", "https://other.example"}


def test_every_problem_named_with_its_line():
    text = (
        "- key: good-key\n  name: Good\n  origins: [https://good.example]\n"
        "- key: x\n  name: Bad\n  origins: [http://bad.example/path]\n  colour: red\n"
        "- key: good-key\n  name: Duplicate\n  origins: [https://dup.example]\n"
        "- key: no-rate\n  name: Rate\n  origins: https://rate.example\n  rate_limit: lots\n"
    )
    with pytest.raises(PartnersError) as info:
        parse_partners(text, "partners.yaml")
    message = str(info.value)
    assert "partners.yaml:4: partner 2, key:" in message
    assert "partners.yaml:4: partner 2, origins:" in message and "no path" in message
    assert "partners.yaml:4: partner 2, colour:" in message
    assert "partners.yaml:8: partner 3, key: 'good-key' is already used" in message
    assert "partners.yaml:11: partner 4, origins:" in message
    assert "partners.yaml:11: partner 4, rate_limit:" in message


@pytest.mark.parametrize("text", ["key: a\n", "- key: [unclosed\n", "just text"])
def test_not_a_list(text):
    with pytest.raises(PartnersError, match=r"partners.yaml:\d+"):
        parse_partners(text, "partners.yaml")


def test_no_file_means_no_partners(tmp_path):
    assert load_partners(None) is NO_PARTNERS
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert len(load_partners(empty)) == 0
    with pytest.raises(PartnersError, match="cannot read"):
        load_partners(tmp_path / "missing.yaml")


@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xfe- key: x\n", "not UTF-8"),  # was a UnicodeDecodeError traceback at start-up
    (b"- " + b"[" * 5000 + b"]" * 5000 + b"\n", "nesting depth"),  # was a RecursionError traceback
    ("".join(f"- key: key{i}\n  name: x\n  origins: &o{i} [" + ", ".join([f"*o{i - 1}"] * 9 if i else ["x"] * 9)
             + "]\n" for i in range(9)).encode(), "aliases repeat"),  # printed (or ran out of memory on) 9^8 values
    (b"- key: cg-example\n  name: x\n  origins: [https://example.org]\n  origins: [https://evil.example]\n",
     "duplicate key 'origins'"),  # the second list silently won
    (None, "not a regular file"),  # a FIFO: start-up waited forever for a writer
    (b"- key: 2024-02-30\n  name: x\n  origins: [https://example.org]\n",
     r":1:8: YAML: day is out of range"),  # a ValueError traceback at start-up
])
def test_hostile_partners_file_is_a_clear_error(tmp_path, content, words):
    path = tmp_path / "partners.yaml"
    if content is None:
        os.mkfifo(path)
    else:
        path.write_bytes(content)
    with pytest.raises(PartnersError, match=words) as info:
        load_partners(path)
    assert str(path) in str(info.value) and len(str(info.value)) < 1000
