"""Engine cost in process: microseconds per notice for extract and evaluate, by notice kind.

"evaluate" is what the service runs (engine.answer: the verdict as JSON-mode values) and
"serialise" its encoding (engine.to_json), as the HTTP handler sends it.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict

from mix import Notice


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def measure(notices: list[Notice], repeats: int) -> dict[str, dict[str, float]]:
    from verifier.engine import answer, gather_offline, to_json
    from verifier.models import VerifyRequest
    from verifier.registry.compiled import load_registry
    from verifier.settings import bundled_registry_path

    reg = load_registry(bundled_registry_path())
    reqs = [(n, VerifyRequest.model_validate(n.request)) for n in notices]
    for n, req in reqs:  # warm caches (lru, opencc) the way a running service has them
        to_json(answer(gather_offline(req, reg), reg, n.lang))
    total: dict[str, list[float]] = defaultdict(list)
    ev_only: dict[str, list[float]] = defaultdict(list)
    ser: dict[str, list[float]] = defaultdict(list)
    clock = time.perf_counter_ns
    for _ in range(repeats):
        for n, req in reqs:
            t0 = clock()
            evidence = gather_offline(req, reg)
            t1 = clock()
            result = answer(evidence, reg, n.lang)
            t2 = clock()
            to_json(result)
            t3 = clock()
            for kind in (n.kind, "all"):
                total[kind].append((t2 - t0) / 1000)
                ev_only[kind].append((t2 - t1) / 1000)
                ser[kind].append((t3 - t2) / 1000)
    out = {}
    for kind in sorted(total, key=lambda k: (k == "all", k)):
        out[kind] = {
            "notices": len(total[kind]) // repeats,
            "median_us": round(statistics.median(total[kind]), 1),
            "p99_us": round(pct(total[kind], 99), 1),
            "evaluate_median_us": round(statistics.median(ev_only[kind]), 1),
            "evaluate_p99_us": round(pct(ev_only[kind], 99), 1),
            "serialise_median_us": round(statistics.median(ser[kind]), 1),
            "serialise_p99_us": round(pct(ser[kind], 99), 1),
        }
    return out
