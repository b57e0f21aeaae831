"""The benchmark command keeps working: `bench/run.py --smoke` runs every section with a tiny
registry and writes its JSON. No timing is asserted here; the figures are for people."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs the load tool wrk (apt-get install wrk)")
def test_bench_smoke_runs_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "smoke.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text("utf-8"))
    assert figures["mode"] == "smoke"
    for section in ("engine", "ceiling", "scale", "reload", "workers", "network", "targets"):
        assert section in figures, section
    assert "targets" in done.stdout
