"""Measure false alarms and misses on the public SMS corpora in ../shared/corpus (not shipped),
and on the independent labelled sets in bench/independent/ (written by people who saw neither the
engine nor the project corpus; the engine was changed after each set's first pass).

    python bench/quality.py [--corpus-dir ../shared/corpus]

Ordinary messages (UCI ham, LiaoPan ham) should not be flagged; spam that threatens legal
action (arbitration, court, lawsuit, collection) should be. Advertising spam is neither: the
verifier judges notices, not marketing, so its flag rate there is reported for information.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import sys
from collections import Counter
from pathlib import Path

from verifier.engine import check_offline
from verifier.models import VerifyRequest
from verifier.registry.compiled import Registry, load_registry
from verifier.settings import bundled_registry_path

# Spam that poses as a court or arbitration notice (political petitions and property ads that
# merely mention a court are left out).
LEGAL_THREAT = re.compile(r"法院|仲裁|传票|律师函|arbitrat|court|lawsuit|legal action|summons")
NOT_NOTICE = re.compile(r"法轮|迫害|控告|内购|楼下|平方")
FLAGGED = ("suspicious", "likely_scam")


def rows(path: Path) -> list[list[str]]:
    with lzma.open(path, "rt", encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fbs_text(t: str) -> str:
    """The FBS corpus is word-segmented; join CJK runs back together."""
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", t)


def load_sets(base: Path) -> dict[str, tuple[str, list[str]]]:
    uci = rows(base / "en_sms_spam_collection_uci/SMSSpamCollection.xz")
    liao = rows(base / "zh_80w_corpus_subsets/liaopan_train_sample.tsv.xz")
    fbs = [fbs_text(r[-1]) for r in rows(base / "zh_fbs_sms_ccs20/fbs_sms.tsv.xz")]
    x16 = [r[-1] for r in rows(base / "zh_80w_corpus_subsets/x16_test.tsv.xz")]
    x16c = [r[-1] for r in rows(base / "zh_80w_corpus_subsets/x16_6class.tsv.xz")]
    spam_zh = fbs + x16 + x16c
    return {
        "uci_ham (en ordinary)": ("ordinary", [r[1] for r in uci if r[0] == "ham"]),
        "liaopan_ham (zh ordinary)": ("ordinary", [r[-1] for r in liao if r[-2] == "0"]),
        "uci_spam (en, mostly ads)": ("info", [r[1] for r in uci if r[0] == "spam"]),
        "zh_spam_all (mostly ads)": ("info", spam_zh),
        "zh_spam_fake_court_notice": ("scam", [t for t in spam_zh if LEGAL_THREAT.search(t) and not NOT_NOTICE.search(t)]),
        "zh_spam_freeze_threat": ("info", [t for t in spam_zh if "冻结" in t]),
        "en_spam_legal_threat": ("scam", [r[1] for r in uci if r[0] == "spam" and LEGAL_THREAT.search(r[1].lower())]),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus-dir", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared/corpus")
    ap.add_argument("--show", type=int, default=0, help="print up to N examples of each error")
    args = ap.parse_args()
    if not args.corpus_dir.is_dir():
        print(f"no corpus at {args.corpus_dir}", file=sys.stderr)
        return 2
    reg = load_registry(bundled_registry_path())
    print(f"registry {reg.version}")
    print(f"{'set':<28}{'n':>7}{'flagged':>9}{'rate':>8}   verdicts")
    for name, (label, texts) in load_sets(args.corpus_dir).items():
        verdicts: Counter[str] = Counter()
        examples = []
        for t in texts:
            resp = check_offline(VerifyRequest(text=t[:10_000]), reg, "zh-Hans")
            verdicts[resp.verdict] += 1
            wrong = (resp.verdict in FLAGGED) != (label == "scam")
            if wrong and label != "info" and len(examples) < args.show:
                examples.append((t[:120], [r.code for r in resp.reasons if r.score > 0]))
        n = len(texts)
        flagged = verdicts["suspicious"] + verdicts["likely_scam"]
        print(f"{name:<28}{n:>7}{flagged:>9}{flagged / max(n, 1):>8.3f}   {dict(verdicts)}")
        for t, codes in examples:
            print(f"      {codes} {t}")
    independent(reg, args.show)
    return 0


def independent(reg: Registry, show: int) -> None:
    """Each independent set by label: how many were flagged, and the verdicts."""
    print(f"\n{'independent set':<28}{'label':>9}{'n':>5}{'flagged':>9}   verdicts")
    for path in sorted((Path(__file__).parent / "independent").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        for label in ("scam", "genuine", "ordinary"):
            verdicts: Counter[str] = Counter()
            wrong = []
            for row in (r for r in rows if r["label"] == label):
                resp = check_offline(VerifyRequest.model_validate(row["request"]), reg, "zh-Hans")
                verdicts[resp.verdict] += 1
                if (resp.verdict in FLAGGED) != (label == "scam") and len(wrong) < show:
                    wrong.append((row["id"], row["request"].get("text", "")[:100]))
            if not verdicts:
                continue
            flagged = verdicts["suspicious"] + verdicts["likely_scam"]
            print(f"{path.stem:<28}{label:>9}{sum(verdicts.values()):>5}{flagged:>9}   {dict(verdicts)}")
            for rid, text in wrong:
                print(f"      {rid} {text}")


if __name__ == "__main__":
    raise SystemExit(main())
