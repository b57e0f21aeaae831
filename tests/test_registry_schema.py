"""The committed registry/registry.schema.json is current, and the shipped registry satisfies it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from verifier.registry.schema import json_schema_text

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "registry"


def test_exported_schema_is_up_to_date() -> None:
    committed = (REGISTRY_DIR / "registry.schema.json").read_text("utf-8")
    assert committed == json_schema_text(), (
        "registry/registry.schema.json is stale; regenerate it with "
        "`verifier registry schema > registry/registry.schema.json`"
    )


def test_registry_yaml_points_editors_at_the_schema() -> None:
    first = (REGISTRY_DIR / "registry.yaml").read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=registry.schema.json"


def test_shipped_registry_satisfies_the_exported_schema() -> None:
    schema = json.loads((REGISTRY_DIR / "registry.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load((REGISTRY_DIR / "registry.yaml").read_text("utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in jsonschema.Draft202012Validator(schema).iter_errors(data)]
    assert errors == []


def test_the_readmes_count_tables_match_the_shipped_registry(registry) -> None:
    # The README's table said 131 institutions and 78 codes for weeks after both had grown.
    counts = registry.counts()
    by_kind = ", ".join(f"{kind.replace('_', ' ')} {n}"
                        for kind, n in counts["institutions_by_kind"].items())
    sourced = (f"{counts['with_sourced_domain']} / {counts['with_sourced_phone']} / "
               f"{counts['with_sourced_sender']}")
    readme = (REGISTRY_DIR.parent / "README.md").read_text("utf-8")
    guide = (REGISTRY_DIR / "README.md").read_text("utf-8")
    for row in (f"| institutions | {counts['institutions']}: ",
                f"| with a sourced domain / phone / SMS sender | {sourced} |",
                f"| reason codes | {counts['codes']}, "):
        assert row in readme, f"README.md: update the registry table's row to {row!r}"
    for row in (f"| institutions | {counts['institutions']} |",
                f"| with a sourced domain / phone / SMS sender | {sourced} |",
                f"| fake body names | {counts['fake_bodies']} |"):
        assert row in guide, f"registry/README.md: update the Coverage table's row to {row!r}"
    kinds = {kind.replace("_", " "): n for kind, n in counts["institutions_by_kind"].items()}
    for text in (readme, guide):
        for kind, n in kinds.items():
            assert f"{kind} {n}" in text, f"the README tables: {kind} {n} ({by_kind})"
