"""Service settings, from VERIFIER_* environment variables (and CLI flags that override them).

Built in __main__/cli, never at import time, so tests construct their own.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_registry_path() -> Path:
    """The registry shipped with the package (wheel) or the checkout's registry/ (source tree)."""
    installed = _PACKAGE_DIR / "_registry" / "registry.yaml"
    if installed.is_file():
        return installed
    return _PACKAGE_DIR.parent / "registry" / "registry.yaml"


_RATE_RE = re.compile(r"^\s*(\d{1,9})\s*/\s*(second|minute|hour)\s*$")
_PER_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
_ZONE_LABEL_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
# Query parameters of a Redis URL that redis-py lets override the arguments it is given: the
# service's short timeouts, no retries and no health checks are what keep a slow Redis from
# holding requests (VERIFIER_REDIS_TIMEOUT_MS), so a URL may not set them.
REDIS_OWNED_PARAMS = frozenset({"socket_timeout", "socket_connect_timeout", "timeout",
                                "retry_on_timeout", "retry_on_error", "health_check_interval"})


def redis_owned_params(url: str) -> list[str]:
    """The query parameters of `url` that would override the service's Redis timeouts."""
    names = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    return sorted(names & REDIS_OWNED_PARAMS)


# Float settings in seconds: (least, most). A tiny reload interval (1e-300) made the watcher stat
# the file in a busy loop; NaN passed `gt=0` and failed `le` with a message about 600.
SECONDS_RANGE = {"read_timeout_s": (0.05, 600.0), "reload_interval_s": (0.05, 3600.0)}


def redis_db_problem(url: str) -> str | None:
    """What is wrong with where `url` says the database is, or None. redis-py read a path that
    is not a number (redis://host/1a) as no path, so the service shared database 0 with whatever
    else used it; it read /٣ as 3, /1/2 as 12, took ?db=-1, and a unix:// URL without a socket
    path. Each started, and the last two then failed every command: Redis down for good."""
    parts = urlsplit(url)
    if parts.scheme == "unix" and not parts.path.strip("/"):
        return "name the socket file, like unix:///run/redis/redis.sock"
    db = dict(parse_qsl(parts.query, keep_blank_values=True)).get("db")
    written = [("?db=", db)] if db is not None else []
    if parts.scheme != "unix" and parts.path not in ("", "/"):
        written.append(("/", parts.path[1:]))
    if len({value for _, value in written}) > 1:
        return "the database is named twice (a path and ?db=) with different numbers; give one"
    for where, value in written:
        if not (value.isascii() and value.isdigit()):
            return (f"the database ({where}{value[:20]}) must be a number like 0; "
                    "write redis://host:6379/0")
    return None


def seconds_in_range(value: object, low: float, high: float) -> float:
    """A finite number of seconds from `low` to `high`, or a ValueError that says so."""
    want = f"write a number of seconds from {low:g} to {high:g}"
    if isinstance(value, bool):
        raise ValueError(want)
    try:
        seconds = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(want) from None
    if not math.isfinite(seconds):
        raise ValueError(f"{want}; {seconds} is not a number of seconds")
    if not low <= seconds <= high:
        raise ValueError(f"{want}, not {seconds:g}")
    return seconds


