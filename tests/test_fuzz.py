"""The fuzz harness in CI: every finding ever saved is replayed, and a short coverage-guided pass
runs on each target (atheris; the random-mutation fallback where atheris is not installed).

Long runs: `make fuzz MINUTES=N` (see SECURITY.md); findings land in tests/fuzz/crashers/<target>/.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent / "fuzz"
SHORT_PASS_S = 20  # per target; the two targets run side by side


def _targets():
    spec = importlib.util.spec_from_file_location("fuzz_targets", FUZZ / "targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


targets = _targets()
CRASHERS = sorted(p for p in (FUZZ / "crashers").glob("*/*") if p.is_file() and not p.name.startswith("."))


def test_saved_findings_no_longer_fail() -> None:
    failed = []
    for path in CRASHERS:
        try:
            targets.TARGETS[path.parent.name](path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - collect them all, report every one
            failed.append(f"{path.relative_to(FUZZ)}: {type(exc).__name__}: {exc}"[:300])
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("target", ["body", "engine"])
def test_seeds_pass(target: str) -> None:
    for data in targets.seeds(target):
        targets.TARGETS[target](data)


def test_targets_reject_what_they_should() -> None:
    """The harness itself: an expected 4xx passes, a broken invariant fails."""
    targets.body(b"{")  # 400
    targets.body(b'{"text": "\\u0000"}')  # 422
    targets.body(b'{"notices": [{"text": 1}, {"text": "ok"}]}')  # inline 422, then a verdict
    targets.engine("\ud800".encode("utf-8", "surrogatepass"))  # refused by the model, not a crash
    with pytest.raises(AssertionError):
        targets.check_answer("short", targets.check_offline(
            targets.VerifyRequest(text="【网络仲裁委员会】您的案件已立案"), targets.registry()))


@pytest.mark.slow
def test_short_fuzz_pass(tmp_path: Path) -> None:
    procs = {
        target: subprocess.Popen(
            [sys.executable, str(FUZZ / "run.py"), target, "--seconds", str(SHORT_PASS_S),
             "--work", str(tmp_path / target), "--no-save"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for target in ("body", "engine")
    }
    for target, proc in procs.items():
        out, _ = proc.communicate(timeout=SHORT_PASS_S + 120)
        tail = out.decode(errors="replace")[-3000:]
        assert proc.returncode == 0, f"fuzz {target} found something (save it: run.py {target}):\n{tail}"
        assert "Done" in tail or "no finding" in tail, tail
