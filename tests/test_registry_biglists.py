"""The big lists built in a forked child equal the ones built in process; an unwanted child is
stopped. Run in a fresh interpreter: the fork is only taken in a single-threaded process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from verifier.registry import biglists

SCRIPT = textwrap.dedent('''
    import os, sys
    from pathlib import Path
    from verifier.registry import biglists

    domains = "# header\\n" + "".join(f"Dom{i:07d}-x.top  # note\\n" for i in range(60000))
    numbers = "".join(f"13{i:09d}\\n" for i in range(5000)) + "+86 138 0000 0000\\n0086-21-1234\\n"
    texts = {"scam_domains": (Path("d.txt"), domains), "scam_numbers": (Path("n.txt"), numbers)}

    p = biglists.Pending(texts)
    assert p._child is not None, "expected the fork path"
    got = {k: list(v) for k, v in p.result().items()}
    want = {k: list(v) for k, v in biglists.build(texts)[0].items()}
    assert not p.conflict
    assert got == want
    assert "dom0000042-x.top" in p.result()["scam_domains"] and len(got["scam_domains"]) == 60000

    c = biglists.Pending(texts, frozenset({"dom0000007-x.top", "official.cn"}))
    c.result()
    assert c.conflict

    q = biglists.Pending(texts)
    pid = q._child.pid
    q.close()  # never read: the child is killed and reaped, not left blocked on the pipe
    try:
        os.kill(pid, 0)
        raise SystemExit("the child is still there")
    except ProcessLookupError:
        pass
    print("ok")
''')


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_forked_build_equals_the_in_process_one() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_in_process_build_reads_entries_like_list_entries() -> None:
    from pathlib import Path

    from verifier.registry.load import list_entries

    domains = "# c\nA.top\n  b.cc  # x\n\nA.top\n"
    numbers = "13800000000\n+86 139 0000 0000 # mobile\n"
    got, conflict = biglists.build({"scam_domains": (Path("d"), domains),
                                    "scam_numbers": (Path("n"), numbers)}, frozenset({"b.cc"}))
    assert conflict
    assert list(got["scam_domains"]) == sorted({e.lower() for _n, e in list_entries(domains)})
    assert "13800000000" in got["scam_numbers"] and "13900000000" in got["scam_numbers"]
    assert len(got["scam_numbers"]) == 2


EARLY = textwrap.dedent('''
    import shutil, sys, tempfile
    from pathlib import Path
    from verifier.registry import biglists
    from verifier.registry.compiled import read_and_compile
    from verifier.settings import bundled_registry_path

    tmp = Path(tempfile.mkdtemp())
    src = bundled_registry_path()
    shutil.copytree(src.parent, tmp / "reg")
    reg = tmp / "reg" / src.name
    lists = tmp / "reg" / "lists"
    (lists / "scam_domains.txt").write_text("".join(f"dom{i:07d}-x.top\\n" for i in range(60000)))
    (lists / "scam_numbers.txt").write_text("".join(f"13{i:09d}\\n" for i in range(5000)))

    taken = []
    original = biglists.EarlyLists.take
    def spy(self, list_texts, official):
        got = original(self, list_texts, official)
        taken.append(got is not None)
        return got
    biglists.EarlyLists.take = spy

    raw, registry = read_and_compile(reg)  # the child started before the YAML was parsed
    assert taken == [True], taken
    want = biglists.build(raw.list_texts)[0]
    assert all(list(registry.__dict__[n]) == list(want[n]) for n in biglists.NAMES)

    # an official domain in the scam list is still refused when the child built the lists
    from verifier.registry.load import RegistryError
    (lists / "scam_domains.txt").write_text("bjac.org.cn\\n" + "".join(f"dom{i:07d}-x.top\\n" for i in range(60000)))
    try:
        read_and_compile(reg)
        raise SystemExit("an official domain in the scam list was accepted")
    except RegistryError as exc:
        assert "both an official domain and a known scam domain" in str(exc), exc
    assert taken == [True, True], taken

    # built from other texts than the registry's own reading found: not taken, same answer
    early = biglists.EarlyLists.start(reg)
    assert early is not None
    other = raw.list_texts | {"scam_domains": (Path("x"), "changed.top\\n")}
    assert early.take(other, frozenset()) is None
    early.close()
    (lists / "scam_domains.txt").write_text("changed.top\\n")
    raw, registry = read_and_compile(reg)  # too small now for a child: built in process
    assert "changed.top" in registry.scam_domains and len(registry.scam_domains) == 1
    print("ok")
''')


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_lists_started_before_the_yaml_is_parsed_are_used_only_if_identical() -> None:
    out = subprocess.run([sys.executable, "-c", EARLY], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
