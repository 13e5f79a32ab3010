"""YAML text -> Python data in one parse, with duplicate keys caught and positions kept.

PyYAML's C parser composes the document into nodes, which carry every line and
column; a small builder then turns the nodes into plain data, the same data
``yaml.load(text, Loader=yaml.CSafeLoader)`` returns, in a fraction of the time
PyYAML's own constructor takes (it handles the common case, strings, lists and
mappings, itself, and hands every other tag to PyYAML). The nodes stay with the data
as a :class:`Document`, so a problem found later is located without parsing again.

Parsed data holds no reference cycles, and a 100k-number manifest allocates millions of
containers the cycle collector would walk again and again for nothing: the ``exoplan``
process collects rarely (:mod:`reconciler.collector`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Union

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Location, Problem, shorten
from reconciler.manifest.aliases import check_expansion

PathItem = Union[str, int]  # noqa: UP007 (a runtime alias; 3.10 cannot | a str)

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Loader(yaml.CSafeLoader):
    """PyYAML's safe C loader with a quicker tag resolver (the parser calls it per node)."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # The same answers as yaml.resolver.BaseResolver.resolve for a loader without
        # path resolvers: a plain scalar is matched against the implicit resolvers of
        # its first character; anything else takes its kind's default tag.
        if kind is ScalarNode:
            if implicit[0]:
                first = value[0] if value else ""
                for tag, pattern in self.yaml_implicit_resolvers.get(first, ()):
                    if pattern.match(value):
                        return tag  # type: ignore[no-any-return]
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


@dataclass
class Document:
    """A parsed document: its data, its duplicate keys, and its nodes for locating."""

    data: Any
    duplicates: list[Problem] = field(default_factory=list)
    root: Node | None = None


def parse(text: str, file: str) -> Document:
    """Parse one YAML document: the data ``yaml.load`` would return, and more.

    Raises :class:`yaml.YAMLError` for a syntax error (see :func:`syntax_problem`) and
    :class:`~reconciler.manifest.aliases.AliasBomb` for runaway aliases.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return Document(None)
        if "&" in text and "*" in text:  # else no alias to expand
            check_expansion(root, file)
        builder = _Builder(loader, file)
        return Document(builder.build(root), builder.duplicates, root)
    finally:
        loader.dispose()


class _Builder:
    """Nodes -> plain data, as PyYAML's safe constructor makes it, noting duplicate keys."""

    def __init__(self, loader: _Loader, file: str) -> None:
        self._construct = loader.construct_object
        self._flatten = loader.flatten_mapping
        self.file = file
        self.duplicates: list[Problem] = []
        self._noted: set[int] = set()  # mappings whose duplicates are noted (aliases repeat)

    def build(self, node: Node) -> Any:
        kind = node.__class__
        if kind is ScalarNode and node.tag == _STR:
            return node.value
        if kind is MappingNode and node.tag == _MAP:
            return self._mapping(node)
        if kind is SequenceNode and node.tag == _SEQ:
            build = self.build
            return [
                item.value if item.__class__ is ScalarNode and item.tag == _STR else build(item)
                for item in node.value
            ]
        return self._construct(node, deep=True)  # numbers, booleans, dates, other tags

    def _mapping(self, node: Node) -> dict[Any, Any]:
        pairs = node.value
        mapping: dict[Any, Any] = {}
        for key_node, value_node in pairs:
            if key_node.__class__ is not ScalarNode or key_node.tag != _STR:
                return self._general_mapping(node)  # merge keys, numbers as keys, ...
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                mapping[key_node.value] = value_node.value
            else:
                mapping[key_node.value] = self.build(value_node)
        if len(mapping) < len(pairs):
            self._note_duplicates(node, pairs)
        return mapping

    def _general_mapping(self, node: Node) -> dict[Any, Any]:
        own = node.value
        count = len(own)
        self._flatten(node)  # type: ignore[arg-type]  # merge keys, as PyYAML merges them
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node)
            if not isinstance(key, Hashable):
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            mapping[key] = self.build(value_node)
        # Flattening removed the merge keys from ``own`` and gave the node a new list.
        if len(mapping) < count or node.value is not own:
            self._note_duplicates(node, own)
        return mapping

    def _note_duplicates(self, node: Node, pairs: list[tuple[Node, Node]]) -> None:
        if id(node) in self._noted:
            return
        self._noted.add(id(node))
        first_line: dict[str, int] = {}
        for key_node, _ in pairs:
            if not isinstance(key_node, ScalarNode):
                continue
            mark = key_node.start_mark
            if key_node.value in first_line:
                message = (
                    f"duplicate key '{shorten(key_node.value)}' (first at line "
                    f"{first_line[key_node.value]}); YAML would keep only the last one: "
                    "remove or merge the duplicates"
                )
                location = Location(self.file, mark.line + 1, mark.column + 1)
                self.duplicates.append(Problem(location, message))
            else:
                first_line[key_node.value] = mark.line + 1


def syntax_problem(exc: yaml.YAMLError, file: str, text: str = "") -> Problem:
    """A YAML syntax error as a located problem."""
    if isinstance(exc, yaml.reader.ReaderError):
        # Unreadable characters carry an offset, not a mark.
        before = text[: exc.position]
        line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        detail = f"character {exc.character!r} is not allowed in YAML ({exc.reason}): remove it"
        return Problem(Location(file, line, column), f"YAML syntax error: {detail}")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else str(problem)
    return Problem(Location(file, line, column), f"YAML syntax error: {detail}")


class Locator:
    """Finds the line and column of a path (keys and indices) in a parsed document."""

    def __init__(self, document: Document, file: str) -> None:
        self.root = document.root
        self.file = file

    def locate(self, path: tuple[PathItem, ...], at_key: bool = False) -> Location:
        """Where ``path`` is; ``at_key`` points at the last key rather than its value."""
        target = self.node(path, at_key)
        if target is None:
            return Location(self.file, 1, 1)
        mark = target.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def node(self, path: tuple[PathItem, ...], at_key: bool = False) -> Node | None:
        """The node at ``path`` (its key's node with ``at_key``), or None if not there."""
        node = self.root
        key_node: Node | None = None
        for item in path:
            if node is None:
                return None
            key_node, node = _child(node, item)
        return key_node if at_key and key_node is not None else node


def _child(node: Node, item: PathItem) -> tuple[Node | None, Node | None]:
    """The (key node, value node) of ``item`` inside ``node``; the last one wins.

    Building flattened every mapping's merge keys (``<<: *defaults``) into its pairs,
    merged ones first, as the data was built: a key the mapping has only through a
    merge is found where the merged mapping spells it.
    """
    if isinstance(node, MappingNode):
        found: tuple[Node | None, Node | None] = (None, None)
        for key_node, value_node in node.value:
            if _key(key_node) == item:
                found = (key_node, value_node)
        return found
    if isinstance(node, SequenceNode) and isinstance(item, int) and item < len(node.value):
        return None, node.value[item]
    return None, None


def _key(node: Node) -> Any:
    """The key a key node makes in the data ("1" and 1 are different keys)."""
    if node.__class__ is ScalarNode and node.tag == _STR:
        return node.value
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except (yaml.YAMLError, TypeError):
        return None
