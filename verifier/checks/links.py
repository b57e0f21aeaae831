"""Link checks: official, lookalike, embedded, shortener, IP literal, download, obfuscated."""

from __future__ import annotations

from urllib.parse import urlsplit

import regex
from rapidfuzz.distance import OSA

from verifier.analysis.extract import Extraction
from verifier.analysis.urls import Link, skeleton, suffix_hosted
from verifier.checks.finding import Finding, item
from verifier.registry.compiled import Registry

EMITS = frozenset({
    "LINK_NONE", "LINK_OFFICIAL", "LINK_KNOWN_SCAM", "LINK_IP_LITERAL", "LINK_SHORTENER",
    "LINK_FREE_HOSTING", "LINK_ABUSED_TLD", "LINK_EMBEDDED_OFFICIAL", "LINK_LOOKALIKE", "LINK_PUNYCODE",
    "LINK_APK", "LINK_OBFUSCATED", "LINK_UNKNOWN_DOMAIN", "LINK_TOO_MANY", "LINK_PLACEHOLDER",
    "LINK_NOT_WEB",
})
# What a copy leaves where a link was: WeChat and QQ copy a message's link as "[链接]" ("[Link]" in
# English, 鏈接/連結 in traditional script), so the link itself was never given to us. Read in the
# normalised text (traditional folded, full-width brackets made half-width).
PLACEHOLDER = regex.compile(r"[\[【](?:网页)?(?:链接|连结|网址|link|url)[\]】]", regex.IGNORECASE)


def placeholders(ex: Extraction) -> list[tuple[int, int]]:
    """Original spans of the link placeholders in the text: a link there could not be checked."""
    s = ex.text.text
    if "[" not in s and "【" not in s:
        return []
    return [ex.text.span(*m.span()) for m in PLACEHOLDER.finditer(s)]
_SUFFIX_WORDS = frozenset({"org", "cn", "gov", "com", "net", "orgcn", "govcn", "comcn", "hk", "sg"})
_DOWNLOADS = (".apk", ".exe", ".ipa", ".scr", ".bat", ".msi", ".jar", ".dmg")


def is_official(link: Link, reg: Registry) -> bool:
    return bool(link.domain) and (
        reg.official_owner(link.host) is not None or link.domain.endswith(reg.trusted_suffixes)
    )


def _imitates(label: str, official: str) -> bool:
    """`label` is one edit from `official` (two neighbours swapped count as one: 'ceitac'), holds
    it as a hyphenated piece, is it plus a suffix word ('bjacorgcn'), or it after 'www' with the
    dot left out ('wwwcietac')."""
    if label.startswith("www") and len(label) > 3 and (label[3:] == official or _imitates(label[3:], official)):
        return True
    if len(official) == 3:
        # Three letters (adr, pbc, moj) are too short for edits or glued suffixes ('adrcn' may be
        # anyone's); only the name then suffix words apart: 'adr-org', 'pbc-gov-cn'.
        pieces = label.replace("_", "-").split("-")
        return len(pieces) > 1 and pieces[0] == official and all(p in _SUFFIX_WORDS for p in pieces[1:])
    if len(official) < 4:
        return False
    # One letter swapped in a short acronym is another acronym (shac, siac; whac, wiac), and most
    # of ~285 commissions' sites are not in the registry: for labels of five letters or fewer only
    # a letter added or dropped counts (gzacc, gzc); look-alike swaps (0 for o) match the skeleton.
    # Two neighbours swapped in a short one (sica, scia; dqac, qdac) may be another city's too.
    if (label != official and len(label) >= 4 and (len(official) > 5 or len(label) != len(official))
            and OSA.distance(label, official, score_cutoff=1) <= 1):
        return True
    for piece in label.replace("_", "-").split("-"):
        if piece == official and label != official:
            return True
    return label != official and skeleton(label).startswith(skeleton(official)) and skeleton(
        label[len(official):]
    ) in _SUFFIX_WORDS


def _candidates(label: str, sk: str, reg: Registry) -> set[str]:
    """Every official label `_imitates` can accept for `label` (a superset), from the index:
    one edit apart means a shared one-deletion key; a piece is itself a label; the suffix
    form means the official's skeleton is a prefix of the label's."""
    index = reg.lookalikes
    out: set[str] = set()
    if len(label) >= 4:
        for key in {label, *(label[:i] + label[i + 1:] for i in range(len(label)))}:
            out.update(index.by_deletion.get(key, ()))
    out.update(p for p in label.replace("_", "-").split("-") if p in index.labels)
    for i in range(len(sk) + 1):
        out.update(index.by_skeleton.get(sk[:i], ()))
    if label.startswith("www") and len(label) > 3:
        out.update(_candidates(label[3:], skeleton(label[3:]), reg))
    return out


def lookalike_of(link: Link, reg: Registry) -> str | None:
    """The official domain this link imitates, if any (and it is not that domain)."""
    label = link.domain.split(".", 1)[0]
    sk = skeleton(label)
    if sk in reg.skeletons and reg.skeletons[sk] != link.domain:
        return reg.skeletons[sk]
    if label in reg.english_names:
        return None  # another registered body's own acronym (shac beside shiac), not an imitation
    # The first official label in sorted order that it imitates, as a scan of all would find.
    matches = [official for official in _candidates(label, sk, reg) if _imitates(label, official)]
    return reg.label_to_domains[min(matches)][0] if matches else None


