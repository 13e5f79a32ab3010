"""The single-parse builder gives what ``yaml.load`` gives, and finds what it built.

Four oracles, each the slow way the fast one replaced: ``yaml.load`` with PyYAML's
safe C loader for the data and the errors, a loader that notes duplicate keys in
PyYAML's own constructor for the duplicates, and PyYAML's constructor run again on
the node the locator finds for every path in the data, and, for every error fixture,
the locator as it was: the text composed a second time and walked afresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Location, ManifestError
from reconciler.manifest import load
from reconciler.manifest.aliases import AliasBomb
from reconciler.manifest.load import load_manifest
from reconciler.manifest.yaml import Document, Locator, parse, syntax_problem
from tests.support.fixtures import BAD_MANIFESTS, FIXTURES
from tests.support.project import REPO

SCALARS = [
    "plain", "two words", "x", "xy", "Line 7", '"quoted"', "'single'", '"+918030240001"',
    "+918030240001", "08030240001", "918030240001", "12", "-3", "0x1F", "0o17", "017",
    "1_000", "1:20", "0b101", "1.5", "1e3", ".inf", "-.Inf", ".nan", "true", "False",
    "yes", "NO", "on", "off", "~", "null", "", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "'='", "!!str 12", "!!int '7'", "!!float 1", "[a, 1, {b: c}]", "{k: v, k2: 2}",
    "[]", "{}", "|\n      block\n      text", '"esc\\u00e9\\n"', "!!binary aGVsbG8=",
]  # fmt: skip
KEYS = ["number", "friendly_name", "voice_flow", "x", "y", "xy", "1", "'1'", "true", "=", "n"]


def _entry(pairs: list[tuple[str, str]], merge: str | None, indent: str) -> list[str]:
    lines = [f"{key}: {value}" for key, value in pairs]
    if merge is not None:
        lines.insert(0, f"<<: {merge}")
    if not lines:
        return [f"{indent}- {{}}"]
    return [f"{indent}- {lines[0]}"] + [f"{indent}  {line}" for line in lines[1:]]


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Manifest-like YAML: anchors, merge keys, duplicate keys, every kind of scalar."""
    scalar = st.sampled_from(SCALARS)
    pair = st.tuples(st.sampled_from(KEYS), scalar)
    lines = ["version: 1", "defaults: &d"]
    lines += [f"  {k}: {v}" for k, v in draw(st.lists(pair, min_size=1, max_size=4))]
    lines.append("other: &o {" + ", ".join(f"{k}: {v}" for k, v in draw(
        st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(SCALARS[:30])), max_size=3)
    )) + "}")  # fmt: skip
    lines.append("numbers:")
    merges = st.sampled_from([None, None, "*d", "*o", "[*d, *o]", "[*o, *d]", "{x: 9}"])
    for _ in range(draw(st.integers(0, 5))):
        lines += _entry(draw(st.lists(pair, max_size=4)), draw(merges), "  ")
    if draw(st.booleans()):
        lines.append(f"alias: *{draw(st.sampled_from(['d', 'o']))}")
    return "\n".join(lines) + "\n"


def plain_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=20,
    )


