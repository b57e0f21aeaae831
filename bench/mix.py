"""The load mix: request bodies from the labelled corpus (scams, genuine notices, ordinary
messages; zh-Hans, zh-Hant, English; short and long), and the wrk Lua script that rotates
through them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "notices.jsonl"
LONG_CHARS = 200


@dataclass(frozen=True)
class Notice:
    id: str
    label: str  # scam, genuine, ordinary
    lang: str
    request: dict

    @property
    def kind(self) -> str:
        """The engine-cost bucket: label and language, or 'long' past LONG_CHARS."""
        text = self.request.get("text") or ""
        if len(text) > LONG_CHARS:
            return "long"
        return f"{self.label}/{'en' if self.lang == 'en' else 'zh'}"


def corpus() -> list[Notice]:
    out = []
    for line in CORPUS.read_text("utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Notice(d["id"], d["label"], d["lang"], d["request"]))
    return out


def bodies(notices: list[Notice]) -> list[str]:
    """One JSON body per notice, with its language, in corpus order (interleaves kinds)."""
    return [json.dumps({**n.request, "lang": n.lang}, ensure_ascii=False) for n in notices]


def _lua_string(s: str) -> str:
    # Lua long brackets need a level that does not occur in the string.
    level = 0
    while f"]{'=' * level}]" in s:
        level += 1
    eq = "=" * level
    return f"[{eq}[{s}]{eq}]"


def lua_script(bodies: list[str], path: str = "/v1/verify") -> str:
    """wrk script: every connection's requests cycle through the bodies (pre-formatted once);
    `done` prints one JSON line with counts, errors and latency percentiles (microseconds)."""
    items = ",\n".join(_lua_string(b) for b in bodies)
    return f"""
local bodies = {{
{items}
}}
local reqs = {{}}
local i = 0
init = function(args)
  local headers = {{["Content-Type"] = "application/json"}}
  for k, b in ipairs(bodies) do
    reqs[k] = wrk.format("POST", "{path}", headers, b)
  end
  i = math.random(#reqs) - 1
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "mean_us": %.1f}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""
