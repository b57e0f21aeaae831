"""The benchmark: one command, every figure of issue 8, ratios against baselines from this run.

    python bench/run.py            # the full run (several minutes), table + bench/results/*.json
    python bench/run.py --smoke    # seconds: tiny registry, 1 s load runs (CI keeps it working)

Load comes from wrk (Debian package) on loopback, one wrk thread, 32 connections, POST bodies
rotating through tests/corpus/notices.jsonl. Compared runs are interleaved (A B A B …) and each
figure is the median over rounds, so machine noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine_cost
import load
import mix
import synth

SHIPPED = mix.ROOT / "registry" / "registry.yaml"
TARGETS = {
    "ceiling_ratio": (">=", 0.5),
    "p99_ms_32c": ("<=", 15.0),
    "large_load_compile_s": ("<=", 3.0),
    "large_rss_mb": ("<=", 500.0),
    "large_throughput_ratio": (">=", 0.9),
    "reload_failed_requests": ("<=", 0),
    "reload_p99_ratio": ("<=", 2.0),
    "workers_ratio": (">=", 1.7),
    "network_warm_ratio": (">=", 0.9),
}


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def med(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 1)


def interleave(wrk: load.Wrk, servers: list[load.Server], rounds: int, seconds: float) -> dict:
    """A B A B …: every server once per round; returns each one's runs."""
    runs: dict[str, list[dict]] = {s.name: [] for s in servers}
    if seconds > 1:  # warm-up, not counted: the first requests fill caches
        for s in servers:
            wrk.run(s, 1)
    for i in range(rounds):
        order = servers if i % 2 == 0 else list(reversed(servers))  # A B, B A: no order bias
        for s in order:
            r = wrk.run(s, seconds)
            runs[s.name].append(r)
            say(f"  round {i + 1}/{rounds} {s.name:<14} {r['rps']:>8.0f} req/s  "
                f"p50 {r['p50_us'] / 1000:.2f} ms  p99 {r['p99_us'] / 1000:.2f} ms  errors {r['errors']}")
    return runs


def summary(runs: list[dict]) -> dict:
    return {"rps": med(runs, "rps"), "p50_ms": round(med(runs, "p50_us") / 1000, 2),
            "p99_ms": round(med(runs, "p99_us") / 1000, 2),
            "errors": sum(r["errors"] for r in runs), "runs": runs}


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def load_compile(registry: Path) -> dict:
    """Load + compile in a fresh process: seconds, peak and final resident memory."""
    code = (
        "import json, pathlib, resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from verifier.registry.compiled import load_registry\n"
        "t1 = time.perf_counter()\n"
        "reg = load_registry(pathlib.Path(sys.argv[1]))\n"
        "t2 = time.perf_counter()\n"
        "rss = int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize() / 2**20\n"
        "print(json.dumps({'import_s': t1 - t0, 'load_compile_s': t2 - t1, 'rss_mb': rss,\n"
        "  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,\n"
        "  'counts': reg.counts()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(registry)], capture_output=True, text=True,
                         check=True, cwd=mix.ROOT)
    d = json.loads(out.stdout)
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in d.items()}


