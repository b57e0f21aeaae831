"""Fixtures of the web tests: the real app factory on loopback (import them into each module)."""

from __future__ import annotations

import pytest

from verifier.registry.holder import RegistryHolder, load_registry
from verifier.settings import Settings, bundled_registry_path
from verifier.web.app import create_app


def make_settings(**over) -> Settings:
    base = {"network_checks": "off", "rate_limit": "100000/second", "log_format": "text"}
    return Settings(**(base | over))


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def bundled_holder() -> RegistryHolder:
    """The bundled registry, compiled once per session (compiling takes ~0.5 s); the apps
    built with it are the real factory's, only the start-up load is skipped."""
    holder = RegistryHolder(bundled_registry_path())
    holder.current = load_registry(holder.path)
    holder.loaded_at = holder.current.loaded_at
    return holder


@pytest.fixture
async def client(aiohttp_client, settings, bundled_holder):
    return await aiohttp_client(create_app(settings, registry_holder=bundled_holder))
