"""Prometheus metrics of one app, in its own CollectorRegistry (tests build many apps).

Labels hold only values the service chooses: route templates, known methods, status codes,
verdicts and reason codes from the registry. Never text, numbers, URLs or raw paths.

With several workers, `/metrics` may be answered by any of them, so each worker writes its values
to files in one directory (prometheus-client's multiprocess mode, set up by `serve` before the
workers start) and every worker's `/metrics` adds them all up: counters and histograms summed
over workers (dead ones included), the in-flight gauge summed over live workers, the other gauges
reported per live worker (a `pid` label).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CONTENT_TYPE = CONTENT_TYPE_LATEST


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "OTHER"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "verifier_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "verifier_http_request_duration_seconds",
            "Time from request to response, by route template.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.in_flight = Gauge(
            "verifier_http_in_flight", "Verify requests being analysed now.", registry=r,
            multiprocess_mode="livesum",
        )
        self.verdicts = Counter(
            "verifier_verdicts", "Verdicts given, by verdict.", ["verdict"], registry=r
        )
        self.reasons = Counter(
            "verifier_reasons", "Reason codes reported, by code.", ["code"], registry=r
        )
        self.rate_limited = Counter(
            "verifier_rate_limited", "Requests refused by the per-client rate limit.", registry=r
        )
        self.overloaded = Counter(
            "verifier_overloaded", "Requests refused by the concurrency bound.", registry=r
        )
        # State gauges: with several workers, one series per live worker (a `pid` label).
        def state(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, doc, labels, registry=r, multiprocess_mode="liveall")

        self.registry_info = state("verifier_registry_info",
                                   "The registry version being served (value 1).", ("version",))
        self.reload_ok = state("verifier_registry_last_reload_successful",
                               "1 if the last registry (re)load succeeded, else 0.")
        self.registry_loaded_at = state("verifier_registry_loaded_timestamp_seconds",
                                        "When the served registry was loaded (Unix time).")
        self.redis_up = state("verifier_redis_up",
                              "1 while Redis answers; 0 when it is down or not configured.")
        self.rate_limit_backend = state(
            "verifier_rate_limit_backend",
            "Where rate limits are counted now (value 1): redis (shared) or memory (this process).",
            ("backend",))
        self.observe_redis(up=False)
        self._version: str | None = None
        # Labelled children, looked up once: `labels()` validates and locks on every call, which
        # was a measurable part of a verify request. Keys are bounded like the labels themselves.
        self._per_request: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._per_verdict: dict[str, Any] = {}
        self._per_code: dict[str, Any] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method_label(method)
        children = self._per_request.get((route, method, status))
        if children is None:
            children = (self.requests.labels(route, method, str(status)), self.latency.labels(route))
            self._per_request[(route, method, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_verdict(self, verdict: str, codes: list[str]) -> None:
        child = self._per_verdict.get(verdict)
        if child is None:
            child = self._per_verdict[verdict] = self.verdicts.labels(verdict)
        child.inc()
        for code in codes:
            child = self._per_code.get(code)
            if child is None:
                child = self._per_code[code] = self.reasons.labels(code)
            child.inc()

    def observe_registry(self, version: str | None, ok: bool, loaded_at: float | None) -> None:
        if version != self._version:
            if self._version is not None:
                self.registry_info.labels(self._version).set(0)  # what a worker's file keeps
                self.registry_info.remove(self._version)
            if version is not None:
                self.registry_info.labels(version).set(1)
            self._version = version
        self.reload_ok.set(1 if ok else 0)
        if loaded_at is not None:
            self.registry_loaded_at.set(loaded_at)

    def observe_redis(self, up: bool) -> None:
        """Redis is the rate-limit backend while it answers; else each process counts alone."""
        self.redis_up.set(1 if up else 0)
        self.rate_limit_backend.labels("redis").set(1 if up else 0)
        self.rate_limit_backend.labels("memory").set(0 if up else 1)

    def render(self) -> bytes:
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        every_worker = CollectorRegistry()
        MultiProcessCollector(every_worker)
        return generate_latest(every_worker)


def multiprocess_dir() -> str | None:
    """The shared directory when this process writes its metrics there (see enable_multiprocess)."""
    return os.environ.get(MULTIPROC_ENV) if values.ValueClass is not values.MutexValue else None


def enable_multiprocess(directory: Path) -> None:
    """Before the workers start: every metric created from now on keeps its values in files in
    `directory`, per process. The directory must be empty (old files would be added in)."""
    os.environ[MULTIPROC_ENV] = str(directory)
    values.ValueClass = values.MultiProcessValue()


def worker_exited(pid: int) -> None:
    """A dead worker's live gauges leave the sums; its counters stay (they did happen)."""
    directory = multiprocess_dir()
    if directory is not None:
        mark_process_dead(pid, directory)


def as_timestamp(value: Any) -> float | None:
    """loaded_at may be a datetime or a Unix time; metrics want seconds."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value)
