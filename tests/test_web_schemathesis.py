"""Schemathesis against the served spec on loopback: no 500s, no response that breaks the spec.

Bounded: ~100 examples per operation and phase, a couple of minutes at most.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_web_server import start, stop

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent


# The `st` entry point sits beside the interpreter running the tests (the venv may not be on PATH).
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")


@pytest.mark.skipif(ST is None, reason="schemathesis is not installed")
def test_schemathesis_finds_nothing(tmp_path):
    proc, port, log = start(tmp_path)
    try:
        run = subprocess.run(
            [ST, "--config-file", str(HERE / "schemathesis.toml"), "run",
             f"http://127.0.0.1:{port}/openapi.json", "--checks", "all",
             "--max-examples", "100", "--workers", "1", "--seed", "1",
             "--max-failures", "5", "--request-timeout", "10"],
            capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path,
        )
    finally:
        assert stop(proc) == 0
    report = run.stdout[-6000:]
    assert run.returncode == 0, report
    assert "unhandled_error" not in log.read_text()
