"""The widget partners file: which sites may embed the check, and with which key.

The file (`VERIFIER_PARTNERS`, YAML) is a list of partners:

    - key: cg-example            # public: it sits in the partner's page
      name: Example Consumer Group
      origins: [https://example.org, https://www.example.org]
      rate_limit: 600/minute     # optional; verify calls per key, over all its visitors

An origin is `scheme://host[:port]`, nothing more; https only, except http on loopback hosts
(for local testing). The key is not a secret: it names the partner, and the browser's own
origin checks (CORS, frame-ancestors) do the enforcing.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from verifier.registry.load import RegistryError, parse_yaml, read_file_bounded
from verifier.settings import parse_rate

DEFAULT_PARTNER_RATE = "600/minute"
MAX_PARTNERS_BYTES = 1024 * 1024  # a few hundred partners take a few kilobytes
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$"
_KEY_RE = re.compile(KEY_PATTERN)
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(rf"^(\[[0-9a-f:.]+\]|{_LABEL}(\.{_LABEL})*)$")
_DEFAULT_PORTS = {"https": 443, "http": 80}


class PartnersError(Exception):
    """The partners file cannot be used; the message names the file, line and field."""


def normalise_origin(value: str) -> str:
    """'HTTPS://Example.org:443' -> 'https://example.org'. Raises ValueError for anything that is
    not a bare origin (a path, query, user info or wildcard would silently widen access)."""
    raw = value.strip()
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"{value!r}: an origin starts with https:// (like https://example.org)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{value!r}: give only scheme://host[:port], no path, query or user")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r}: the port is not a number from 0 to 65535") from exc
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if not host or not _HOST_RE.match(host):
        raise ValueError(f"{value!r}: the host is not a valid name (wildcards are not allowed)")
    if scheme == "http" and host not in _LOOPBACK_HOSTS:
        raise ValueError(f"{value!r}: use https (plain http is allowed only for loopback testing)")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def origin_of(value: str | None) -> str | None:
    """A request's Origin header, normalised the same way; None when absent, 'null' or odd.

    Any scheme://host[:port] is normalised (also http on any host): it is only compared with
    the allowed origins, never trusted by itself."""
    if not value or value == "null" or len(value) > 300:
        return None
    try:  # "http://[", "http://a]": urlsplit and .port raise on brackets and ports that do not parse
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.path not in ("", "/"):
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


class Partner(BaseModel):
    """One site allowed to embed the widget and call the API from the browser."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, StringConstraints(pattern=KEY_PATTERN)] = Field(
        description="Public key in the partner's script tag: 3-64 letters, digits, - or _."
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Who the partner is (for operators and logs)."
    )
    origins: tuple[str, ...] = Field(
        min_length=1, description="Origins allowed to embed and call: https://host[:port]."
    )
    rate_limit: str = Field(
        DEFAULT_PARTNER_RATE, description="Verify calls per key over all its visitors."
    )

    @field_validator("origins", mode="before")
    @classmethod
    def _origins(cls, v: Any) -> Any:
        if isinstance(v, str):
            # pydantic reports ValueError as a validation error (a TypeError would escape)
            raise ValueError("give a list of origins, like [https://example.org]")  # noqa: TRY004
        if isinstance(v, Sequence):
            return tuple(dict.fromkeys(normalise_origin(str(o)) for o in v))
        return v

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, v: str) -> str:
        parse_rate(v)
        return v

    @property
    def rate(self) -> tuple[int, int]:
        return parse_rate(self.rate_limit)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins


@dataclass(frozen=True)
class Partners:
    """All partners by key. Empty (no file) means: the widget only on its own origin."""

    by_key: Mapping[str, Partner]

    def get(self, key: str | None) -> Partner | None:
        if not key or not _KEY_RE.match(key):
            return None
        return self.by_key.get(key)

    def __iter__(self) -> Iterator[Partner]:
        return iter(self.by_key.values())

    def __len__(self) -> int:
        return len(self.by_key)

    @property
    def all_origins(self) -> frozenset[str]:
        return frozenset(o for p in self for o in p.origins)


NO_PARTNERS = Partners(by_key={})


def _item_lines(text: str) -> list[int]:
    """1-based line of each top-level list item, for error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def parse_partners(text: str, source: str = "<partners>") -> Partners:
    """Parse and validate a partners file's text. Every problem is reported, not just the first."""
    try:
        data = parse_yaml(text, source)
    except RegistryError as exc:
        raise PartnersError(str(exc)) from None
    if data is None:
        return NO_PARTNERS
    if not isinstance(data, list):
        raise PartnersError(f"{source}:1:1: the file must be a list of partners "
                            "(- key: ..., name: ..., origins: [...])")
    lines = _item_lines(text)
    problems: list[str] = []
    by_key: dict[str, Partner] = {}
    for index, item in enumerate(data):
        line = lines[index] if index < len(lines) else 1
        try:
            partner = Partner.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "(item)"
                problems.append(f"{source}:{line}: partner {index + 1}, {field}: {err['msg']}")
            continue
        if partner.key in by_key:
            problems.append(f"{source}:{line}: partner {index + 1}, key: {partner.key!r} is "
                            "already used by another partner; keys must be unique")
            continue
        by_key[partner.key] = partner
    if problems:
        raise PartnersError("\n".join(problems))
    return Partners(by_key=by_key)


def load_partners(path: Path | None) -> Partners:
    """The partners file at `path`, or no partners when unset. Raises PartnersError with a hint."""
    if path is None:
        return NO_PARTNERS
    hint = "fix VERIFIER_PARTNERS or unset it to serve the widget on this origin only"
    try:  # bounded, and never a FIFO (start-up would wait for a writer) or a device
        raw = read_file_bounded(path, MAX_PARTNERS_BYTES)
        if len(raw) > MAX_PARTNERS_BYTES:
            raise OSError(errno.EFBIG, f"larger than {MAX_PARTNERS_BYTES // 1024} KiB")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise PartnersError(f"{path}: cannot read the partners file ({exc.strerror}); {hint}") from None
    except UnicodeDecodeError as exc:
        raise PartnersError(f"{path}: the partners file is not UTF-8 (byte {exc.start}); {hint}") from None
    return parse_partners(text, str(path))
