"""Response models of the operational endpoints (registry status, health, readiness).

The notice models live in verifier.models; these only describe what the web app adds, so that
/openapi.json covers every response the service gives.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class RegistryStatus(BaseModel):
    """GET /v1/registry: which registry answers, since when, and what the last reload said."""

    version: str = Field(description="Content hash of the registry being served.")
    loaded_at: str | None = Field(description="When it was loaded (ISO 8601, UTC).")
    counts: dict[str, Any] = Field(
        description="How many institutions (by kind), sourced domains, phones, senders, patterns."
    )
    last_reload_error: str | None = Field(
        description="Why the last reload failed (file:line: message), or null if it succeeded."
    )


class Health(BaseModel):
    status: Literal["ok"]


class RegistryState(BaseModel):
    loaded: bool
    version: str | None = None
    last_reload_error: str | None = None


class RedisState(BaseModel):
    """Shared state. Redis down is degraded, not unready: limits are then counted per process.
    Without VERIFIER_REDIS_URL only `configured: false` is given."""

    configured: bool
    up: bool | None = Field(default=None, description="Redis answers now.")
    rate_limit_backend: Literal["redis", "memory"] | None = Field(
        default=None, description="Where rate limits are counted now: redis (shared) or memory (fallback)."
    )
    since: str | None = Field(default=None, description="When Redis last went up or down (ISO 8601, UTC).")
    last_error: str | None = Field(default=None, description="Why Redis is down, if it is.")


class Ready(BaseModel):
    """GET /readyz when ready. While not ready the same checks come in a 503 problem."""

    status: Literal["ready"]
    registry: RegistryState
    redis: RedisState
