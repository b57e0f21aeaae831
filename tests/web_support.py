"""Fixtures of the web tests: the real app factory on loopback (import them into each module)."""

from __future__ import annotations

import pytest

import verifier.service
import verifier.web.app
from verifier.settings import Settings
from verifier.web.app import create_app

from tests import _web_fake


@pytest.fixture(autouse=True)
def _engine_stand_in(monkeypatch):  # TEMPORARY until main has the engine
    monkeypatch.setattr(verifier.service, "verify", _web_fake.fake_verify, raising=False)
    monkeypatch.setattr(verifier.web.app, "_default_holder", lambda s: _web_fake.FakeHolder())


def make_settings(**over) -> Settings:
    base = {"network_checks": "off", "rate_limit": "100000/second", "log_format": "text"}
    return Settings(**(base | over))


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings))
