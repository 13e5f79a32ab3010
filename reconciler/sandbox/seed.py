"""Seed files for the sandbox: the numbers its account owns at start (``--seed FILE``).

JSON, or YAML when the name ends in .yaml/.yml: a list of records, of plain numbers, or
``{"incoming_phone_numbers": [...]}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def load_seed(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Seed records from JSON, or YAML when the name ends in .yaml/.yml.

    The file holds a list of records or ``{"incoming_phone_numbers": [...]}``; each
    record needs at least ``phone_number``. Raises OSError or ValueError.
    """
    return _seed_records(read_data(path), str(path))


def read_data(path: str | os.PathLike[str]) -> Any:
    """A JSON file's data, or a YAML file's when the name ends in .yaml/.yml."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    try:
        return _yaml(text) if file.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{file}: {exc}") from exc


def _yaml(text: str) -> Any:
    import yaml  # only seed files need PyYAML: keep it off the CLI's import path

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from exc


def _seed_records(data: Any, origin: str) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "incoming_phone_numbers" in data:
        data = data["incoming_phone_numbers"]
    if not isinstance(data, list):
        raise ValueError(f"{origin}: expected a list of numbers or incoming_phone_numbers")
    # A plain list of numbers ("+918030240001") is a list of records of those numbers.
    records: list[Any] = [{"phone_number": i} if isinstance(i, str) else i for i in data]
    for index, item in enumerate(records):
        if not isinstance(item, dict) or not isinstance(item.get("phone_number"), str):
            raise ValueError(f"{origin}: record {index} needs a phone_number string")
    return records
