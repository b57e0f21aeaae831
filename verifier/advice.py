"""What the person should do next, adapted to the verdict, the reasons and who they are.

Contacts come from the registry entry of the named body, never from the notice itself.
"""

from __future__ import annotations

from typing import Any

from verifier.checks.context import Context
from verifier.registry.compiled import Registry
from verifier.scoring import is_legal_notice

ADVICE_IDS = frozenset({
    "confirm_official", "confirm_unknown_body", "still_confirm", "do_not_pay", "do_not_click",
    "do_not_call_back", "do_not_share_code", "not_yours", "owe_nothing", "not_a_legal_notice",
    "take_care", "report", "paste_link",
})
_LINKS = {"LINK_LOOKALIKE", "LINK_EMBEDDED_OFFICIAL", "LINK_APK", "LINK_SHORTENER", "LINK_IP_LITERAL",
          "LINK_KNOWN_SCAM", "LINK_PUNYCODE", "LINK_FREE_HOSTING", "LINK_ABUSED_TLD", "LINK_OBFUSCATED",
          "LINK_NOT_WEB", "CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_SHARED_DOCUMENT",
          "NET_DNSBL_LISTED", "NET_SHORTENER_BLOCKED"}
_CODES = {"CONTENT_VERIFICATION_CODE", "CONTENT_SCREEN_SHARE", "CONTENT_MEETING_APP", "CONTENT_INSTALL_APP"}


def build(verdict: str, reasons: list[dict[str, Any]], ctx: Context, reg: Registry,
          lang: str, legal: bool | None = None) -> list[dict[str, Any]]:
    """models.AdviceItem entries in JSON mode, from the reasons in JSON mode (scoring.Scored,
    whose `legal` may be passed on: is_legal_notice of the same codes)."""
    codes = {r["code"] for r in reasons if r["score"] > 0 or r["severity"] == "info"}
    fired = {r["code"] for r in reasons}
    warned = verdict in ("suspicious", "likely_scam")

    tables = reg.prepared
    texts = tables.advice[tables.lang(lang)]

    def say(kind: str, contacts: list[str] | None = None, **values: str) -> dict[str, Any]:
        text = texts[kind]
        for k, v in values.items():
            text = text.replace("{" + k + "}", v)
        return {"kind": kind, "message": text, "contacts": contacts or []}

    out: list[dict[str, Any]] = []
    legal = is_legal_notice(fired) if legal is None else legal
    inst = ctx.primary
    if inst is not None:
        # Its own contacts first, then those of the bodies whose channels it uses (a court: 12368).
        shared = sorted((ctx.channels or ctx.family) - ctx.family)
        family = [inst] + [reg.institutions[i] for i in [*sorted(ctx.family - {inst.id}), *shared]]
        contacts = list(dict.fromkeys(
            [p.value for f in family for p in f.phones] + [d.value for f in family for d in f.domains]
        ))
        out.append(say("confirm_official", contacts, name=inst.name if lang != "en" else (inst.name_en or inst.name)))
    elif legal or warned:
        out.append(say("confirm_unknown_body"))
    if verdict == "likely_genuine":
        out.append(say("still_confirm"))
    if warned:
        out.append(say("do_not_pay"))
        if codes & _LINKS or fired & {"LINK_UNKNOWN_DOMAIN"}:
            out.append(say("do_not_click"))
        out.append(say("do_not_call_back"))
    if codes & _CODES:
        out.append(say("do_not_share_code"))
    if "LINK_PLACEHOLDER" in fired:
        out.append(say("paste_link"))
    if fired & {"CONTENT_EMERGENCY_CONTACT", "CONTENT_RELAY_REQUEST"} and (warned or legal):
        out.append(say("owe_nothing"))
    elif warned and legal:  # many get a threat meant for someone else (a reused or mistyped number)
        out.append(say("not_yours"))
    if not legal and not warned and verdict == "unverified":
        # "nothing suspicious was found" is untrue beside a risk reason below the warning threshold
        # (a virtual-operator sender checked on its own)
        risky = any(r["score"] > 0 for r in reasons)
        out.append(say("take_care" if risky else "not_a_legal_notice"))
    if warned:
        names = tables.channel_names[tables.lang(lang)]
        contacts = [names[i] for i, ch in enumerate(reg.reporting_channels)
                    if not ch.when or not fired.isdisjoint(ch.when)]
        if contacts:
            out.append(say("report", contacts))

    return out
