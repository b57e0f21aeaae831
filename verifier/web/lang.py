"""Answer language: the request's `lang`, else Accept-Language (with q-values), else zh-Hans."""

from __future__ import annotations

from typing import cast

from verifier.models import Lang

DEFAULT_LANG: Lang = "zh-Hans"
_HANT_REGIONS = {"tw", "hk", "mo"}
_MAX_HEADER = 1024  # a longer Accept-Language is not a browser's; read only its start
_MAX_ENTRIES = 32


def map_tag(tag: str) -> Lang | None:
    """One language tag to the answer language it asks for, or None if we don't speak it."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    if not parts or not parts[0]:
        return None
    if parts[0] == "en":
        return "en"
    if parts[0] not in {"zh", "cmn", "yue"}:
        return None
    rest = set(parts[1:])
    if "hant" in rest:
        return "zh-Hant"
    if "hans" in rest:
        return "zh-Hans"
    if rest & _HANT_REGIONS or parts[0] == "yue":
        return "zh-Hant"
    return "zh-Hans"


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def from_accept_language(header: str | None) -> Lang | None:
    """The best language we speak from an Accept-Language header, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, Lang]] = []
    for index, entry in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_ENTRIES]):
        tag, *params = entry.split(";")
        q = _quality(params)
        lang = map_tag(tag)
        if lang is not None and q > 0:
            ranked.append((-q, index, lang))
    return min(ranked)[2] if ranked else None


def choose(requested: str | None, accept_language: str | None) -> Lang:
    if requested is not None:
        return cast(Lang, requested)
    return from_accept_language(accept_language) or DEFAULT_LANG
