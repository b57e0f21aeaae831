"""Probes against a real DNS server on loopback: outcomes, the deadline, cache and single-flight."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dns_server import DnsServer, running_dns_server

from verifier.analysis.evidence import DnsblResult, NetworkEvidence
from verifier.net.dns import A, DnsClient, to_name
from verifier.net.probes import Probes
from verifier.settings import Settings

BUDGET_MS = 300
MARGIN_S = 1.0  # a correctness bound (never waits for a silent server), not a benchmark


@pytest.fixture
async def dns_server() -> AsyncIterator[DnsServer]:
    async with running_dns_server() as server:
        server.a("exists.test", "192.0.2.10", ttl=60)
        server.a("v6only.test", "2001:db8::10", ttl=60)
        server.set("nodata.test", "nodata")
        server.set("servfail.test", "servfail")
        server.set("refused.test", "refused")
        server.set("garbage.test", "garbage")
        server.set("silent.test", "silent")
        server.a("short.test", "192.0.2.11", ttl=1)
        for domain, code in [
            ("spam.example", "127.0.1.2"),
            ("phish.example", "127.0.1.4"),
            ("abused.example", "127.0.1.102"),
            ("viapublic.example", "127.255.255.254"),
            ("hijacked.example", "192.0.2.99"),
        ]:
            server.a(f"{domain}.dbl.test", code)
        server.a("multi.example.dbl.test", "127.0.1.4", "127.0.1.2")
        server.set("slowbl.example.dbl.test", "silent")
        yield server


def make_settings(server: DnsServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "dns_nameservers": server.nameserver,
        "dns_timeout_ms": BUDGET_MS,
        "dnsbl_zones": "dbl.test",
        "network_checks": "on",
        "expand_shorteners": "off",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def probes(dns_server: DnsServer) -> AsyncIterator[Probes]:
    async with Probes(make_settings(dns_server)) as p:
        yield p


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("exists.test", "exists"),
        ("EXISTS.test.", "exists"),
        ("v6only.test", "exists"),  # NODATA for A: the name exists
        ("nodata.test", "exists"),
        ("missing.test", "nxdomain"),
        ("servfail.test", "unknown"),
        ("refused.test", "unknown"),
        ("garbage.test", "unknown"),
        ("silent.test", "unknown"),
    ],
)
async def test_resolution_outcomes(probes: Probes, domain: str, expected: str) -> None:
    evidence = await probes.gather([domain])
    assert evidence.enabled
    assert evidence.domains[domain].resolution == expected
    assert evidence.timed_out == (domain in ("garbage.test", "silent.test"))


@pytest.mark.parametrize(
    ("domain", "status", "code"),
    [
        ("spam.example", "listed", "127.0.1.2"),
        ("phish.example", "listed", "127.0.1.4"),
        ("abused.example", "listed", "127.0.1.102"),
        ("multi.example", "listed", "127.0.1.2"),
        ("viapublic.example", "refused", "127.255.255.254"),
        ("hijacked.example", "unknown", None),  # an answer outside 127/8 is no listing
        ("clean.example", "clean", None),
        ("slowbl.example", "unknown", None),
    ],
)
async def test_dnsbl_outcomes(probes: Probes, domain: str, status: str, code: str | None) -> None:
    evidence = await probes.gather([domain])
    (result,) = evidence.domains[domain].dnsbl
    assert result == DnsblResult("dbl.test", status, code, result.return_codes)  # type: ignore[arg-type]
    if domain == "multi.example":
        assert result.return_codes == ("127.0.1.2", "127.0.1.4")


async def test_silent_server_answer_arrives_within_budget(
    probes: Probes, dns_server: DnsServer
) -> None:
    started = time.monotonic()
    evidence = await probes.gather(["silent.test", "exists.test", "missing.test", "spam.example"])
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_MS / 1000 + MARGIN_S
    assert evidence.timed_out
    # what arrived before the deadline is kept; only the silent one is unknown
    assert evidence.domains["silent.test"].resolution == "unknown"
    assert evidence.domains["exists.test"].resolution == "exists"
    assert evidence.domains["missing.test"].resolution == "nxdomain"
    assert evidence.domains["spam.example"].dnsbl[0].status == "listed"
    assert dns_server.count("silent.test") >= 1


async def test_slow_answer_after_deadline_is_unknown(dns_server: DnsServer) -> None:
    dns_server.a("slow.test", "192.0.2.12", delay=0.6)
    async with Probes(make_settings(dns_server, dns_timeout_ms=200)) as probes:
        started = time.monotonic()
        evidence = await probes.gather(["slow.test"])
        assert time.monotonic() - started < 0.2 + MARGIN_S
    assert evidence.timed_out
    assert evidence.domains["slow.test"].resolution == "unknown"


async def test_second_identical_gather_makes_no_query(
    probes: Probes, dns_server: DnsServer
) -> None:
    first = await probes.gather(["exists.test", "missing.test", "spam.example"])
    counts = dict(dns_server.counts)
    second = await probes.gather(["exists.test", "missing.test", "spam.example"])
    assert dict(dns_server.counts) == counts
    assert second == first
    assert counts["exists.test"] == 1
    assert counts["missing.test"] == 1  # NXDOMAIN is cached too (per the SOA minimum)


async def test_failures_are_not_cached(probes: Probes, dns_server: DnsServer) -> None:
    await probes.gather(["servfail.test"])
    await probes.gather(["servfail.test"])
    assert dns_server.count("servfail.test") == 2


async def test_ttl_expiry_queries_again(probes: Probes, dns_server: DnsServer) -> None:
    await probes.gather(["short.test"])
    await probes.gather(["short.test"])
    assert dns_server.count("short.test") == 1
    await asyncio.sleep(1.1)
    evidence = await probes.gather(["short.test"])
    assert dns_server.count("short.test") == 2
    assert evidence.domains["short.test"].resolution == "exists"


async def test_negative_ttl_follows_soa_minimum() -> None:
    async with running_dns_server(soa_minimum=1) as server:
        probes = Probes(make_settings(server))
        async with probes:
            await probes.gather(["gone.test"])
            await probes.gather(["gone.test"])
            assert server.count("gone.test") == 1
            await asyncio.sleep(1.1)
            await probes.gather(["gone.test"])
            assert server.count("gone.test") == 2


async def test_concurrent_identical_gathers_share_one_query(
    probes: Probes, dns_server: DnsServer
) -> None:
    dns_server.a("popular.test", "192.0.2.13", delay=0.05)  # all ten arrive while it is in flight
    results = await asyncio.gather(*(probes.gather(["popular.test"]) for _ in range(10)))
    assert dns_server.count("popular.test") == 1
    assert dns_server.count("popular.example.dbl.test") == 0
    assert dns_server.count("popular.test.dbl.test") == 1
    assert {r.domains["popular.test"].resolution for r in results} == {"exists"}


async def test_deadline_of_one_request_does_not_cancel_a_shared_query(
    dns_server: DnsServer,
) -> None:
    dns_server.a("shared.test", "192.0.2.14", delay=0.15)
    async with Probes(make_settings(dns_server, dns_timeout_ms=400)) as probes:
        early = asyncio.ensure_future(probes.gather(["shared.test"]))
        await asyncio.sleep(0.05)
        late = await probes.gather(["shared.test"])
        await early
    assert late.domains["shared.test"].resolution == "exists"
    assert dns_server.count("shared.test") == 1


async def test_off_makes_no_query(dns_server: DnsServer) -> None:
    async with Probes(make_settings(dns_server, network_checks="off")) as probes:
        evidence = await probes.gather(["exists.test"], ["https://t.cn/abc"])
    assert evidence == NetworkEvidence.off()
    assert sum(dns_server.counts.values()) == 0


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "a" * 300 + ".test",
        "x" * 64 + ".test",
        ".".join(["a"] * 200),
        "exa mple.com",
        "例子.测试",
        "xn--.test",
        "😀.test",
        "127.0.0.1",
        "[::1]",
        "localhost",
        "printer.local",
        "single",
        "a..b.test",
        "-bad-.test",
        "http://exists.test/",
        "\x00.test",
    ],
)
async def test_garbage_never_raises(probes: Probes, garbage: str) -> None:
    evidence = await probes.gather([garbage], [garbage])
    assert evidence.enabled
    for domain in evidence.domains.values():
        assert domain.resolution in ("unknown", "nxdomain")


async def test_garbage_makes_no_query_for_unusable_names(
    probes: Probes, dns_server: DnsServer
) -> None:
    await probes.gather(["a" * 300 + ".test", "127.0.0.1", "localhost", "printer.local"])
    assert sum(dns_server.counts.values()) == 0


async def test_non_string_items_and_limits(probes: Probes, dns_server: DnsServer) -> None:
    many = [f"n{i}.test" for i in range(50)]
    evidence = await probes.gather([None, 3, *many, "exists.test"])  # type: ignore[list-item]
    assert len(evidence.domains) == probes.max_domains
    assert "exists.test" not in evidence.domains
    # A + one DNSBL zone per kept domain at most (fewer may arrive before the deadline under load),
    # and never a query for a domain past the limit
    assert sum(dns_server.counts.values()) <= 2 * probes.max_domains
    assert not [q for q in dns_server.counts if "exists.test" in str(q)]


async def test_idn_is_queried_as_punycode(probes: Probes, dns_server: DnsServer) -> None:
    dns_server.a("xn--fsqu00a.test", "192.0.2.15")
    evidence = await probes.gather(["例子.test"])
    assert evidence.domains["例子.test"].resolution == "exists"


async def test_expansion_requested_while_off_is_skipped(probes: Probes) -> None:
    evidence = await probes.gather([], ["https://t.cn/abc"])
    assert evidence.expansions["https://t.cn/abc"].status == "skipped"
    assert not evidence.timed_out


async def test_no_nameservers_means_unknown_quickly(dns_server: DnsServer) -> None:
    # a server that answers nothing and a closed port: both unknown, still within budget
    await dns_server.stop()
    async with Probes(make_settings(dns_server)) as probes:
        started = time.monotonic()
        evidence = await probes.gather(["exists.test"])
        assert time.monotonic() - started < BUDGET_MS / 1000 + MARGIN_S
    assert evidence.domains["exists.test"].resolution == "unknown"


async def test_many_requests_waiting_on_a_silent_name_all_return_in_time(
    probes: Probes, dns_server: DnsServer
) -> None:
    started = time.monotonic()
    results = await asyncio.gather(*(probes.gather(["silent.test"]) for _ in range(300)))
    assert time.monotonic() - started < BUDGET_MS / 1000 + MARGIN_S
    assert all(r.timed_out for r in results)
    assert dns_server.count("silent.test") <= 2  # one shared query (dnspython may retry once)


# -- bounded sockets ----------------------------------------------------------------------


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_queries_on_the_wire_are_bounded_and_the_rest_wait_their_turn(
    dns_server: DnsServer,
) -> None:
    # Each query holds a socket while it waits. Unbounded, one batch of 100 notices with 20 new
    # domains each opened 2,000 at once, and the process ran out of file descriptors.
    names = [f"d{i}.slow.test" for i in range(40)]
    for name in names:
        dns_server.a(name, "192.0.2.1", delay=0.05)
    client = DnsClient([("127.0.0.1", dns_server.port)], 2.0, max_in_flight=8)
    base = peak = _open_fds()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _open_fds())
            await asyncio.sleep(0.002)

    sampler = asyncio.ensure_future(sample())
    try:
        answers = await asyncio.gather(*(client.query(to_name(n), A) for n in names))  # type: ignore[arg-type]
    finally:
        sampler.cancel()
        await client.close()
    assert [a.kind for a in answers] == ["answer"] * len(names)  # all answered, in turns
    assert 0 < peak - base <= 8


async def test_a_query_without_a_slot_within_the_budget_is_could_not_check(
    dns_server: DnsServer,
) -> None:
    names = [f"s{i}.silent.test" for i in range(30)]
    for name in names:
        dns_server.set(name, "silent")
    client = DnsClient([("127.0.0.1", dns_server.port)], BUDGET_MS / 1000, max_in_flight=2)
    try:
        started = time.monotonic()
        answers = await asyncio.gather(*(client.query(to_name(n), A) for n in names))  # type: ignore[arg-type]
        assert time.monotonic() - started < BUDGET_MS / 1000 + MARGIN_S  # no queue past the budget
        assert {a.kind for a in answers} == {"error"}
        whys = [a.why for a in answers]
        assert set(whys) == {"timeout", "busy"} and whys.count("busy") >= 20
        assert sum(dns_server.count(n) > 0 for n in names) <= 6  # the busy ones never left
        # "busy" is not cached: once a slot is free the name is asked and answered
        busy = names[whys.index("busy")]
        dns_server.a(busy, "192.0.2.1")
        assert (await client.query(to_name(busy), A)).kind == "answer"  # type: ignore[arg-type]
    finally:
        await client.close()
