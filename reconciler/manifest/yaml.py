"""YAML text -> Python data, fast, with duplicate keys caught and locations on demand.

Parsing uses PyYAML's C loader, with the cycle collector paused (``collector_paused``,
also used for the state's JSON): parsed data holds no reference cycles, and a
100k-number manifest allocates millions of containers the collector would walk
again and again for nothing. Line numbers are not kept for every value (that
would cost as much as the parse); when something is wrong, :class:`Locator` composes
the document once more and walks to the places that need a line.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Location, Problem, shorten

PathItem = Union[str, int]  # noqa: UP007 (a runtime alias; 3.10 cannot | a str)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; plain reference counting still frees."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class DuplicateKeyLoader(yaml.CSafeLoader):
    """A safe C loader that records duplicate mapping keys instead of hiding them."""

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.duplicates: list[Problem] = []

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]
        own = node.value
        count = len(own)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        # Without merge keys the mapping is shorter than the node only when a key
        # repeats; with merge keys (node.value was replaced) look at the node's own keys.
        if len(mapping) < count or node.value is not own:
            self._record_duplicates(own)
        return mapping

    def _record_duplicates(self, pairs: list[tuple[Node, Node]]) -> None:
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


def parse(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Load one YAML document; returns the data and any duplicate-key problems.

    Raises :class:`yaml.YAMLError` for a syntax error (see :func:`syntax_problem`).
    """
    loader = DuplicateKeyLoader(text, file)
    try:
        node = loader.get_single_node()
        if node is not None and "&" in text and "*" in text:  # else no alias to expand
            _check_expansion(node, file)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, loader.duplicates


#: Values that YAML aliases may add to a document beyond those written in it, at least;
#: a document may also grow by twice its own size (merge keys repeat a few defaults on
#: each entry). A "billion laughs" document grows a thousandfold and more.
MIN_ALIAS_ALLOWANCE = 100_000


class AliasBomb(Exception):
    """Aliases expand the document beyond the bound; ``problem`` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _check_expansion(root: Node, file: str) -> None:
    """Refuse a document whose aliases expand it far beyond what is written."""
    written = _count_unique(root)
    bound = written + max(MIN_ALIAS_ALLOWANCE, 2 * written)
    _expanded_size(root, {}, bound, file, set())


def _count_unique(root: Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(_children(node))
    return len(seen)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _expanded_size(node: Node, sizes: dict[int, int], bound: int, file: str, path: set[int]) -> int:
    """How many values ``node`` stands for once every alias in it is expanded."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if id(node) in path:
        mark = node.start_mark
        message = "YAML aliases make this value contain itself: write the values out"
        raise AliasBomb(Problem(Location(file, mark.line + 1, mark.column + 1), message))
    path.add(id(node))
    total = 1
    for child in _children(node):
        total += _expanded_size(child, sizes, bound, file, path)
        if total > bound:
            mark = node.start_mark
            location = Location(file, mark.line + 1, mark.column + 1)
            raise AliasBomb(Problem(location, _bomb_message(bound)))
    path.discard(id(node))
    sizes[id(node)] = total
    return total


def _bomb_message(bound: int) -> str:
    return (
        f"YAML aliases expand this value to more than {bound:,} values: a manifest this "
        "repetitive is refused (a 'billion laughs' document); write the values out"
    )


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
    """Finds the line and column of a path (keys and indices) in a YAML document."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._root: Node | None = None
        self._composed = False

    def locate(self, path: tuple[PathItem, ...], at_key: bool = False) -> Location:
        """Where ``path`` is; ``at_key`` points at the last key rather than its value."""
        node = self._document()
        key_node: Node | None = None
        for item in path:
            if node is None:
                break
            key_node, node = _child(node, item)
        target = key_node if at_key and key_node is not None else node
        if target is None:
            return Location(self.file, 1, 1)
        mark = target.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def _document(self) -> Node | None:
        if not self._composed:
            self._root = yaml.compose(self.text, Loader=yaml.CSafeLoader)
            self._composed = True
        return self._root


_MERGE = "tag:yaml.org,2002:merge"


def _child(
    node: Node, item: PathItem, seen: frozenset[int] = frozenset()
) -> tuple[Node | None, Node | None]:
    """The (key node, value node) of ``item`` inside ``node``; the last one wins.

    A key the mapping only has through a merge (``<<: *defaults``) is found where the
    merged mapping spells it, as YAML would read it: own keys first, then the sources.
    """
    if isinstance(node, MappingNode):
        seen = seen | {id(node)}  # a merge may refer back to its own mapping
        found: tuple[Node | None, Node | None] = (None, None)
        sources: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                sources += merged
            elif isinstance(key_node, ScalarNode) and key_node.value == str(item):
                found = (key_node, value_node)
        for source in sources:
            if found[1] is None and id(source) not in seen:
                found = _child(source, item, seen)
        return found
    if isinstance(node, SequenceNode) and isinstance(item, int) and item < len(node.value):
        return None, node.value[item]
    return None, None
