"""Links that are no web address: `javascript:` and `vbscript:` run a script, `data:` carries its
own page, `file:` opens something on the reader's device. find_links and parse_link take only
what a browser fetches from a host, so these were dropped without a word; a notice carrying one
is not in a legal notice's form, and the reader is told so (LINK_NOT_WEB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import regex

from verifier.analysis.normalise import Mapped

SCHEMES = ("javascript", "vbscript", "data", "file")
SHOWN_CHARS = 60  # of a link that may be a whole base64 page: enough to recognise it
# In the normalised (lower-case) text. A scheme word starts a link only when the link's own
# characters follow at once: "javascript:void(0)", "data:text/html;base64,…", "file:///c:/…";
# not "JavaScript: the good parts", "data: 2024" or "file: 合同.pdf".
_IN_TEXT = regex.compile(
    r"(?<![a-z0-9+.-])(?:(?:java|vb)script:(?=[!-~])"
    r"|data:[a-z]+/[a-z0-9.+-]+(?:;[a-z0-9.+=-]++)*,"
    r"|file:///?(?=[!-~]))"
    r"[^\s\p{Han}<>\"'，。、；！？）】」』…（【]{0," + str(SHOWN_CHARS) + r"}"
)
# A browser drops tabs and newlines anywhere in a URL and controls and spaces around it, so
# "java\tscript:" is javascript: (WHATWG URL standard, "basic URL parser").
_DROPPED = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


class NotWeb(NamedTuple):
    """One such link: where it was (`text` with its original span, or `links`) and how it reads."""

    field: str
    value: str
    start: int | None = None
    end: int | None = None


def scheme_of(raw: str) -> str | None:
    """A link's scheme as a browser reads it ('javascript'), or None if it names none."""
    m = _SCHEME.match(_DROPPED.sub("", raw).strip(_C0_AND_SPACE).lower())
    return m.group(1) if m else None


def find(original: str, text: Mapped, given: Iterable[str]) -> tuple[NotWeb, ...]:
    """The links that are no web address: in the text (`original`, read as `text`), then those
    given in `links`."""
    found: list[NotWeb] = []
    if ":" in text.text:
        for m in _IN_TEXT.finditer(text.text):
            a, b = text.span(*m.span())
            found.append(NotWeb("text", original[a:b], a, b))
    found.extend(NotWeb("links", raw.strip()[:SHOWN_CHARS]) for raw in given if scheme_of(raw) in SCHEMES)
    return tuple(found)
