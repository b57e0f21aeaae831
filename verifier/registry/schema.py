"""Schema of registry/registry.yaml: the one file registry maintainers edit.

Frozen models with extra="forbid", so a typo in a key is an error with a line number,
not a silently ignored fact. `verifier registry schema` exports it as JSON Schema.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Severity = Literal["high", "medium", "low", "info", "positive"]
Kind = Literal[
    "commercial_arbitration",
    "international_arbitration",
    "labour_arbitration",
    "rural_land_arbitration",
    "court",
    "court_delivery_platform",
    "regulator",
    "hotline",
    "payment_platform",
    "lender",
    "arbitration_association",
]
# Payment platforms and lenders that scams name ("您在借呗的借款已逾期…"): never an adjudicator. Naming one
# does not make a notice an arbitration body's; their channels tell whether a message is theirs.
PLATFORM_KINDS = frozenset({"payment_platform", "lender"})
# The China Arbitration Association: the arbitration institutions' self-regulatory body under the
# Arbitration Law. It supervises institutions and arbitrators and hears no case, so a case notice or a
# fee demand in its name is not its own; a mention of it (news, a law text) is no claim at all.
ASSOCIATION_KINDS = frozenset({"arbitration_association"})
# Bodies that decide or serve cases: their names and channels make a notice a legal one.
ADJUDICATOR_KINDS = frozenset({"commercial_arbitration", "international_arbitration", "labour_arbitration",
                               "rural_land_arbitration", "court", "court_delivery_platform"})


# A name, alias, value or phrase goes into the Aho-Corasick matcher as one trie path: a term of
# some 650,000 characters (a page pasted into an alias) crashed the process with a segmentation
# fault when the trie was freed, at `registry check`, start-up or reload. The longest in use is
# about 120; a term is a name, never a paragraph.
MAX_TERM_CHARS = 300
Term = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TERM_CHARS)]


class Strict(BaseModel):
    """Numbers and flags are declared strict where they appear: YAML's `true` is a bool, and a
    bool is an int to Python, so `score: true` loaded as a score of 1 and `testing: 1` as on."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Messages(Strict):
    """One sentence in each of the three languages the service answers in."""

    zh_hans: str = Field(alias="zh-Hans", min_length=1)
    zh_hant: str = Field(alias="zh-Hant", min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return {"zh-Hans": self.zh_hans, "zh-Hant": self.zh_hant}.get(lang, self.en)


class Fact(Strict):
    """A fact about an institution, with where it was found and when it was checked."""

    value: Term
    source: str = Field(min_length=8, description="URL of the page that states this fact.")
    checked: dt.date
    confidence: Literal["high", "medium"] | None = None
    note: str | None = None
    region: str | None = Field(
        None,
        description="The province whose bodies alone use this fact, as lists/cities.txt writes it "
        "(a province's courts' shared SMS port: 浙江); none: the fact holds for the body anywhere.",
    )


class Institution(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    name: str = Field(min_length=2, max_length=MAX_TERM_CHARS)
    name_en: str | None = Field(None, max_length=MAX_TERM_CHARS)
    kind: Kind
    city: str | None = None
    province: str | None = None
    parent: str | None = None
    online_arbitration: bool | None = Field(None, strict=True)
    source: str = Field(min_length=8)
    checked: dt.date
    aliases: list[Fact] = Field(default_factory=list)
    domains: list[Fact] = Field(default_factory=list)
    phones: list[Fact] = Field(default_factory=list)
    senders: list[Fact] = Field(default_factory=list)
    case_prefixes: list[Fact] = Field(default_factory=list)
    web_suffixes: list[Fact] = Field(
        default_factory=list,
        description="A rule puts every site of this body under one of these trusted suffixes "
        "(a mainland government body's under gov.cn): a link elsewhere is not the body's, even "
        "while its own domain is unknown.",
    )
    uses_channels_of: list[Fact] = Field(
        default_factory=list,
        description="Ids of registry bodies whose channels this body's notices also use (every "
        "people's court sends people to the Supreme People's Court's national platforms and its "
        "12368 line): their sites, numbers and programs confirm a channel as this body's, but a "
        "channel elsewhere is judged against this body's own facts only.",
    )


class CodeDef(Strict):
    """A reason code: its weight, group and messages (the check code decides when it fires)."""

    group: str
    severity: Severity
    score: float = Field(ge=-100, le=100, strict=True)
    legal_score: float | None = Field(
        None, ge=0, le=100, strict=True,
        description="Score instead of `score` when the message presents itself as a legal notice "
        "(a shortener in a shop ad is ordinary; in an arbitration notice it is not).",
    )
    testing: bool = Field(False, strict=True, description="Shadow mode: fires and is reported, scores 0.")
    messages: Messages

    @model_validator(mode="after")
    def _sign(self) -> CodeDef:
        if self.severity == "positive" and self.score > 0:
            raise ValueError("a positive-evidence code must have a score <= 0")
        if self.severity == "info" and (self.score != 0 or self.legal_score):
            raise ValueError("an info code must have score 0")
        if self.severity in ("high", "medium", "low") and self.score < 0:
            raise ValueError("a warning code must have a score >= 0")
        return self


class GroupDef(Strict):
    max_score: float = Field(gt=0, le=100, strict=True, description="Cap on the group's total contribution.")
    min_score: float = Field(-100, ge=-100, le=0, strict=True, description="Cap on positive evidence.")


class Verdicts(Strict):
    suspicious: float = Field(gt=0, le=100, strict=True, description="Risk from which a notice is suspicious.")
    likely_scam: float = Field(gt=0, le=100, strict=True, description="Risk from which a notice is likely a scam.")
    likely_scam_min_groups: int = Field(
        2, ge=1, le=10, strict=True, description="Independent warning groups needed for likely_scam."
    )

    @model_validator(mode="after")
    def _order(self) -> Verdicts:
        if self.likely_scam <= self.suspicious:
            raise ValueError("likely_scam must be above suspicious")
        return self


class Cited(Strict):
    """An entry that must say where it comes from: a source URL, or a reason a maintainer can check."""

    source: str | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _cited(self) -> "Cited":
        if not (self.source or self.reason):
            raise ValueError("give a source URL or a reason")
        return self


class Sourced(Cited):
    """A pattern entry: a value with its source or reason."""

    value: Term


class PhraseRule(Cited):
    """Literal phrases (matched after normalisation) that make a content code fire."""

    code: str
    terms: list[Term] = Field(min_length=1)


class PatternRule(Cited):
    """A regular expression (the `regex` module; must not backtrack catastrophically)."""

    code: str
    regex: str = Field(min_length=1, max_length=500)


class NumberSegments(Strict):
    virtual_operator: list[Sourced] = Field(default_factory=list)


class ListFiles(Strict):
    """Plain lists (one entry a line, # comments) next to registry.yaml."""

    scam_domains: str | None = None
    scam_numbers: str | None = None
    shorteners: str | None = None
    free_hosting: str | None = None
    shared_documents: str | None = None
    abused_tlds: str | None = None
    cities: str | None = None


class DnsblCode(Strict):
    """How a DNSBL zone's answer maps to a reason code."""

    zone: str
    prefix: str = Field(description="Return address prefix, e.g. 127.0.1.")
    code: str
    reason: str | None = None
    source: str | None = None


class ReportingChannel(Strict):
    id: str
    number: str
    name: Messages
    when: list[str] = Field(
        default_factory=list, description="Reason codes that make this channel relevant; empty: always."
    )
    source: str = Field(min_length=8)
    checked: dt.date


class RegistryFile(Strict):
    """Every section is required (an empty one is written `[]`): a file cut short, by a full disk or
    a copy that stopped, must fail validation rather than load with its later sections empty."""

    schema_version: Literal[1]
    version: str = Field(min_length=1, description="The maintainers' label for this edition.")
    verdicts: Verdicts
    groups: dict[str, GroupDef]
    codes: dict[str, CodeDef]
    advice: dict[str, Messages]
    institutions: list[Institution]
    fake_bodies: list[Sourced]
    non_bodies: list[Sourced]
    body_modifiers: list[Sourced] = Field(
        description="Words a lawful commission name may carry between city and suffix (国际, 经济贸易).",
    )
    trusted_suffixes: list[Sourced] = Field(
        description="Suffixes only public bodies can register (gov.cn)."
    )
    city_abbreviations: list[Sourced] = Field(
        description="value like '穗=广州': one-character names in case numbers."
    )
    phrases: list[PhraseRule]
    patterns: list[PatternRule]
    number_segments: NumberSegments
    dnsbl: list[DnsblCode]
    lists: ListFiles
    reporting_channels: list[ReportingChannel]
    end_of_registry: Literal[True] = Field(
        description="Keep as the file's last line: a file cut short (half-written) lacks it "
        "and is refused."
    )


def json_schema_text() -> str:
    """The JSON Schema editors use (committed as registry/registry.schema.json; a test keeps it current)."""
    generated = RegistryFile.model_json_schema(by_alias=True)
    generated.pop("title", None)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "The verifier's registry (registry/registry.yaml); see registry/README.md",
        **generated,
    }
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