def reloads_under_load(wrk: load.Wrk, server: load.Server, count: int, steady_s: float) -> dict:
    """Steady p99 first, then `count` SIGHUP reloads back to back while wrk keeps running."""
    steady = wrk.run(server, steady_s)
    say(f"  steady         {steady['rps']:>8.0f} req/s  p99 {steady['p99_us'] / 1000:.2f} ms")
    assert server.proc is not None
    proc = wrk.start(server)
    time.sleep(1.0)
    took = []
    for i in range(count):
        before = server.get_json("/v1/registry")["loaded_at"]
        t0 = time.perf_counter()
        os.kill(server.proc.pid, signal.SIGHUP)
        while server.get_json("/v1/registry")["loaded_at"] == before:
            if time.perf_counter() - t0 > 300:
                raise SystemExit("bench: a reload did not finish within 300 s")
            time.sleep(0.05)
        took.append(round(time.perf_counter() - t0, 2))
        say(f"  reload {i + 1}/{count} done in {took[-1]:.2f} s")
    during = load.finish(proc)
    status = server.get_json("/v1/registry")
    say(f"  during reloads {during['rps']:>8.0f} req/s  p99 {during['p99_us'] / 1000:.2f} ms  "
        f"errors {during['errors']}")
    return {"steady": steady, "during": during, "reload_s": took,
            "reload_error": status.get("last_reload_error"),
            "failed_requests": during["errors"],
            "steady_p99_ms": round(steady["p99_us"] / 1000, 2),
            "during_p99_ms": round(during["p99_us"] / 1000, 2),
            "p99_ratio": ratio(during["p99_us"], steady["p99_us"])}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=mix.ROOT, check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=mix.ROOT, check=False).stdout.strip()
    return {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
            "cpu": cpu, "python": platform.python_version(),
            "commit": commit + ("+dirty" if dirty else "")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="seconds, tiny registry; for CI")
    ap.add_argument("--rounds", type=int, help="interleaved rounds per comparison (default 3)")
    ap.add_argument("--seconds", type=float, help="seconds per wrk run (default 5)")
    ap.add_argument("--reloads", type=int, help="reloads under load (default 10)")
    ap.add_argument("--out", type=Path, help="JSON file (default bench/results/<mode>-<time>.json)")
    ap.add_argument("--show", type=Path, metavar="JSON", help="print the table of a saved run and exit")
    args = ap.parse_args(argv)
    if args.show:
        print(table(json.loads(args.show.read_text("utf-8"))))
        return 0
    smoke = args.smoke
    rounds = args.rounds or (1 if smoke else 3)
    seconds = args.seconds or (1 if smoke else 5)
    reloads = args.reloads or (2 if smoke else 10)
    size = (50, 5_000, 500) if smoke else (10_000, 1_000_000, 100_000)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_path = args.out or mix.ROOT / "bench" / "results" / f"{'smoke' if smoke else 'full'}-{stamp}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)

    wrk_exe = load.require_wrk()
    notices = mix.corpus()
    res: dict = {"mode": "smoke" if smoke else "full", "machine": machine(),
                 "settings": {"rounds": rounds, "seconds": seconds, "connections": 32, "wrk_threads": 1,
                              "notices": len(notices), "large_registry": {
                                  "institutions": size[0], "scam_domains": size[1], "scam_numbers": size[2]}}}
    say(f"bench: {res['mode']} run on {res['machine']['cores']} cores, {res['machine']['cpu']}")

    say("[2] engine cost (in process)")
    res["engine"] = engine_cost.measure(notices, 1 if smoke else 30)

    servers: list[load.Server] = []
    with tempfile.TemporaryDirectory(prefix="verifier-bench-") as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "mix.lua"
        script.write_text(mix.lua_script(mix.bodies(notices)), "utf-8")
        wrk = load.Wrk(wrk_exe, script)
        logs = tmp / "logs"
        logs.mkdir()

        def up(server: load.Server) -> load.Server:
            servers.append(server.start(logs))
            return server

        def down(server: load.Server) -> None:
            server.stop()
            servers.remove(server)

        try:
            say("[1] ceiling: verifier vs bare aiohttp, 1 worker each")
            base, ver = up(load.baseline()), up(load.verifier("verifier", SHIPPED))
            runs = interleave(wrk, [base, ver], rounds, seconds)
            res["ceiling"] = {"baseline": summary(runs["baseline"]), "verifier": summary(runs["verifier"]),
                              "rss_mb": load.rss_mb(ver.proc.pid) if ver.proc else None}
            res["ceiling"]["ratio"] = ratio(res["ceiling"]["verifier"]["rps"],
                                            res["ceiling"]["baseline"]["rps"])
            down(base)

            say("[3] registry scale: generating the large registry")
            big_dir = tmp / "large"
            big_dir.mkdir()
            t0 = time.perf_counter()
            big = synth.write(big_dir, *size)
            say(f"  written in {time.perf_counter() - t0:.1f} s; load + compile in a fresh process")
            res["scale"] = {"load_compile": load_compile(big), "shipped_load_compile": load_compile(SHIPPED)}
            say(f"  large: {res['scale']['load_compile']['load_compile_s']} s, "
                f"{res['scale']['load_compile']['rss_mb']} MB")
            large = up(load.verifier("verifier-large", big))
            runs = interleave(wrk, [ver, large], rounds, seconds)
            res["scale"]["shipped"] = summary(runs["verifier"])
            res["scale"]["large"] = summary(runs["verifier-large"])
            res["scale"]["ratio"] = ratio(res["scale"]["large"]["rps"], res["scale"]["shipped"]["rps"])
            res["scale"]["server_rss_mb"] = load.rss_mb(large.proc.pid) if large.proc else None
            res["scale"]["server_start_s"] = round(large.started_s, 2)

            say("[4] reloads of the large registry under load")
            res["reload"] = reloads_under_load(wrk, large, reloads, seconds)
            down(large)

            say("[5] workers: 2 vs 1 (wrk shares the 2 cores)")
            two = up(load.verifier("verifier-2w", SHIPPED, workers=2))
            runs = interleave(wrk, [ver, two], rounds, seconds)
            res["workers"] = {"one": summary(runs["verifier"]), "two": summary(runs["verifier-2w"])}
            res["workers"]["ratio"] = ratio(res["workers"]["two"]["rps"], res["workers"]["one"]["rps"])
            down(two)

            say("[6] network checks on (warm cache, loopback DNS stand-in) vs off")
            dns = subprocess.Popen([sys.executable, str(mix.ROOT / "bench" / "dns_standin.py")],
                                   stdout=subprocess.PIPE, text=True, cwd=mix.ROOT)
            try:
                assert dns.stdout is not None
                dns_port = int(dns.stdout.readline())
                net = up(load.verifier("verifier-net", SHIPPED, network="on", extra_env={
                    "VERIFIER_DNS_NAMESERVERS": f"127.0.0.1:{dns_port}"}))
                wrk.run(net, 1 if smoke else 2)  # warm the resolver's cache with the mix's domains
                runs = interleave(wrk, [ver, net], rounds, seconds)
                res["network"] = {"off": summary(runs["verifier"]), "on": summary(runs["verifier-net"])}
                res["network"]["ratio"] = ratio(res["network"]["on"]["rps"], res["network"]["off"]["rps"])
            finally:
                dns.terminate()
                dns.wait()
        finally:
            for s in servers:
                s.stop()

    res["targets"] = targets(res)
    out_path.write_text(json.dumps(res, indent=2, ensure_ascii=False), "utf-8")
    print(table(res))
    print(f"\nraw figures: {out_path.relative_to(mix.ROOT) if out_path.is_relative_to(mix.ROOT) else out_path}")
    return 0


