"""`verifier registry eval`: run a labelled corpus and report what a registry change does.

Labels: scam (should be flagged), genuine and ordinary (should not). A case may also list
expect_codes / forbid_codes / expect_verdict; misses are reported per case.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from verifier.engine import check_offline
from verifier.models import VerifyRequest
from verifier.registry.compiled import Registry
from verifier.registry.load import read_file_bounded

FLAGGED = ("suspicious", "likely_scam")
VERDICTS = ("likely_genuine", "unverified", "suspicious", "likely_scam")
LABELS = ("scam", "genuine", "ordinary")
MAX_CORPUS_BYTES = 1 << 30  # read whole, like the registry; never a device or FIFO


@dataclass
class Report:
    table: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    code_hits: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)
    scam_genuine: list[str] = field(default_factory=list)

    def count(self, label: str) -> int:
        return sum(self.table[label].values())

    def flagged(self, label: str) -> int:
        return sum(self.table[label][v] for v in FLAGGED)

    @property
    def recall(self) -> float:
        n = self.count("scam")
        return self.flagged("scam") / n if n else 1.0

    @property
    def false_positive_rate(self) -> float:
        n = self.count("genuine") + self.count("ordinary")
        return (self.flagged("genuine") + self.flagged("ordinary")) / n if n else 0.0

    @property
    def precision(self) -> float:
        flagged = self.flagged("scam") + self.flagged("genuine") + self.flagged("ordinary")
        return self.flagged("scam") / flagged if flagged else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "confusion": {k: dict(v) for k, v in self.table.items()},
            "recall": round(self.recall, 4), "precision": round(self.precision, 4),
            "false_positive_rate": round(self.false_positive_rate, 4),
            "scams_called_likely_genuine": self.scam_genuine,
            "code_hits": {k: dict(v) for k, v in sorted(self.code_hits.items())},
            "case_failures": self.failures,
        }


def evaluate_cases(cases: list[dict[str, Any]], reg: Registry) -> Report:
    rep = Report()
    for case in cases:
        label = case["label"]
        req = VerifyRequest.model_validate(case["request"])
        resp = check_offline(req, reg, case.get("lang", "zh-Hans") if case.get("lang") in ("zh-Hans", "zh-Hant", "en") else "zh-Hans")
        rep.table[label][resp.verdict] += 1
        codes = {r.code for r in resp.reasons}
        for code in codes:
            rep.code_hits[code][label] += 1
        cid = case.get("id", "?")
        if label == "scam" and resp.verdict == "likely_genuine":
            rep.scam_genuine.append(cid)
        missing = set(case.get("expect_codes", [])) - codes
        forbidden = set(case.get("forbid_codes", [])) & codes
        if missing or forbidden:
            rep.failures.append(f"{cid}: missing {sorted(missing)} forbidden {sorted(forbidden)} -> {resp.verdict}")
        want = case.get("expect_verdict")
        if want and resp.verdict not in (want if isinstance(want, list) else [want]):
            rep.failures.append(f"{cid}: verdict {resp.verdict}, expected {want}")
    return rep


def read_corpus(path: Path) -> list[dict[str, Any]]:
    """The labelled cases, one JSON object a line; anything else stops the run with one
    `path:line: problem` per bad line (at most 20) and exit status 2, before any case runs."""
    try:
        raw = read_file_bounded(path, MAX_CORPUS_BYTES)
        if len(raw) > MAX_CORPUS_BYTES:
            _stop([f"{path}: larger than {MAX_CORPUS_BYTES >> 30} GiB; split the corpus"])
        text = raw.decode("utf-8")
    except OSError as exc:
        _stop([f"{path}: cannot read the corpus: {exc.strerror or exc}"])
    except UnicodeDecodeError as exc:
        _stop([f"{path}: not UTF-8 (byte {exc.start})"])
    cases, problems = [], []
    # JSON Lines end a line at "\n" only: str.splitlines() also split at a U+2028 or U+0085 that
    # json.dumps(..., ensure_ascii=False) leaves raw inside a pasted notice's text.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{number}: malformed JSON: {exc.msg}")
            continue
        except (RecursionError, ValueError):  # nested too deeply; NaN, an integer too long
            problems.append(f"{path}:{number}: malformed JSON: nested too deeply or a value out of range")
            continue
        problem = _case_problem(case)
        if problem:
            problems.append(f"{path}:{number}: {problem}")
        else:
            cases.append(case)
    if problems:
        more = f" ({len(problems) - 20} more not shown)" if len(problems) > 20 else ""
        _stop(problems[:20] + [f"verifier registry eval: {len(problems)} bad line(s) in the corpus{more}"])
    return cases


def _stop(lines: list[str]) -> NoReturn:
    print("\n".join(lines), file=sys.stderr)
    raise SystemExit(2)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _case_problem(case: Any) -> str | None:
    """Why a line is not a labelled case (the fields evaluate_cases reads), or None."""
    if not isinstance(case, dict):
        return "each line must be a JSON object with label and request"
    if case.get("label") not in LABELS:
        return f"label must be one of {', '.join(LABELS)}"
    try:
        VerifyRequest.model_validate(case.get("request"))
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        return "request" + "".join(f".{part}" for part in err["loc"]) + f": {err['msg']}"
    for key in ("expect_codes", "forbid_codes"):
        if key in case and not _strings(case[key]):
            return f"{key} must be a list of reason codes"
    want = case.get("expect_verdict")
    if want is not None and not (want in VERDICTS or (_strings(want) and set(want) <= set(VERDICTS))):
        return f"expect_verdict must be one of {', '.join(VERDICTS)} or a list of them"
    if not isinstance(case.get("id", ""), str | int):
        return "id must be a string"
    return None


def run_eval(cases: list[dict[str, Any]], reg: Registry, min_recall: float | None, max_fpr: float | None,
             as_json: bool) -> int:
    """Report on `cases` (read_corpus's, read before the registry so a bad corpus is told at once)."""
    rep = evaluate_cases(cases, reg)
    if as_json:
        print(json.dumps(rep.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{'label':<10}" + "".join(f"{v:>16}" for v in VERDICTS) + f"{'total':>8}")
        for label in LABELS:
            row = rep.table.get(label, Counter())
            print(f"{label:<10}" + "".join(f"{row[v]:>16}" for v in VERDICTS) + f"{sum(row.values()):>8}")
        print(f"\nrecall (scams flagged): {rep.recall:.3f}   precision: {rep.precision:.3f}   "
              f"false-positive rate (genuine+ordinary flagged): {rep.false_positive_rate:.3f}")
        print(f"scams called likely_genuine: {len(rep.scam_genuine)} {rep.scam_genuine}")
        print("\ncode hits by label (scam/genuine/ordinary):")
        for code, c in sorted(rep.code_hits.items()):
            print(f"  {code:<32} {c['scam']:>5} {c['genuine']:>5} {c['ordinary']:>5}")
        if rep.failures:
            print(f"\ncase expectations not met ({len(rep.failures)}):")
            for f in rep.failures:
                print("  " + f)
    status = 0
    if rep.scam_genuine:
        status = 1
    if min_recall is not None and rep.recall < min_recall:
        print(f"FAIL: recall {rep.recall:.3f} < {min_recall}", file=sys.stderr)
        status = 1
    if max_fpr is not None and rep.false_positive_rate > max_fpr:
        print(f"FAIL: false-positive rate {rep.false_positive_rate:.3f} > {max_fpr}", file=sys.stderr)
        status = 1
    return status
