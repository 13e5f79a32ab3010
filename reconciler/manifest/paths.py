"""Which manifests ``-f`` names: files as given, and every ``*.yaml`` / ``*.yml`` file
directly in a directory, in path order."""

from __future__ import annotations

import os
from collections.abc import Sequence

from reconciler.errors import UsageError

#: The manifest named when -f is not given.
DEFAULT_MANIFEST = "numbers.yaml"
_SUFFIXES = (".yaml", ".yml")


def expand(given: Sequence[str]) -> list[str]:
    """The manifest paths ``given`` names (DEFAULT_MANIFEST when empty), each once, in
    the order given; a directory stands for its YAML files, sorted by path."""
    found: list[str] = []
    for path in given or [DEFAULT_MANIFEST]:
        for item in _in_directory(path) if os.path.isdir(path) else [path]:
            if item not in found:
                found.append(item)
    return found


def _in_directory(folder: str) -> list[str]:
    with os.scandir(folder) as entries:
        files = sorted(
            os.path.join(folder, entry.name)
            for entry in entries
            if entry.name.endswith(_SUFFIXES) and entry.is_file()
        )
    if not files:
        raise UsageError(
            f"-f {folder}: the directory holds no manifest (*.yaml or *.yml files directly "
            "in it); pass -f a manifest or a directory of them"
        )
    return files
