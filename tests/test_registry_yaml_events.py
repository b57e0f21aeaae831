"""The event-driven YAML reader gives exactly what yaml.load(SafeLoader) gives, hands anything
unusual to the full path, and problems found after it still point at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from verifier.registry import yaml_events
from verifier.registry.load import RegistryError, read_registry
from verifier.settings import bundled_registry_path

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SAME = [
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf:\ng: 2026-01-01\nh: '2026-01-01'\ni: 0x1F\nj: 1_000\n",
    "k: yes\nl: No\nm: .inf\nn: -.NaN\no: 2001-12-14t21:59:43.10-05:00\np: 0o17\nq: +12\n",
    "- [1, 'two', {three: 3}]\n- {}\n- []\n- ''\n- \"\\u4e2d\\t\"\n- !!str 12\n- ! 12\n",
    "text: |\n  line one\n  line two\nfolded: >-\n  a\n  b\nplain: value with #hash and a:colon\n",
    "nested:\n  - id: x\n    aliases:\n    - value: 甲乙仲裁委员会\n      checked: '2026-01-01'\n",
    "version: 2026.11.24-1\nnum: 010\nneg: -3\ntilde_key: {~: 1, null: 2}\n",
    "--- \nkey: value\n...\n",
    "scalar only\n",
]

UNSUPPORTED = [
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "base: &b {x: 1}\nderived:\n  <<: *b\n",  # merge keys
    "a: 1\na: 2\n",  # a duplicate key: the full path reports it with its line
    "? [1, 2]\n: complex key\n",
    "a: !!binary aGVsbG8=\n",
    "a: !custom x\n",
    "a: 1\n---\nb: 2\n",  # two documents
    "a: [1, 2\n",  # a syntax error
    "",
    "# only a comment\n",
]


@pytest.mark.parametrize("text", SAME)
def test_same_data_as_safe_load(text: str) -> None:
    assert yaml_events.load(text) == yaml.load(text, Loader=_Loader)


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_unusual_documents_go_the_full_way(text: str) -> None:
    with pytest.raises(yaml_events.Unsupported):
        yaml_events.load(text)


def test_the_bundled_registry_reads_the_same() -> None:
    text = bundled_registry_path().read_text("utf-8")
    assert yaml_events.load(text) == yaml.load(text, Loader=_Loader)


def _copy(tmp_path: Path, text: str) -> Path:
    import shutil

    shutil.copytree(bundled_registry_path().parent / "lists", tmp_path / "lists")
    (tmp_path / "registry.yaml").write_text(text, "utf-8")
    return tmp_path / "registry.yaml"


def test_a_schema_error_after_the_fast_path_names_its_line(tmp_path: Path) -> None:
    text = bundled_registry_path().read_text("utf-8")
    anchor = "  kind: court\n"
    line = text[: text.index(anchor)].count("\n") + 1
    reg = _copy(tmp_path, text.replace(anchor, "  kind: cour\n", 1))
    with pytest.raises(RegistryError) as err:
        read_registry(reg)
    assert f"{reg}:{line}:" in str(err.value) and "kind" in str(err.value)


def test_a_duplicate_key_is_still_reported_with_its_line(tmp_path: Path) -> None:
    text = bundled_registry_path().read_text("utf-8")
    anchor = "  kind: court\n"
    line = text[: text.index(anchor)].count("\n") + 2
    reg = _copy(tmp_path, text.replace(anchor, anchor + anchor, 1))
    with pytest.raises(RegistryError) as err:
        read_registry(reg)
    assert f"{reg}:{line}:3: duplicate key 'kind'" in str(err.value)