def targets(res: dict) -> dict:
    values = {
        "ceiling_ratio": res["ceiling"]["ratio"],
        "p99_ms_32c": res["ceiling"]["verifier"]["p99_ms"],
        "large_load_compile_s": res["scale"]["load_compile"]["load_compile_s"],
        "large_rss_mb": max(res["scale"]["load_compile"]["rss_mb"], res["scale"]["server_rss_mb"] or 0),
        "large_throughput_ratio": res["scale"]["ratio"],
        "reload_failed_requests": res["reload"]["failed_requests"],
        "reload_p99_ratio": res["reload"]["p99_ratio"],
        "workers_ratio": res["workers"]["ratio"],
        "network_warm_ratio": res["network"]["ratio"],
    }
    out = {}
    for name, (op, goal) in TARGETS.items():
        v = values[name]
        out[name] = {"value": v, "target": f"{op} {goal}", "met": v >= goal if op == ">=" else v <= goal}
    return out


def table(res: dict) -> str:
    m, s = res["machine"], res["settings"]
    big = s["large_registry"]
    lines = [
        f"verifier bench ({res['mode']}) — {m['date']}, commit {m['commit']}",
        f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}",
        (f"load: wrk -t{s['wrk_threads']} -c{s['connections']}, {s['seconds']:g} s runs, "
         f"{s['rounds']} interleaved rounds (median), {s['notices']} corpus notices rotating"),
        "",
        "2. engine cost per notice (extract + evaluate; evaluate alone; serialise), microseconds",
        f"   {'kind':<14}{'n':>4}{'median':>9}{'p99':>9}{'eval med':>10}{'eval p99':>10}{'ser med':>9}{'ser p99':>9}",
    ]
    for kind, e in res["engine"].items():
        lines.append(f"   {kind:<14}{e['notices']:>4}{e['median_us']:>9.0f}{e['p99_us']:>9.0f}"
                     f"{e['evaluate_median_us']:>10.0f}{e['evaluate_p99_us']:>10.0f}"
                     f"{e.get('serialise_median_us', 0):>9.0f}{e.get('serialise_p99_us', 0):>9.0f}")
    c, sc, rl, w, n = res["ceiling"], res["scale"], res["reload"], res["workers"], res["network"]

    def row(label: str, d: dict) -> str:
        return f"   {label:<34}{d['rps']:>9.0f}{d['p50_ms']:>9.2f}{d['p99_ms']:>9.2f}{d['errors']:>8}"

    head = f"   {'':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    lines += [
        "",
        "1. ceiling (POST /v1/verify, network checks off, 1 worker)", head,
        row("bare aiohttp (parse JSON, answer)", c["baseline"]),
        row("verifier, shipped registry", c["verifier"]),
        f"   ratio verifier / bare aiohttp: {c['ratio']:.3f}",
        "",
        (f"3. registry scale ({big['institutions']:,} institutions, {big['scam_domains']:,} scam "
         f"domains, {big['scam_numbers']:,} scam numbers)"),
        (f"   load + compile: {sc['load_compile']['load_compile_s']:.2f} s (shipped registry: "
         f"{sc['shipped_load_compile']['load_compile_s']:.2f} s); resident memory after load "
         f"{sc['load_compile']['rss_mb']:.0f} MB (peak {sc['load_compile']['peak_rss_mb']:.0f} MB), "
         f"serving {sc['server_rss_mb']:.0f} MB"), head,
        row("verifier, shipped registry", sc["shipped"]),
        row("verifier, large registry", sc["large"]),
        f"   ratio large / shipped: {sc['ratio']:.3f}",
        "",
        (f"4. {len(rl['reload_s'])} reloads of the large registry under load "
         f"(each {min(rl['reload_s']):.1f}–{max(rl['reload_s']):.1f} s)"),
        (f"   failed requests: {rl['failed_requests']}; p99 steady {rl['steady_p99_ms']:.2f} ms, "
         f"during reloads {rl['during_p99_ms']:.2f} ms; ratio {rl['p99_ratio']:.2f}"),
        "",
        "5. workers (wrk runs on the same 2 cores)", head,
        row("verifier, 1 worker", w["one"]),
        row("verifier, 2 workers", w["two"]),
        f"   ratio 2 / 1: {w['ratio']:.3f}",
        "",
        "6. network checks (loopback DNS stand-in, warm cache)", head,
        row("verifier, network checks off", n["off"]),
        row("verifier, network checks on", n["on"]),
        f"   ratio on / off: {n['ratio']:.3f}",
        "",
        "targets",
    ]
    for name, t in res["targets"].items():
        lines.append(f"   {name:<26}{t['value']!s:>10}  target {t['target']:<8} "
                     f"{'met' if t['met'] else 'NOT MET'}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
