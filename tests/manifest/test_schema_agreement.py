"""schemas/manifest.schema.json for editors: what it catches agrees with `exoplan validate`.

An editor applies the shipped schema as it is (patterns included); exoplan applies
its own checks. Wherever the schema can decide, the two verdicts must be the same:
what the schema rejects, exoplan rejects, and what exoplan accepts, the schema accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from reconciler.errors import ManifestError
from reconciler.manifest.load import load_manifest
from reconciler.manifest.schema import schema
from tests.support.fixtures import FIXTURES
from tests.support.project import write_manifest

MANIFEST = schema("manifest")
#: Fixtures that are not YAML an editor's schema check ever sees.
UNPARSEABLE = {"bad-yaml-syntax.yaml", "bad-not-utf8.yaml"}
#: Fixtures whose only problems need more than a schema: meaning across entries,
#: the country list, YAML's own duplicate keys.
BEYOND_THE_SCHEMA = {
    "bad-duplicate-key.yaml",
    "bad-duplicate-number.yaml",
    "bad-unknown-flow.yaml",
    "bad-unknown-flow-merged.yaml",
    "bad-default-country.yaml",
}
#: Keys without a default: required ones, and attributes that, left out, are not managed.
NO_DEFAULT = {
    "state",
    "url",
    "releases",
    "quarantine_flow",
    "quarantine_days",
    "account",
    "sid",
    "app_id",
    "description",
    "number",
    "friendly_name",
    "voice_flow",
    "sms_flow",
    "count",
    "country",
    "type",
    "contains",
    "max_rental",
}
#: Keys named like a defaulted key elsewhere, but without a default where they are.
NO_DEFAULT_AT = {"/$defs/pool/region"}


def schema_accepts(data: Any) -> bool:
    return not list(Draft202012Validator(MANIFEST).iter_errors(data))


def exoplan_accepts(path: Path) -> bool:
    try:
        load_manifest(str(path))
    except ManifestError:
        return False
    return True


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.yaml"))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_each_fixture_gets_the_same_verdict_where_the_schema_can_decide(name: str) -> None:
    path = FIXTURES / name
    accepted = exoplan_accepts(path)
    assert accepted == name.startswith("good-")
    if name in UNPARSEABLE:
        with pytest.raises((yaml.YAMLError, UnicodeDecodeError)):
            yaml.safe_load(path.read_bytes().decode("utf-8"))
        return
    by_schema = schema_accepts(yaml.safe_load(path.read_text(encoding="utf-8")))
    if name in BEYOND_THE_SCHEMA:
        assert by_schema and not accepted, "the schema cannot see this problem"
    else:
        assert by_schema == accepted


def test_the_fixture_classes_name_real_fixtures() -> None:
    assert (UNPARSEABLE | BEYOND_THE_SCHEMA) <= set(FIXTURE_NAMES)


def manifest_with(tmp_path: Path, number: str = '"+918030240001"', app_id: str = "1") -> Path:
    body = (
        "version: 1\naccount:\n  sid: acme1\nflows:\n  ivr:\n"
        f"    app_id: {app_id}\nnumbers:\n  - number: {number}\n    voice_flow: ivr\n"
    )
    return write_manifest(tmp_path, body)


@pytest.mark.parametrize(
    "app_id",
    ["123456", '"123456"', '" 42 "', '"0"', "0", "-5", '"abc"', '"12a"', '"١٢٣"', '""', "1.5"]
    + ["true", "[1]", "null"],
)
def test_app_ids_get_the_same_verdict(tmp_path: Path, app_id: str) -> None:
    path = manifest_with(tmp_path, app_id=app_id)
    by_schema = schema_accepts(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert by_schema == exoplan_accepts(path)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ('"+918030240001"', True),
        ('"918030240001"', True),
        ('"08030240001"', True),
        ('"+91 80 3024 0001"', True),
        ('"(080) 3024-0001"', True),
        ('"+91.80.3024.0001"', True),
        ('"12345"', False),
        ('"+918030240001 ext. 5"', False),
        ('"tel:+918030240001"', False),
        ('"1-800-FLOWERS"', False),
        ('"０８０３０２４０００１"', False),  # full-width digits
        ('" +918030240001"', False),
        ('"+91+8030240001"', False),
        ('""', False),
        ("918030240001", False),  # not quoted: a YAML integer
    ],
)
def test_numbers_the_schema_rejects_exoplan_rejects(
    tmp_path: Path, number: str, valid: bool
) -> None:
    path = manifest_with(tmp_path, number=number)
    by_schema = schema_accepts(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert by_schema == valid == exoplan_accepts(path)


def test_a_well_formed_number_may_still_be_invalid(tmp_path: Path) -> None:
    # The schema checks the spelling; only exoplan knows which numbers exist.
    path = manifest_with(tmp_path, number='"+910000000000"')
    assert schema_accepts(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert not exoplan_accepts(path)


def keys(node: Any = MANIFEST, where: str = "") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, key name, schema) of every manifest key the schema describes."""
    if not isinstance(node, dict):
        return
    for name, child in node.get("properties", {}).items():
        yield f"{where}/{name}", name, child
        yield from keys(child, f"{where}/{name}")
    for name, child in node.get("$defs", {}).items():
        yield from keys(child, f"{where}/$defs/{name}")


def test_the_walk_finds_every_key() -> None:
    names = {name for _, name, _ in keys()}
    assert {"version", "sid", "region", "app_id", "number", "protect", "sms_flow"} <= names


def subschema(node: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**node, "$defs": MANIFEST["$defs"]})


@pytest.mark.parametrize(("where", "name", "node"), list(keys()), ids=lambda v: str(v))
def test_every_key_has_valid_examples_and_a_default_or_says_why_not(
    where: str, name: str, node: dict[str, Any]
) -> None:
    examples = node.get("examples")
    assert examples, f"{where} has no examples"
    for example in examples:
        assert subschema(node).is_valid(example), f"{where}: example {example!r} is invalid"
    if name in NO_DEFAULT or where in NO_DEFAULT_AT:
        assert "default" not in node
        assert "no default" in node["description"].lower(), where
    else:
        assert "default" in node, f"{where} has no default"
        assert subschema(node).is_valid(node["default"])


def test_the_defaults_are_what_exoplan_assumes(tmp_path: Path) -> None:
    manifest = load_manifest(str(FIXTURES / "good-minimal.yaml"))
    account = MANIFEST["properties"]["account"]["properties"]
    assert manifest.account.region == account["region"]["default"]
    assert manifest.account.default_country == account["default_country"]["default"]
    assert manifest.flows == MANIFEST["properties"]["flows"]["default"] == {}
    (spec,) = manifest.numbers.values()
    assert spec.protect is MANIFEST["$defs"]["number"]["properties"]["protect"]["default"]
    assert MANIFEST["properties"]["version"]["default"] == 1


@pytest.mark.parametrize("name", ["sid", "region", "default_country", "app_id", "number"])
def test_keys_where_a_link_helps_have_one_in_their_markdown_description(name: str) -> None:
    # A pool's region is a telecom circle, not the account's cluster: no link there.
    (node,) = [n for where, key, n in keys() if key == name and "/pool/" not in where]
    assert re.search(r"\]\(https://[^)\s]+\)", node["markdownDescription"])
    assert "](" not in node["description"], "the plain description stays plain text"


def test_every_markdown_description_has_a_plain_twin() -> None:
    for where, _, node in keys():
        if "markdownDescription" in node:
            assert node["description"], where
