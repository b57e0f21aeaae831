"""TEMPORARY stand-in for the engine and registry holder until they land on main. Remove then."""

from __future__ import annotations

import re
import time

from verifier.models import Extracted, ExtractedPhone, Reason, RegistryRef, VerifyResponse


class FakeRegistry:
    version = "fake0123456789ab"

    def __init__(self) -> None:
        self.loaded_at = time.time()

    def counts(self) -> dict[str, int]:
        return {"institutions": 1}


class FakeHolder:
    def __init__(self, path=None, loaded=True) -> None:
        self.current = FakeRegistry() if loaded else None
        self.last_error = None
        self.loaded_at = self.current.loaded_at if self.current else None

    async def reload(self) -> bool:
        self.current = FakeRegistry()
        return True


async def fake_verify(req, registry, lang, probes, request_id):
    text = req.text or ""
    phones = [ExtractedPhone(number=m.group(), kind="mobile", start=m.start(), end=m.end())
              for m in re.finditer(r"1\d{10}", text)]
    scam = "仲裁" in text or "arbitration" in text.lower()
    reasons = [Reason(code="BODY_FAKE_NAME", severity="high", score=40, group="body",
                      message="fake", evidence=[])] if scam else []
    return VerifyResponse(verdict="likely_scam" if scam else "unverified", risk=80 if scam else 0,
                          reasons=reasons, institution=None, extracted=Extracted(phones=phones),
                          advice=[], registry=RegistryRef(version=registry.version),
                          request_id=request_id, lang=lang)
