"""Engine cost in process: microseconds per notice for extract and evaluate, by notice kind."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict

from mix import Notice


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def measure(notices: list[Notice], repeats: int) -> dict[str, dict[str, float]]:
    from verifier.engine import evaluate, gather_offline
    from verifier.models import VerifyRequest
    from verifier.registry.compiled import load_registry
    from verifier.settings import bundled_registry_path

    reg = load_registry(bundled_registry_path())
    reqs = [(n, VerifyRequest.model_validate(n.request)) for n in notices]
    for n, req in reqs:  # warm caches (lru, opencc) the way a running service has them
        evaluate(gather_offline(req, reg), reg, n.lang)
    total: dict[str, list[float]] = defaultdict(list)
    ev_only: dict[str, list[float]] = defaultdict(list)
    clock = time.perf_counter_ns
    for _ in range(repeats):
        for n, req in reqs:
            t0 = clock()
            evidence = gather_offline(req, reg)
            t1 = clock()
            evaluate(evidence, reg, n.lang)
            t2 = clock()
            for kind in (n.kind, "all"):
                total[kind].append((t2 - t0) / 1000)
                ev_only[kind].append((t2 - t1) / 1000)
    out = {}
    for kind in sorted(total, key=lambda k: (k == "all", k)):
        out[kind] = {
            "notices": len(total[kind]) // repeats,
            "median_us": round(statistics.median(total[kind]), 1),
            "p99_us": round(pct(total[kind], 99), 1),
            "evaluate_median_us": round(statistics.median(ev_only[kind]), 1),
            "evaluate_p99_us": round(pct(ev_only[kind], 99), 1),
        }
    return out
