"""Refuse YAML whose aliases expand it far beyond what is written ("billion laughs").

A composed document is a graph: an alias is the same node reached twice. Building
plain data from it copies the node once per reference, so a few lines of anchors can
stand for billions of values. This walks the graph once, counting what building it
would make, and stops at a bound proportional to the document's own size.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, SequenceNode

from reconciler.errors import Location, Problem

#: Values that YAML aliases may add to a document beyond those written in it, at least;
#: a document may also grow by twice its own size (merge keys repeat a few defaults on
#: each entry). A "billion laughs" document grows a thousandfold and more.
MIN_ALIAS_ALLOWANCE = 100_000


class AliasBomb(Exception):
    """Aliases expand the document beyond the bound; ``problem`` says where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def check_expansion(root: Node, file: str) -> None:
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
