"""The two-core YAML reader gives exactly what the one-piece reader gives (the same data, or
Unsupported for the same texts), however the text around its cuts is written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.registry import yaml_events, yaml_split
from verifier.settings import bundled_registry_path


def outcome(load, text: str) -> object:
    try:
        return ("data", load(text))
    except yaml_events.Unsupported:
        return ("unsupported",)


def same(text: str) -> None:
    want = outcome(yaml_events.load, text)
    assert outcome(lambda t: yaml_split.load(t, split_from=0), text) == want


def items(n: int, indent: str = "") -> str:
    return "".join(f"{indent}- id: i{k}\n{indent}  name: n{k}\n{indent}  tags:\n{indent}  - t{k}\n"
                   for k in range(n))


CASES = {
    "column 0": "version: 1\ninstitutions:\n" + items(8) + "fake_bodies: []\nlists: {a: b}\n",
    "indented": "version: 1\ninstitutions:  # the bodies\n\n" + items(8, "  ") + "after: 1\n",
    "last key": "version: 1\ninstitutions:\n" + items(5) + "# trailing comment\n",
    "comments between items": "institutions:\n" + items(3) + "# note\n\n" + items(3) + "z: 1\n",
    "quoted across the middle": "institutions:\n" + items(3) + "- note: \"a\n- b\n- c\n- d\n- e\"\n"
                                + items(2) + "z: 1\n",
    "flow across the middle": "institutions:\n" + items(3) + "- [a,\n- b,\n- c,\n- d]\n" + items(3) + "z: 1\n",
    "duplicate key after": "institutions:\n" + items(6) + "institutions: []\n",
    "repeated head key": "a: 1\ninstitutions:\n" + items(6) + "a: 2\n",
    "bare scalar after": "institutions:\n" + items(6) + "oops\n",
    "indented tail": "institutions:\n" + items(6, "  ") + " x: 1\n",
    "sequence after": "institutions:\n" + items(6, "  ") + "- x\n",
    "a marker": "institutions:\n" + items(6) + "---\nb: 1\n",
    "a directive": "%YAML 1.1\n---\ninstitutions:\n" + items(6),
    "not a sequence": "institutions:\n  a: 1\n  b: 2\n",
    "one item": "institutions:\n- a\n",
    "crlf": ("version: 1\ninstitutions:\n" + items(6) + "z: 1\n").replace("\n", "\r\n"),
    "anchor in the second half": "institutions:\n" + items(4) + "- &x a\n- *x\nz: 1\n",
    "null items": "institutions:\n-\n-\n-\n- \n-\nz: 1\n",
}


@pytest.mark.parametrize("name", CASES)
def test_same_as_one_piece(name: str) -> None:
    text = CASES[name]
    same(text)


def test_the_cases_do_cut() -> None:
    assert yaml_split._cuts(CASES["column 0"]) is not None
    assert yaml_split._cuts(CASES["indented"]) is not None
    assert yaml_split._cuts(CASES["a directive"]) is None


# Mostly registry-shaped text (so most examples are cut and joined), with lines that open or
# close tokens spanning lines, stray keys and markers mixed in.
_PLAIN = ["- id: a\n  name: b\n", "- id: c\n  tags:\n  - t\n", "- x\n", "# c\n", "\n"]
_TRICKY = ["- \"q\n", "  r\"\n", "- [s,\n", "  t]\n", "- |\n    block\n", "'\n", "x'\n", "-\n",
           "  k: 'x\n", "-z: 2\n", "z: 1\n", "--- \n", "institutions:\n", "  - v\n", " w: 1\n"]
_item = st.sampled_from(_PLAIN * 6 + _TRICKY)
_top = st.sampled_from(["a: 1\n", "# c\n", "b: \"q\n", "  r\"\n", "w:\n", "  - v\n", "\n"])
_after = st.sampled_from(["z: 1\n", "y: [1, 2]\n", "# end\n", "institutions: []\n", "a: 2\n", "oops\n",
                          " x: 1\n", "--- \n", "- q\n"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_top, max_size=4), st.lists(_item, min_size=2, max_size=30), st.lists(_after, max_size=3))
def test_any_arrangement_of_lines(before: list[str], body: list[str], after: list[str]) -> None:
    same("".join(before) + "institutions:\n" + "".join(body) + "".join(after))


def test_the_shipped_registry_and_a_large_one_read_the_same(tmp_path: Path) -> None:
    text = bundled_registry_path().read_text("utf-8")
    same(text)
    # A registry over the split threshold, read through read_registry as the service reads it.
    head, tail = text.split("\ninstitutions:\n", 1)
    extra = "".join(
        f"- id: bulk-{k:05d}\n  name: 甲乙{k:05d}仲裁委员会\n  kind: commercial_arbitration\n"
        f"  source: https://example.org/{'x' * 300}/{k}\n  checked: '2026-01-01'\n"
        for k in range(6000))
    big = head + "\ninstitutions:\n" + extra + tail
    assert len(big) > yaml_split.SPLIT_FROM
    shutil.copytree(bundled_registry_path().parent / "lists", tmp_path / "lists")
    path = tmp_path / "registry.yaml"
    path.write_text(big, "utf-8")
    # In a fresh single-threaded process, as the builder and `registry check` read: the two
    # halves are joined (not the one-piece fallback), and read_registry validates the result.
    out = subprocess.run([sys.executable, "-c", SPLIT_SCRIPT, str(path)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert out.returncode == 0 and out.stdout.split() == ["joined", "6000", "ok"], out.stderr[-2000:]


SPLIT_SCRIPT = '''
import sys
from pathlib import Path
from verifier.registry import yaml_events, yaml_split
from verifier.registry.forked import Forked
from verifier.registry.load import read_registry
from verifier.registry.schema import RegistryFile

path = Path(sys.argv[1])
text = path.read_text("utf-8")
cuts = yaml_split._cuts(text)
child = Forked.start(lambda: yaml_events.load(text[cuts[1]:cuts[2]]))
joined = yaml_split._join(text, cuts, child)
assert joined is not None and joined == yaml_events.load(text)
print("joined", sum(i["id"].startswith("bulk-") for i in joined["institutions"]))
raw = read_registry(path)
assert raw.model == RegistryFile.model_validate(joined)
print("ok")
'''
