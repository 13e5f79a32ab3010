"""The JSON Schemas shipped with exoplan, found in a wheel and in a source checkout."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent.parent
# An installed wheel carries the schemas inside the package; a source checkout (and an
# editable install) keeps them at the top of the repository, where editors find them.
_CANDIDATES = (_PACKAGE / "schemas", _PACKAGE.parent / "schemas")


def schema_path(name: str) -> Path:
    """Path of ``schemas/<name>.schema.json``."""
    filename = f"{name}.schema.json"
    for folder in _CANDIDATES:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"exoplan is missing its schema {filename}; reinstall exoplan")


@cache
def schema(name: str) -> dict[str, Any]:
    """The parsed schema ``name`` (manifest, state or plan)."""
    with schema_path(name).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded
