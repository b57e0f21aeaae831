"""The outbound address policy and IP-literal parsing: pure tables, no network."""

from __future__ import annotations

import ipaddress

import pytest

from verifier.net.addresses import host_ip, is_allowed, is_forbidden, parse_ipv4_legacy


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "233.252.0.1",
        "240.0.0.1",
        "192.0.0.9",
        "198.18.0.1",
        "192.0.2.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:8.8.8.8",  # mapped forms never come from honest DNS
        "::127.0.0.1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::1",
        "2001:db8::1",
        "fe80::1%eth0",
    ],
)
def test_forbidden(address: str) -> None:
    assert is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2400:3200::1"])
def test_public_is_allowed(address: str) -> None:
    assert not is_forbidden(ipaddress.ip_address(address))


def test_allow_networks_is_an_explicit_exception() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    assert not is_allowed(loopback)
    assert is_allowed(loopback, [ipaddress.ip_network("127.0.0.1/32")])
    assert not is_allowed(ipaddress.ip_address("127.0.0.2"), [ipaddress.ip_network("127.0.0.1/32")])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("1.2.3.4", "1.2.3.4"),
        ("1.2.3.4.", "1.2.3.4"),
        ("[::1]", "::1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
    ],
)
def test_ip_literals_in_any_spelling(host: str, expected: str) -> None:
    assert host_ip(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("host", ["256.1.1.1", "09.1.1.1", "a.123", "1.2.3.4.5", "[zz::1]"])
def test_numeric_hosts_that_are_no_address_are_invalid(host: str) -> None:
    assert host_ip(host) is False


@pytest.mark.parametrize(
    "host", ["example.com", "1e100.net", "0x.example", "t.cn", "例子.中国", "0x1g"]
)
def test_names_are_names(host: str) -> None:
    assert host_ip(host) is None


def test_legacy_parser_rejects_overflow() -> None:
    assert parse_ipv4_legacy("4294967296") is None
    assert parse_ipv4_legacy("4294967295") == ipaddress.IPv4Address("255.255.255.255")
    assert parse_ipv4_legacy("1.16777216") is None
