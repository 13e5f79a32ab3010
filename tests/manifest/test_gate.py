"""reconciler.manifest.gate: what it vouches for, jsonschema accepts; it vouches for
every plain valid manifest, so that a valid manifest never needs jsonschema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.manifest.checker import SchemaChecker
from reconciler.manifest.gate import conforms
from reconciler.manifest.load import JUDGED_HERE
from reconciler.manifest.schema import schema
from tests.support.fixtures import FIXTURES
from tests.support.project import REPO

MANIFEST = schema("manifest")
EXAMPLE = REPO / "examples" / "numbers.yaml"
#: As the manifest module checks it: the values it judges itself only type-checked.
CHECKED = SchemaChecker(MANIFEST, "numbers", JUDGED_HERE).schema

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=20_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["IN", "IND", "+918030240001", "8030", "12.5", " 42 ", "my.exotel.com"]),
    st.sampled_from(["", " ", "a b", "Mobile", "mumbai", "http://x/y", "x" * 300]),
    st.sampled_from([0, -1, 1, 3650, 3651, 10_000, 10_001, 100, 100.5, -0.5, 1.0]),
)
_ANY = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _resolved(node: Any) -> dict[str, Any]:
    if not isinstance(node, dict):
        return {}  # true or false: no limits to go by
    ref = node.get("$ref")
    return MANIFEST["$defs"][ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else node


def _valid(node: Any) -> st.SearchStrategy[Any]:
    """Values that conform to the shipped schema ``node``."""
    node = _resolved(node)
    if "const" in node or "enum" in node:
        return st.sampled_from([node["const"]] if "const" in node else node["enum"])
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    return st.one_of(*(_of_type(name, node) for name in types))


def _of_type(name: str, node: dict[str, Any]) -> st.SearchStrategy[Any]:
    low, high = node.get("minimum", -5), node.get("maximum", 20_000)
    if name == "object":
        return _mapping(node)
    if name == "array":
        return st.lists(_valid(node["items"]), max_size=3)
    if name == "string":
        examples = [str(e) for e in node.get("examples", [])]
        free = st.text(max_size=5) if not {"pattern", "minLength"} & set(node) else st.nothing()
        return st.one_of(st.sampled_from(examples or ["x"]), free)
    if name == "boolean":
        return st.booleans()
    if name == "integer":
        return st.integers(min_value=low, max_value=high)
    return st.one_of(st.integers(low, high), st.floats(low, high))


def _mapping(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = node.get("properties", {})
    if not properties:
        return st.dictionaries(
            st.text(max_size=5), _valid(node["additionalProperties"]), max_size=2
        )
    values = {key: _valid(sub) for key, sub in properties.items()}
    needed = node.get("required", [])
    return st.fixed_dictionaries(
        {key: values[key] for key in needed},
        optional={key: v for key, v in values.items() if key not in needed},
    )


def _places(value: Any, node: Any) -> list[tuple[Any, Any, Any]]:
    """Every (container, key or index, its schema) inside ``value``, checked by ``node``."""
    node = _resolved(node)
    if isinstance(value, list):
        inner = [(i, child, node.get("items", {})) for i, child in enumerate(value)]
    else:
        sub = node.get("properties", {})
        extra = node.get("additionalProperties", {})
        inner = [(k, child, sub.get(k, extra)) for k, child in value.items()]
    found: list[tuple[Any, Any, Any]] = []
    for key, child, child_node in inner:
        found.append((value, key, child_node))
        if isinstance(child, (dict, list)):
            found += _places(child, child_node)
    return found


LIMITS = {"minimum", "maximum", "pattern", "minLength", "enum", "const"}


def _edges(node: Any) -> list[Any]:
    """Values at or just past the limits ``node`` sets, else values of the wrong type."""
    node = _resolved(node)
    found: list[Any] = []
    if "minimum" in node:
        found += [node["minimum"], node["minimum"] - 1, node["minimum"] - 0.5]
    if "maximum" in node:
        found += [node["maximum"], node["maximum"] + 1, node["maximum"] + 0.5]
    if "pattern" in node or "minLength" in node:
        found += ["", "IND", " 12 ", "1.2.3", "a:b", "9" * 30, "+91 80-3024", "in"]
    if "enum" in node or "const" in node:
        found += ["Singapore", "mobile", 2, 1.0, True]
    return found or [True, None, 1.0, {}, [], [1], {"x": 1}, "x y", 2**70]


def _mutated(document: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``document`` with one value replaced, one key dropped or one key added; half the
    time at a value the schema limits (a range, a pattern, a list of choices)."""
    places = _places(document, MANIFEST) or [(document, "version", MANIFEST)]
    limited = [p for p in places if LIMITS & set(_resolved(p[2]))]
    chosen = data.draw(st.sampled_from([places, limited] if limited else [places]))
    container, key, node = data.draw(st.sampled_from(chosen))
    how = data.draw(st.sampled_from(["edge", "edge", "edge", "any", "drop", "add"]))
    if how == "edge":
        container[key] = data.draw(st.sampled_from(_edges(node)))
    elif how == "any" or not isinstance(container, dict):
        container[key] = data.draw(_ANY)
    elif how == "drop":
        container.pop(key, None)
    else:
        container[data.draw(st.sampled_from(["extra", "numbr", "count"]))] = data.draw(_ANY)
    return document