def embedded_official(link: Link, reg: Registry) -> str | None:
    """'bjac.org.cn.pay-case.cc', 'sd-court.gov.cn.cdsk.top' or 'bjac.org.cn@pay-case.cc': an
    official domain worn as subdomain labels (also after a hyphen) or as the user part before an '@'."""
    labels = link.subdomain.split(".") if link.subdomain else []
    if "@" in link.url:
        user = (urlsplit(link.url).username or "").lower().strip(".")
        labels = [*user.split("."), *labels]
    if not labels:
        return None
    # The registered label may finish the official name ('court-gov.cn.xyz': registered 'cn.xyz').
    spelled = [*labels, link.domain.split(".", 1)[0]] if link.domain else labels
    for i in range(len(labels)):
        # 'sd-court.gov.cn.cdsk.top': the official domain begins after a hyphen in its first label
        parts = labels[i].split("-")
        heads = ["-".join(parts[k:]) for k in range(len(parts))]
        for j in range(i + 1, len(spelled) + 1):
            for head in heads:
                cand = ".".join([head, *spelled[i + 1:j]])
                # 'court-gov.cn.xyz': hyphens written for the official name's dots
                for name in (cand, cand.replace("-", ".")):
                    if name in reg.official_domains:
                        return name
    for lab in labels:
        if lab in reg.label_to_domains and len(lab) >= 4:
            return reg.label_to_domains[lab][0]
    return None


def worn_suffix(link: Link, reg: Registry) -> str | None:
    """'ldbz-gov.cn.bt-pay.cc', 'netcourt.gov.cn-pay.top', 'ldzc.gov-cn.cc': a host outside the
    suffix that spells a trusted one (only government bodies may register under gov.cn) among its
    labels, with dots or hyphens between them, poses as a government site whose domain we may not know."""
    if "gov" not in link.host:
        return None
    words = link.host.replace("-", ".").split(".")
    for suffix in reg.trusted_suffixes:
        parts = suffix.strip(".").split(".")
        if len(parts) > 1 and any(words[i:i + len(parts)] == parts for i in range(len(words) - len(parts) + 1)):
            return suffix.strip(".")
    return None


def check_link(link: Link, reg: Registry, field: str | None = None) -> list[Finding]:
    ev = (item(field or link.field, link.raw, link.start, link.end),)
    out: list[Finding] = []
    official = False
    if link.ip:
        out.append(Finding("LINK_IP_LITERAL", ev))
        if "@" in link.url and (embedded := embedded_official(link, reg)):  # 'gzac.org@203.0.113.9'
            out.append(Finding("LINK_EMBEDDED_OFFICIAL", ev + (item("links", embedded),)))
    elif official := is_official(link, reg):
        out.append(Finding("LINK_OFFICIAL", ev))
    else:
        if link.domain in reg.scam_domains or link.host in reg.scam_domains:
            out.append(Finding("LINK_KNOWN_SCAM", ev))
        if link.domain in reg.shorteners or link.host in reg.shorteners:
            out.append(Finding("LINK_SHORTENER", ev))
        if suffix_hosted(link.host, reg.free_hosting):
            out.append(Finding("LINK_FREE_HOSTING", ev))
        embedded = embedded_official(link, reg) or worn_suffix(link, reg)
        if embedded:
            out.append(Finding("LINK_EMBEDDED_OFFICIAL", ev + (item("links", embedded),)))
        look = None if embedded else lookalike_of(link, reg)
        if look:
            out.append(Finding("LINK_LOOKALIKE", ev + (item("links", look),)))
        if link.punycode:
            out.append(Finding("LINK_PUNYCODE", ev))
        if not out:
            out.append(Finding("LINK_UNKNOWN_DOMAIN", ev))
        if link.domain.rsplit(".", 1)[-1] in reg.abused_tlds:
            out.append(Finding("LINK_ABUSED_TLD", ev))
    if link.path.lower().endswith(_DOWNLOADS):
        out.append(Finding("LINK_APK", ev))
    # ｇｚａｃ．ｏｒｇ still goes to the official site; direction controls make it show another one.
    if link.obfuscated and (link.bidi or not official):
        out.append(Finding("LINK_OBFUSCATED", ev))
    return out


def check(ex: Extraction, reg: Registry) -> list[Finding]:
    # A placeholder is a link we were not given: the reader is told so and how to give it (info,
    # no score: what WeChat does to a copy says nothing about the notice).
    held = [Finding("LINK_PLACEHOLDER", tuple(item("text", ex.original[a:b], a, b) for a, b in spans[:10]))
            for spans in [placeholders(ex)] if spans]
    # javascript:, data:, file: links no web check reads (they were dropped without a word)
    if ex.not_web:
        held.append(Finding("LINK_NOT_WEB", tuple(item(*found) for found in ex.not_web[:10])))
    if not ex.links:
        return held or [Finding("LINK_NONE")]
    out: list[Finding] = held
    for link in ex.links:
        out.extend(check_link(link, reg))
    if ex.links_total > len(ex.links):
        out.append(Finding("LINK_TOO_MANY", (item("text", str(ex.links_total)),)))
    return out
