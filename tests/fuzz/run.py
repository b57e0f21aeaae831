"""Run the coverage-guided fuzzer (atheris / libFuzzer) on one target for a while.

    python tests/fuzz/run.py body --seconds 600          # or: make fuzz MINUTES=10
    python tests/fuzz/run.py engine --seconds 30 --work /tmp/fz --no-save

The working corpus (inputs that found new coverage) lives in artifacts/fuzz/<target>/corpus and
grows across runs; it starts from the labelled notices and the saved crashers. A crash (any
exception other than the target's expected 4xx problem, or a broken invariant) or a hang longer
than --input-timeout is written by libFuzzer to the work directory and, unless --no-save, copied
into tests/fuzz/crashers/<target>/, where tests/test_fuzz.py replays it on every CI run: fix the
bug, keep the file. Exit status: 0 if nothing was found.

Without atheris (it has wheels for CPython on Linux/macOS x86-64 and arm64 only) the same targets
run under hypothesis' fuzz_one_input on random and mutated inputs: not coverage-guided, still
useful.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CRASHERS = HERE / "crashers"


def have_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def _prepare(target: str, work: Path) -> Path:
    sys.path.insert(0, str(HERE))
    import targets

    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for data in targets.seeds(target) + [p.read_bytes() for p in (CRASHERS / target).glob("*")
                                         if p.is_file() and not p.name.startswith(".")]:
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return corpus


def run_atheris(target: str, seconds: int, work: Path, input_timeout: int) -> int:
    import atheris

    sys.path.insert(0, str(HERE))
    # Instrument before anything imports the verifier package, or there is no coverage signal.
    with atheris.instrument_imports(include=["verifier", "targets"]):
        import targets
    corpus = _prepare(target, work)

    fn = targets.TARGETS[target]
    targets.registry()  # compile once, before the clock starts
    args = [sys.argv[0], str(corpus), f"-max_total_time={seconds}", f"-timeout={input_timeout}",
            "-max_len=12000", "-rss_limit_mb=3072", f"-artifact_prefix={work}/",
            "-print_final_stats=1"]
    atheris.Setup(args, fn)
    atheris.Fuzz()  # exits the process: 0 when the time is up, non-zero on a finding
    return 0


def run_fallback(target: str, seconds: int, work: Path, seed: int = 0) -> int:
    """Mutate the seeds at random and feed the target until the time is up."""
    corpus = _prepare(target, work)
    import targets

    fn = targets.TARGETS[target]
    targets.registry()
    pool = [p.read_bytes() for p in corpus.iterdir()]
    rnd = random.Random(seed)
    tokens = [b"{", b"}", b"[", b"]", b'"', b"\\u0000", b"\\ud800", b"-1e999", b"\x1f", b"\xff",
              "仲裁委员会".encode(), b"http://", b"13800138000", "（2024）".encode(), b"\x00"]
    deadline = time.monotonic() + seconds
    runs = 0
    while time.monotonic() < deadline:
        data = bytearray(rnd.choice(pool))
        for _ in range(rnd.randint(1, 8)):
            pos = rnd.randrange(len(data) + 1)
            op = rnd.randrange(4)
            if op == 0:
                data[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 4)))
            elif op == 1 and data:
                del data[pos:pos + rnd.randint(1, 16)]
            elif op == 2:
                data[pos:pos] = rnd.choice(tokens)
            else:
                data[pos:pos] = data[pos:pos + rnd.randint(1, 64)] * rnd.randint(2, 20)
        data = bytes(data[:12000])
        try:
            fn(data)
        except Exception:  # noqa: BLE001 - a finding: save it like libFuzzer would
            path = work / f"crash-{hashlib.sha1(data).hexdigest()}"
            path.write_bytes(data)
            import traceback

            traceback.print_exc()
            print(f"fuzz: {target}: crash saved to {path}", file=sys.stderr)
            return 1
        runs += 1
    print(f"fuzz: {target}: {runs} inputs in {seconds}s, no finding (random mutation, no atheris)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target", choices=["body", "engine"])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--work", type=Path, default=None, help="default: artifacts/fuzz/<target>")
    ap.add_argument("--input-timeout", type=int, default=10, help="seconds one input may take")
    ap.add_argument("--no-save", action="store_true", help="leave findings in --work only")
    ap.add_argument("--no-atheris", action="store_true", help="use the random-mutation fallback")
    opts = ap.parse_args()
    work = (opts.work or ROOT / "artifacts" / "fuzz" / opts.target).resolve()
    work.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in work.glob("crash-*")} | {p.name for p in work.glob("timeout-*")}
    if have_atheris() and not opts.no_atheris:
        # atheris.Fuzz() never returns: a child process does the fuzzing so findings get saved.
        import subprocess

        code = subprocess.call([sys.executable, __file__, "--child", opts.target, str(opts.seconds),
                                str(work), str(opts.input_timeout)], cwd=ROOT)
    else:
        code = run_fallback(opts.target, opts.seconds, work)
    found = [p for p in list(work.glob("crash-*")) + list(work.glob("timeout-*"))
             + list(work.glob("oom-*")) if p.name not in before]
    if found and not opts.no_save:
        dest = CRASHERS / opts.target
        dest.mkdir(parents=True, exist_ok=True)
        for p in found:
            shutil.copy(p, dest / p.name)
        print(f"fuzz: {len(found)} finding(s) copied to {dest}: fix them; test_fuzz.py replays them")
    for p in found:
        print(f"fuzz: finding {p}", file=sys.stderr)
    return 1 if found or code else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _, _, name, secs, workdir, timeout = sys.argv
        os.chdir(ROOT)
        sys.argv = sys.argv[:1]
        sys.exit(run_atheris(name, int(secs), Path(workdir), int(timeout)))
    sys.exit(main())