def _documents(data: st.DataObject) -> dict[str, Any]:
    document: dict[str, Any] = data.draw(_valid(MANIFEST))
    for _ in range(data.draw(st.integers(min_value=0, max_value=2))):
        document = _mutated(document, data)
    return document


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


@pytest.mark.slow
@pytest.mark.parametrize("root", [MANIFEST, CHECKED], ids=["shipped", "as-checked"])
@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data())
def test_what_the_gate_vouches_for_jsonschema_accepts(
    root: dict[str, Any], data: st.DataObject
) -> None:
    _agree(_documents(data), root)


def _agree(document: Any, root: dict[str, Any]) -> None:
    valid = not list(Draft202012Validator(root).iter_errors(document))
    vouched = conforms(document, root)
    if vouched:
        assert valid
    if not _has_float(document):  # floats it may leave to jsonschema (1.0 is an integer)
        assert vouched == valid


@pytest.mark.parametrize("root", [MANIFEST, CHECKED], ids=["shipped", "as-checked"])
@pytest.mark.parametrize("path", [EXAMPLE, FIXTURES / "good-full.yaml"], ids=lambda p: p.name)
def test_each_value_at_each_limit_gets_the_same_verdict(root: dict[str, Any], path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for container, key, node in _places(document, MANIFEST):
        kept = container[key]
        for value in _edges(node) + [True, None, "x y", [1]]:
            container[key] = value
            _agree(document, root)
        container[key] = kept


@pytest.mark.slow
def test_the_generated_documents_are_often_valid() -> None:
    # The agreement above means little unless both verdicts come up: count them.
    seen = {True: 0, False: 0}

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(st.data())
    def count(data: st.DataObject) -> None:
        document = _documents(data)
        seen[not list(Draft202012Validator(MANIFEST).iter_errors(document))] += 1

    count()
    assert seen[True] >= 30 and seen[False] >= 30, seen


@pytest.mark.parametrize(
    ("instance", "node"),
    [
        (1.0, {"type": "integer"}),  # an integer to jsonschema; the gate leaves it
        (1.0, {"const": 1}),
        (True, {"const": 1}),
        ({"a": 1}, {"patternProperties": {"a": {}}, "additionalProperties": False}),
        ("x", {"$ref": "#/$defs/a~1b", "$defs": {"a/b": {}}}),
        ("x", {"$ref": "https://example.com/s.json"}),
        ("x", {"format": "email"}),
        ("x", {"maxLength": 5}),
        ("x", False),
    ],
)
def test_what_the_gate_does_not_know_it_leaves_to_jsonschema(instance: Any, node: Any) -> None:
    assert conforms(instance, node) is False


@pytest.mark.parametrize(
    "path",
    [EXAMPLE, *sorted(FIXTURES.glob("good-*.yaml"))],
    ids=lambda p: p.name,
)
def test_the_gate_vouches_for_the_valid_manifests(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert conforms(document, CHECKED)


def test_loading_a_valid_manifest_does_not_import_jsonschema() -> None:
    code = (
        "import sys\n"
        "from reconciler.manifest.load import load_manifest\n"
        "load_manifest(sys.argv[1])\n"
        "print('jsonschema' in sys.modules)\n"
    )
    example = str(EXAMPLE)
    run = subprocess.run(
        [sys.executable, "-c", code, example], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert run.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("instance", "verdict"),
    [
        ({"min_idle_days": 30}, True),
        ({"quarantine_flow": "r", "quarantine_days": 3}, True),
        ({"quarantine_days": 3}, False),
        ({"quarantine_flow": "r", "min_idle_days": 0}, False),
    ],
)
def test_dependent_keys_get_jsonschemas_verdict(instance: dict[str, Any], verdict: bool) -> None:
    node = {
        "dependentRequired": {
            "quarantine_flow": ["quarantine_days"],
            "quarantine_days": ["quarantine_flow"],
        }
    }
    assert conforms(instance, node) is verdict
    valid = not list(Draft202012Validator(node).iter_errors(instance))
    assert valid is verdict