class _DuplicateOracle(yaml.SafeLoader):
    """Duplicate keys noted inside PyYAML's own constructor: the way this was done before."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.found: list[tuple[int, int, str]] = []

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        assert isinstance(node, MappingNode)
        own, count = node.value, len(node.value)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < count or node.value is not own:
            seen: set[str] = set()
            for key_node, _ in own:
                if isinstance(key_node, ScalarNode):
                    if key_node.value in seen:
                        mark = key_node.start_mark
                        self.found.append((mark.line + 1, mark.column + 1, key_node.value))
                    seen.add(key_node.value)
        return mapping


def _oracle_duplicates(text: str) -> list[tuple[int, int, str]]:
    loader = _DuplicateOracle(text)
    try:
        loader.get_single_data()
    finally:
        loader.dispose()
    return sorted(loader.found)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _agrees(text: str) -> None:
    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as slow:
        with pytest.raises(yaml.YAMLError) as fast:
            parse(text, "m.yaml")
        assert syntax_problem(fast.value, "m.yaml", text) == syntax_problem(slow, "m.yaml", text)
        return
    try:
        document = parse(text, "m.yaml")
    except AliasBomb:
        return  # refused on purpose: aliases that expand far beyond the text
    assert repr(document.data) == repr(expected)
    found = sorted(
        (p.location.line, p.location.column, p.message.split("'")[1]) for p in document.duplicates
    )
    assert found == [(line, col, key[:60]) for line, col, key in _oracle_duplicates(text)]
    _locates_what_it_built(document)


_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _locates_what_it_built(document: Document) -> None:
    if document.root is None:
        return  # an empty document: nothing to find
    locator = Locator(document, "m.yaml")
    for path, value in _paths(document.data):
        if any(not isinstance(key, (str, int)) or key == "" for key in path):
            continue
        parent = locator.node(path[:-1])
        if path and parent is not None and parent.tag not in _COLLECTIONS:
            continue  # a !!omap, !!pairs or !!set: its data is not its nodes' shape
        node = locator.node(path)
        assert node is not None, path
        rebuilt = SafeConstructor().construct_object(node, deep=True)  # type: ignore[no-untyped-call]
        assert repr(rebuilt) == repr(value), path


@pytest.mark.slow
@settings(max_examples=400, deadline=None, derandomize=True)
@given(documents())
def test_manifest_like_documents_agree_with_yaml_load(text: str) -> None:
    _agrees(text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(plain_values(), st.sampled_from([False, True, None]))
def test_dumped_values_agree_with_yaml_load(value: Any, flow: bool | None) -> None:
    _agrees(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True))


@pytest.mark.parametrize(
    "text",
    [
        "a: &a {xx: 1}\nb: &b {xx: 2}\nc: {<<: [*a, *b]}\n",  # PyYAML's own merge order
        "a: &a {x: 1, y: 1}\nc: {<<: *a, <<: {x: 3}}\n",
        "? [1, 2]\n: unhashable\n",
        "a: {<<: 1}\n",
        "a: {<<: [1]}\n",
        "a: !!set {x, y}\nb: !!omap [{k: 1}]\nc: !!pairs [{k: 1}, {k: 2}]\n",
        "a: !custom 1\n",
        "1: int\n'1': str\n0x1: int again\n",
        "=: value key\n",
        "a: &x [1, *x]\n",
    ],
)
def test_corner_cases_agree_with_yaml_load(text: str) -> None:
    _agrees(text)


def _texts() -> list[Path]:
    """Every fixture manifest and the example; not the one that is not UTF-8, which is
    refused before it is parsed (its own test says so)."""
    paths = sorted(FIXTURES.glob("*.yaml")) + [REPO / "examples" / "numbers.yaml"]
    return [path for path in paths if _is_utf8(path)]


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("path", _texts(), ids=lambda path: path.name)
def test_every_fixture_manifest_agrees_with_yaml_load(path: Path) -> None:
    _agrees(path.read_text(encoding="utf-8"))


class _ComposedAgain:
    """The locator before the one parse: compose the text a second time and walk the
    fresh nodes, following merge keys (own keys first, then the sources in order)."""

    def __init__(self, document: Document, file: str) -> None:
        self.root = yaml.compose(Path(file).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        self.file = file

    def locate(self, path: tuple[Any, ...], at_key: bool = False) -> Location:
        node, key_node = self.root, None
        for item in path:
            if node is None:
                break
            key_node, node = self._child(node, item, frozenset())
        target = key_node if at_key and key_node is not None else node
        if target is None:
            return Location(self.file, 1, 1)
        return Location(self.file, target.start_mark.line + 1, target.start_mark.column + 1)

    def _child(self, node: Node, item: Any, seen: frozenset[int]) -> tuple[Any, Any]:
        if isinstance(node, MappingNode):
            seen = seen | {id(node)}
            found: tuple[Any, Any] = (None, None)
            sources: list[Node] = []
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merged = (
                        value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                    )
                    sources += merged
                elif isinstance(key_node, ScalarNode) and key_node.value == str(item):
                    found = (key_node, value_node)
            for source in sources:
                if found[1] is None and id(source) not in seen:
                    found = self._child(source, item, seen)
            return found
        if isinstance(node, SequenceNode) and isinstance(item, int) and item < len(node.value):
            return None, node.value[item]
        return None, None


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS), ids=str)
def test_every_error_fixture_is_located_as_a_second_parse_located_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def problems() -> list[str]:
        try:
            load_manifest(str(FIXTURES / name))
        except ManifestError as exc:
            return [str(problem) for problem in exc.problems]
        raise AssertionError(f"{name} loaded without problems")

    found = problems()
    monkeypatch.setattr(load, "Locator", _ComposedAgain)
    assert found == problems()