def parse_rate(value: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60): requests allowed per window of seconds."""
    m = _RATE_RE.match(value)
    if not m:
        raise ValueError("write it like 60/minute (also /second, /hour)")
    count = int(m.group(1))
    if count < 1:
        raise ValueError("the count must be at least 1")
    return count, _PER_SECONDS[m.group(2)]


def unknown_env_settings(environ: Mapping[str, str]) -> list[str]:
    """VERIFIER_* variables that name no setting, each with the likeliest meant one. `extra=
    "forbid"` covers arguments only: pydantic-settings skips unknown variables, so a typo
    (VERIFIER_RATE_LIMT=10/minute) left the default in force without a word."""
    known = {f"VERIFIER_{name.upper()}" for name in Settings.model_fields}
    out = []
    for name in sorted(environ):
        upper = name.upper()  # the names are read case-insensitively
        if upper.startswith("VERIFIER_") and upper not in known:
            close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
            out.append(f"{name}" + (f" (did you mean {close[0]}?)" if close else ""))
    return out


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VERIFIER_", extra="forbid", frozen=True)

    registry: Path = Field(
        default_factory=bundled_registry_path,
        description="Path to registry.yaml; default: the bundled registry.",
    )
    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8080, ge=0, le=65535, description="TCP port to listen on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes sharing the port.")
    network_checks: Literal["on", "off"] = Field(
        "off",
        description="DNS, DNSBL and link-expansion probes. Off by default: the service is offline "
        "unless an operator turns this on and names the resolvers it may use.",
    )
    dns_nameservers: str = Field(
        "", description="Comma-separated host:port list; empty means the system's resolvers."
    )
    dns_timeout_ms: int = Field(
        400, ge=10, le=10_000, description="Deadline for all DNS lookups of one request."
    )
    dnsbl_zones: str = Field("", description="Comma-separated DNSBL zones to query for link domains.")
    expand_shorteners: Literal["on", "off"] = Field(
        "off", description="Follow known URL shorteners' redirects (never to private addresses)."
    )
    redis_url: str | None = Field(
        None,
        description="Redis for rate limits shared by every process and replica "
        "(redis://[:password@]host:6379/0, rediss://, unix://); unset: in-process state.",
    )
    redis_timeout_ms: int = Field(
        250, ge=10, le=10_000,
        description="Connect and command timeout for Redis; past it the per-process limiter answers.",
    )
    partners: Path | None = Field(None, description="Widget partners file (YAML); empty: unset.")
    rate_limit: str = Field(
        "60/minute", description="Per-client limit, like 60/minute; each notice of a batch counts."
    )
    max_body_bytes: int = Field(
        65_536, ge=1024, le=16 * 1024 * 1024, description="Largest request body accepted."
    )
    max_concurrency: int = Field(
        256, ge=1, le=100_000, description="Requests analysed at once; past it, fast 503."
    )
    read_timeout_s: float = Field(
        15.0,
        description="Seconds a client has to send a request's headers (from connecting, or from "
                    "the previous response on a kept-alive connection; also the idle keep-alive "
                    "limit) and, separately, its body (else a 408). Slow clients cannot hold "
                    "connections or slots.",
    )
    log_format: Literal["text", "json"] = Field("text", description="Log line format.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses/networks whose X-Forwarded-For is believed."
    )
    reload_interval_s: float = Field(
        2.0, description="Seconds between checks of the registry file for changes (0.05 to 3600)."
    )

    @field_validator("read_timeout_s", "reload_interval_s", mode="before")
    @classmethod
    def _check_seconds(cls, v: object, info: ValidationInfo) -> float:
        low, high = SECONDS_RANGE[info.field_name or ""]
        return seconds_in_range(v, low, high)

    @field_validator("registry", "partners", mode="before")
    @classmethod
    def _check_paths(cls, v: object, info: ValidationInfo) -> object:
        # Path("") is ".", the working directory: "is a directory" said nothing of the cause
        if isinstance(v, str) and not v.strip():
            if info.field_name == "partners":
                return None  # VERIFIER_PARTNERS="" means unset, as VERIFIER_REDIS_URL=""
            raise ValueError("is empty; unset it for the bundled registry, or give a path")
        return v

    @field_validator("rate_limit")
    @classmethod
    def _check_rate(cls, v: str) -> str:
        parse_rate(v)
        return v

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, v: str | None) -> str | None:
        url = (v or "").strip()
        if not url:
            return None  # VERIFIER_REDIS_URL="" means unset, as in compose files
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("write it like redis://host:6379/0 (also rediss://, unix://)")
        if problem := redis_db_problem(url):
            raise ValueError(problem)
        owned = redis_owned_params(url)
        if owned:
            raise ValueError(f"remove {', '.join(owned)} from its query: the service sets its "
                             "own Redis timeouts (VERIFIER_REDIS_TIMEOUT_MS) and never retries")
        return url

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, v: str) -> str:
        for part in filter(None, (p.strip() for p in v.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"{part!r} is not an IP address or network") from exc
        return v

    @field_validator("dns_nameservers")
    @classmethod
    def _check_nameservers(cls, v: str) -> str:
        for host, _port in nameserver_list(v):
            ipaddress.ip_address(host)
        return v

    @field_validator("dnsbl_zones")
    @classmethod
    def _check_zones(cls, v: str) -> str:
        for zone in filter(None, (z.strip().strip(".") for z in v.split(","))):
            if len(zone) > 200 or not all(_ZONE_LABEL_RE.fullmatch(label) for label in zone.split(".")):
                raise ValueError(f"{zone!r} is not a DNS zone name like dbl.example.org")
        return v

    @property
    def rate(self) -> tuple[int, int]:
        return parse_rate(self.rate_limit)

    @property
    def nameservers(self) -> list[tuple[str, int]]:
        return nameserver_list(self.dns_nameservers)

    @functools.cached_property
    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        # read on every verify request; settings are frozen, so parse once
        return tuple(
            ipaddress.ip_network(p.strip(), strict=False)
            for p in self.trusted_proxies.split(",")
            if p.strip()
        )

    @property
    def dnsbl_zone_list(self) -> list[str]:
        return [z.strip().strip(".").lower() for z in self.dnsbl_zones.split(",") if z.strip()]


def nameserver_list(value: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        if part.startswith("["):  # [2001:db8::1]:53, or [2001:db8::1] for port 53
            host, bracket, port = part[1:].partition("]")
            if not bracket or port[:1] not in ("", ":"):
                raise ValueError(f"{part!r}: write an IPv6 nameserver like [2001:db8::1]:53")
            port = port[1:]
        elif part.count(":") == 1:
            host, _, port = part.partition(":")
        else:
            host, port = part, "53"
        if not (port or "53").isdigit() or not 0 < int(port or 53) < 65536:
            raise ValueError(f"{part!r}: the port must be a number from 1 to 65535")
        out.append((host, int(port or 53)))
    return out
