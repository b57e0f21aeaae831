"""A synthetic large registry for the scale benchmarks, written to a temporary directory.

The shipped registry.yaml plus N generated institutions (unique Chinese and English names, one
official domain, phone and case prefix each) and lists of generated scam domains and numbers.
Never committed: `run.py` writes it under a TemporaryDirectory.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from mix import ROOT

REGISTRY = ROOT / "registry" / "registry.yaml"
# Characters rare in real names, so generated names do not collide with registered ones.
_HAN = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥青赤黄白玄松柏桂兰竹梅菊荷杉桐榆槐枫桦"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TLDS = ("com", "cc", "top", "xyz", "vip", "net", "cn", "shop", "site", "online")


def _han_name(n: int) -> str:
    chars = []
    for _ in range(4):
        n, r = divmod(n, len(_HAN))
        chars.append(_HAN[r])
    return "".join(chars)


def _label(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(lo, hi)))


def _institutions(count: int) -> str:
    out = []
    for i in range(count):
        han = _han_name(i)
        label = f"zc{i:05d}arb"
        out.append(
            f"- id: synth-{i:05d}\n"
            f"  name: {han}仲裁委员会\n"
            f"  name_en: Synthetic Arbitration Commission Number {i} (SYN{i:05d})\n"
            f"  kind: commercial_arbitration\n"
            f"  source: https://example.org/synth/{i}\n"
            f"  checked: '2026-01-01'\n"
            f"  domains:\n"
            f"  - value: {label}.org.cn\n"
            f"    source: https://example.org/synth/{i}\n"
            f"    checked: '2026-01-01'\n"
            f"  phones:\n"
            f"  - value: 0{20 + i % 70}-{80000000 + i}\n"
            f"    source: https://example.org/synth/{i}\n"
            f"    checked: '2026-01-01'\n"
            f"  case_prefixes:\n"
            f"  - value: {han[:2]}仲案\n"
            f"    source: https://example.org/synth/{i}\n"
            f"    checked: '2026-01-01'\n"
        )
    return "".join(out)


def write(dest: Path, institutions: int, scam_domains: int, scam_numbers: int, seed: int = 8) -> Path:
    """Write registry.yaml and its lists under `dest`; returns the registry.yaml path."""
    rng = random.Random(seed)
    src = REGISTRY.read_text("utf-8")
    shutil.copytree(REGISTRY.parent / "lists", dest / "lists", dirs_exist_ok=True)
    # Prefix-ids share two characters by construction; that is allowed (several bodies, one prefix).
    marker = "\ninstitutions:\n"
    head, tail = src.split(marker, 1)
    text = head + marker + _institutions(institutions) + tail
    (dest / "registry.yaml").write_text(text, "utf-8")

    shipped = (REGISTRY.parent / "lists" / "scam_domains.txt").read_text("utf-8")
    domains = {f"{_label(rng, 5, 12)}-{_label(rng, 3, 6)}.{rng.choice(_TLDS)}"
               for _ in range(scam_domains)}
    (dest / "lists" / "scam_domains.txt").write_text(
        shipped + "".join(sorted(d + "\n" for d in domains)), "utf-8")
    shipped = (REGISTRY.parent / "lists" / "scam_numbers.txt").read_text("utf-8")
    numbers = {f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(scam_numbers)}
    (dest / "lists" / "scam_numbers.txt").write_text(
        shipped + "".join(sorted(n + "\n" for n in numbers)), "utf-8")
    return dest / "registry.yaml"
