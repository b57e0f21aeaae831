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
    pid = q._child[0]
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
