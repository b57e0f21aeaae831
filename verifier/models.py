"""The public contract: request and response models of the verify endpoint and the CLI.

These models generate /openapi.json, so every field carries a description.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Lang = Literal["zh-Hans", "zh-Hant", "en"]
Verdict = Literal["likely_genuine", "unverified", "suspicious", "likely_scam"]
Severity = Literal["high", "medium", "low", "info", "positive"]
Channel = Literal["sms", "email", "letter", "call", "other"]

MAX_TEXT_CHARS = 10_000
MAX_LINKS = 50

ShortStr = Annotated[str, StringConstraints(max_length=512)]


class VerifyRequest(BaseModel):
    """One notice to check. At least one of text, sender, links, institution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = Field(
        None, max_length=MAX_TEXT_CHARS, description="The notice as received (SMS body, email text)."
    )
    sender: ShortStr | None = Field(None, description="The number or ID the notice came from.")
    links: list[ShortStr] | None = Field(
        None, max_length=MAX_LINKS, description="Links given separately from the text."
    )
    institution: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="The body the notice claims to come from, if given separately."
    )
    channel: Channel | None = Field(None, description="How the notice arrived.")
    lang: Lang | None = Field(
        None, description="Language of the answer; falls back to Accept-Language, then zh-Hans."
    )

    def is_empty(self) -> bool:
        return not (visible(self.text) or visible(self.sender) or self.links or visible(self.institution))


def visible(value: str | None) -> bool:
    """Holds a character that shows: not only spaces, controls or zero-width marks."""
    return bool(value) and any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc") for c in value)


class EvidenceItem(BaseModel):
    """Where a reason came from: the field, the matched value, and offsets into `text`."""

    field: Literal["text", "sender", "links", "institution", "network"]
    value: str
    start: int | None = Field(None, description="Offset into the submitted text (code points).")
    end: int | None = Field(None, description="End offset (exclusive) into the submitted text.")


class Reason(BaseModel):
    code: str = Field(description="Stable UPPER_SNAKE code with a family prefix.")
    severity: Severity
    score: float = Field(description="Contribution to the risk score (negative for positive evidence).")
    group: str = Field(description="Evidence group; each group's contribution is capped.")
    message: str = Field(description="One plain sentence in the answer's language.")
    evidence: list[EvidenceItem] = Field(default_factory=list)
    testing: bool = Field(False, description="A rule in shadow mode: reported, scores 0.")


class InstitutionInfo(BaseModel):
    """The registry's entry for the named institution: contacts come from here, never the notice."""

    id: str
    name: str
    name_en: str | None = None
    kind: str
    city: str | None = None
    official_domains: list[str] = Field(default_factory=list)
    official_phones: list[str] = Field(default_factory=list)
    official_senders: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class ExtractedLink(BaseModel):
    url: str
    host: str
    registered_domain: str
    start: int | None = None
    end: int | None = None


class ExtractedPhone(BaseModel):
    number: str = Field(description="Digits (E.164 where it parses).")
    kind: str
    start: int | None = None
    end: int | None = None


class ExtractedName(BaseModel):
    name: str
    status: str = Field(description="registered, sub_brand, lawful_pattern, known_fake, ...")
    institution_id: str | None = None
    start: int | None = None
    end: int | None = None


class ExtractedCase(BaseModel):
    number: str
    prefix: str | None = None
    start: int | None = None
    end: int | None = None


class Extracted(BaseModel):
    senders: list[ExtractedPhone] = Field(default_factory=list)
    phones: list[ExtractedPhone] = Field(default_factory=list)
    links: list[ExtractedLink] = Field(default_factory=list)
    institutions: list[ExtractedName] = Field(default_factory=list)
    case_numbers: list[ExtractedCase] = Field(default_factory=list)


class AdviceItem(BaseModel):
    kind: str = Field(description="confirm, do_not_pay, report, owe_nothing, ...")
    message: str
    contacts: list[str] = Field(default_factory=list, description="Official contacts from the registry.")


class RegistryRef(BaseModel):
    version: str = Field(description="Content hash of the registry that produced this answer.")


class VerifyResponse(BaseModel):
    verdict: Verdict
    risk: int = Field(ge=0, le=100)
    reasons: list[Reason]
    institution: InstitutionInfo | None
    extracted: Extracted
    advice: list[AdviceItem]
    registry: RegistryRef
    request_id: str | None = None
    lang: Lang


class ErrorLocation(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details, used for every error."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ErrorLocation] | None = None
    request_id: str | None = None


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notices: list[dict[str, object]] = Field(max_length=100, min_length=1)


class BatchItemError(BaseModel):
    error: Problem


class BatchResponse(BaseModel):
    results: list[VerifyResponse | BatchItemError]
