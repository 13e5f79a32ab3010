"""schemas/*.json: documented, valid, and in agreement with what exoplan reads and writes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from reconciler.manifest.checker import SHAPE_KEYWORDS, SchemaChecker
from reconciler.manifest.load import JUDGED_HERE, load_manifest
from reconciler.manifest.schema import schema, schema_path
from reconciler.plan.planner import make_plan
from reconciler.render.json import render_json
from reconciler.state.file import load_state, new_state, save_state
from tests.support.project import REPO, state_entry

NAMES = ("manifest", "state", "plan")
EXAMPLE = REPO / "examples" / "numbers.yaml"


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_2020_12_schema(name: str) -> None:
    Draft202012Validator.check_schema(schema(name))
    assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", NAMES)
def test_schemas_are_found_in_the_checkout(name: str) -> None:
    assert schema_path(name) == REPO / "schemas" / f"{name}.schema.json"


def properties(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every property schema (and $defs entry) under ``node``, with a path for messages."""
    if isinstance(node, dict):
        for key in ("properties", "$defs"):
            for name, child in node.get(key, {}).items():
                yield f"{where}/{key}/{name}", child
        for key, child in node.items():
            yield from properties(child, f"{where}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from properties(child, f"{where}/{index}")


def test_the_walk_reaches_nested_properties() -> None:
    found = dict(properties(schema("manifest")))
    assert "/$defs/number/properties/protect" in found
    assert "/properties/account/properties/default_country" in found


@pytest.mark.parametrize("name", NAMES)
def test_every_property_has_a_description(name: str) -> None:
    missing = [
        where
        for where, child in properties(schema(name))
        if not (isinstance(child, dict) and str(child.get("description", "")).strip())
    ]
    assert missing == []
    assert schema(name)["description"]


def keywords(node: Any) -> Iterator[str]:
    """Every keyword used by a schema and its subschemas (property names excluded)."""
    if not isinstance(node, dict):
        return
    for key, child in node.items():
        yield key
        if key == "properties":
            for sub in child.values():
                yield from keywords(sub)
        elif isinstance(child, dict):
            yield from keywords(child)


def test_the_numbers_entry_schema_is_checked_with_only_shape_keywords() -> None:
    # schemacheck caches verdicts per entry shape; that is exact only while the entry
    # schema it checks constrains nothing but keys and value types. The value rules an
    # editor gets (the number's pattern) are judged by the manifest module instead.
    manifest = schema("manifest")
    assert manifest["properties"]["numbers"]["items"] == {"$ref": "#/$defs/number"}
    checked = SchemaChecker(manifest, "numbers", JUDGED_HERE).item_validator.schema
    entry = {key: value for key, value in checked.items() if key != "$defs"}
    assert set(keywords(entry)) <= SHAPE_KEYWORDS, set(keywords(entry)) - SHAPE_KEYWORDS
    shipped = set(keywords(manifest["$defs"]["number"]))
    # The number's pattern and the fields ignore_changes may name are for editors.
    assert shipped - SHAPE_KEYWORDS == {"pattern", "items", "enum"}


def test_the_example_starts_with_the_editor_schema_line() -> None:
    first = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    target = (EXAMPLE.parent / first[len(prefix) :].strip()).resolve()
    assert target == REPO / "schemas" / "manifest.schema.json"


def test_the_example_validates_against_the_manifest_schema() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert [e.message for e in validator("manifest").iter_errors(data)] == []
    assert len(load_manifest(str(EXAMPLE)).numbers) == len(data["numbers"])


def test_the_manifest_schema_rejects_what_validate_rejects() -> None:
    bad = {"version": 1, "account": {"sid": "a"}, "numbers": [{"number": 1, "x": True}]}
    messages = sorted(e.message for e in validator("manifest").iter_errors(bad))
    assert len(messages) == 2
    assert "1 is not of type 'string'" in messages


def test_state_files_written_by_save_state_validate(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    state = new_state(str(path), "acme1")
    state.numbers = {
        "+918030240001": state_entry("+918030240001", protect=True, friendly_name="Support"),
        "+918030240002": {"phone_number": "+918030240002"},
    }
    save_state(state)
    save_state(load_state(str(path)))
    for written in (path, tmp_path / "numbers.state.json.backup"):
        data = json.loads(written.read_text(encoding="utf-8"))
        assert [e.message for e in validator("state").iter_errors(data)] == []


def test_an_empty_state_saved_validates(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    save_state(load_state(str(path)))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator("state").iter_errors(data)] == []


def test_json_plan_output_validates(tmp_path: Path) -> None:
    state_path = tmp_path / "numbers.state.json"
    state = new_state(str(state_path), "acme1")
    state.numbers = {
        "+918030240002": state_entry("+918030240002", friendly_name="Old"),
        "+918030240009": state_entry("+918030240009"),
    }
    save_state(state)
    plan = make_plan(load_manifest(str(EXAMPLE)), load_state(str(state_path)))
    assert {a.kind.value for a in plan.actions} == {"purchase", "update", "quarantine"}
    out = io.StringIO()
    render_json(plan, out)
    assert [e.message for e in validator("plan").iter_errors(json.loads(out.getvalue()))] == []
