"""Shared fixtures: the bundled registry, and a copy with extra list entries for list-driven codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from verifier.registry.compiled import Registry, load_registry
from verifier.settings import bundled_registry_path

# Made-up entries, only in the test copy: the shipped lists hold sourced entries only.
TEST_SCAM_DOMAIN = "wlzc-case.top"
TEST_SCAM_NUMBER = "16500001111"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(bundled_registry_path())


@pytest.fixture(scope="session")
def registry_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the bundled registry directory."""
    dst = tmp_path_factory.mktemp("registry")
    shutil.copytree(bundled_registry_path().parent, dst, dirs_exist_ok=True)
    return dst


@pytest.fixture(scope="session")
def test_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    dst = tmp_path_factory.mktemp("test-registry")
    shutil.copytree(bundled_registry_path().parent, dst, dirs_exist_ok=True)
    with open(dst / "lists" / "scam_domains.txt", "a", encoding="utf-8") as f:
        f.write(f"{TEST_SCAM_DOMAIN}\n")
    with open(dst / "lists" / "scam_numbers.txt", "a", encoding="utf-8") as f:
        f.write(f"{TEST_SCAM_NUMBER}\n")
    return load_registry(dst / "registry.yaml")
