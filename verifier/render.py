"""The human-readable form of a verdict for a terminal: verdict first, then reasons, then advice."""

from __future__ import annotations

import re

from verifier.models import VerifyResponse

_TITLES = {
    "zh-Hans": {"likely_genuine": "可能是真的", "unverified": "无法确认", "suspicious": "可疑",
                "likely_scam": "很可能是诈骗", "reasons": "原因", "advice": "建议", "risk": "风险"},
    "zh-Hant": {"likely_genuine": "可能是真的", "unverified": "無法確認", "suspicious": "可疑",
                "likely_scam": "很可能是詐騙", "reasons": "原因", "advice": "建議", "risk": "風險"},
    "en": {"likely_genuine": "likely genuine", "unverified": "unverified", "suspicious": "suspicious",
           "likely_scam": "likely a scam", "reasons": "Reasons", "advice": "What to do", "risk": "risk"},
}
_MARK = {"high": "!!", "medium": "! ", "low": "· ", "positive": "+ ", "info": "  "}
# Messages quote the notice (a sender, a link). A terminal obeys control characters (ESC [2J clears
# the screen, OSC sequences retitle it) and bidi controls reorder the line: show them escaped.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_text(resp: VerifyResponse) -> str:
    t = _TITLES[resp.lang]
    lines = [f"{t[resp.verdict]} ({resp.verdict}, {t['risk']} {resp.risk}/100)", "", f"{t['reasons']}:"]
    for r in resp.reasons:
        if r.severity == "info":
            continue
        lines.append(f"  {_MARK[r.severity]} {_shown(r.message)}  [{r.code}]")
    checked = [r.code for r in resp.reasons if r.severity == "info"]
    if checked:
        lines.append(f"     ({', '.join(checked)})")
    lines += ["", f"{t['advice']}:"]
    for a in resp.advice:
        lines.append(f"  - {_shown(a.message)}")
        for c in a.contacts:
            lines.append(f"      {c}")
    lines.append("")
    lines.append(f"registry {resp.registry.version}")
    return "\n".join(lines)
