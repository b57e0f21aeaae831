"""Fuzz targets: one function per entry point, taking bytes, raising only on a real bug.

* `body`: a request body's bytes -> JSON object -> VerifyRequest (or a batch of them) -> a verdict
  or a 4xx problem, exactly the path of POST /v1/verify(/batch) without the HTTP layer.
* `engine`: a notice (text, sender, links, institution) carved out of the bytes -> the offline
  engine, with its invariants: a known verdict, risk 0-100, offsets inside the text, and the
  text evidence equal to the text at those offsets.

Used by tests/fuzz/run.py (atheris, coverage-guided) and tests/test_fuzz.py (replay and a short
pass in CI). Anything else an input raises is a finding; the run saves it under crashers/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from verifier.engine import check_offline
from verifier.models import VerifyRequest, VerifyResponse
from verifier.registry.compiled import Registry, load_registry
from verifier.settings import bundled_registry_path
from verifier.web.body import parse_json_object, parse_notice
from verifier.web.handlers import _batch_notices
from verifier.web.problems import ProblemError, problem_body

VERDICTS = {"likely_genuine", "unverified", "suspicious", "likely_scam"}


@lru_cache(maxsize=1)
def registry() -> Registry:
    return load_registry(bundled_registry_path())


def check_answer(text: str, answer: VerifyResponse) -> None:
    assert answer.verdict in VERDICTS and 0 <= answer.risk <= 100, answer.verdict
    for reason in answer.reasons:
        for ev in reason.evidence:
            if ev.start is None:
                continue
            assert ev.field == "text" and ev.end is not None, (reason.code, ev)
            assert 0 <= ev.start <= ev.end <= len(text), (reason.code, ev, len(text))
            if not reason.code.startswith(("LINK_", "CONSISTENCY_LINK")):  # links: normalised URL
                assert ev.value == text[ev.start:ev.end][:200], (reason.code, ev)
    json.dumps(answer.model_dump(mode="json"), ensure_ascii=False)  # it serialises


def _expected_problem(exc: ProblemError) -> None:
    assert 400 <= exc.status < 500, exc.status
    json.dumps(problem_body(exc.problem("fuzz")) | exc.extra, ensure_ascii=False)


def body(data: bytes) -> None:
    """POST /v1/verify and /v1/verify/batch, minus HTTP."""
    try:
        obj = parse_json_object(data)
        notices: list[Any] = _batch_notices(obj) if "notices" in obj else [obj]
    except ProblemError as exc:
        _expected_problem(exc)
        return
    for index, item in enumerate(notices):
        try:
            req = parse_notice(item, ("body", "notices", index))
        except ProblemError as exc:
            _expected_problem(exc)
            continue
        check_answer(req.text or "", check_offline(req, registry()))


def _split(data: bytes) -> list[str]:
    """Four strings from the bytes: text, sender, one link, institution (\\x1f separates)."""
    text = data.decode("utf-8", errors="surrogateescape")
    parts = text.split("\x1f", 3)
    return parts + [""] * (4 - len(parts))


def engine(data: bytes) -> None:
    text, sender, link, institution = _split(data)
    fields: dict[str, Any] = {"text": text or None, "sender": sender or None,
                              "links": [link] if link else None, "institution": institution or None}
    try:
        req = VerifyRequest(**fields)
    except ValidationError:
        return  # surrogates, over-long fields: the HTTP layer answers 422 (see the body target)
    if req.is_empty():
        return
    answer = check_offline(req, registry())
    check_answer(text, answer)
    if len(text) < 400:  # deterministic (on short inputs; it doubles the cost)
        assert check_offline(req, registry()).model_dump() == answer.model_dump()


TARGETS: dict[str, Callable[[bytes], None]] = {"body": body, "engine": engine}


def seeds(target: str) -> list[bytes]:
    """Starting inputs: the labelled corpus, as bodies or as \\x1f-joined notices."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "corpus" / "notices.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    out: list[bytes] = []
    for row in rows[::3]:
        req = row["request"]
        if target == "body":
            out.append(json.dumps(req, ensure_ascii=False).encode())
        else:
            parts = [req.get("text") or "", req.get("sender") or "", (req.get("links") or [""])[0],
                     req.get("institution") or ""]
            out.append("\x1f".join(parts).rstrip("\x1f").encode())
    if target == "body":
        out.append(json.dumps({"notices": [r["request"] for r in rows[:5]]}, ensure_ascii=False).encode())
    return out
