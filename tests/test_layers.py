"""The package's layers: every import points down (or stays in its own sub-package),
and no module imports itself back through others. Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.project import REPO

PACKAGE = REPO / "reconciler"
#: Each sub-package's floor, top first: a module imports only from lower floors.
FLOORS = {
    "__main__": 7,
    "cli": 6,
    "api": 5,  # the library calls: the commands, below the command line
    "apply": 4,
    "state": 3,
    "render": 3,
    "plan": 2,
    "exotel": 2,
    "sandbox": 2,
    "manifest": 1,
    "reports": 1,  # plain data, like the model (which it uses)
    "model": 0,
    "records": -1,  # the typed records, which the model's types hold
    "errors": 0,
    "collector": 0,
    "": 0,  # the package itself: its version only
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every ``reconciler`` module ``path`` imports, wherever in it the import is
    (``from package import module`` names the module, not the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & modules


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}


def part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_import_points_down() -> None:
    upward = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        if part(name) in FLOORS
        for target in targets
        if part(target) != part(name) and FLOORS[part(target)] >= FLOORS[part(name)]
    ]
    assert upward == []


def test_the_storage_imports_nothing_of_applying_planning_or_the_command_line() -> None:
    state = {t for n, ts in graph().items() if part(n) == "state" for t in ts}
    allowed = {"state", "manifest", "reports", "model", "records", "errors"}
    assert {part(t) for t in state} <= allowed


def test_no_import_cycle() -> None:
    edges, seen, cycles = graph(), set(), []

    def visit(name: str, path: list[str]) -> None:
        seen.add(name)
        for target in sorted(edges[name]):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in seen:
                visit(target, [*path, target])

    for name in sorted(edges):
        if name not in seen:
            visit(name, [name])
    assert cycles == []


def test_nothing_below_the_command_line_sees_argparse() -> None:
    """The library calls take typed options: argparse stays in ``cli/``."""
    seeing = []
    for path in PACKAGE.rglob("*.py"):
        if part(module_name(path)) in ("cli", "__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if "argparse" in names:
                seeing.append(module_name(path))
    assert seeing == []
