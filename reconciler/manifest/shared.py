"""Checks across several manifests: a number listed in two manifests of one account.

Two manifests may describe one account (teams owning different numbers), but each
number has one owner: a number listed in both is an error naming both files and lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from reconciler.errors import Location, ManifestError, Problem
from reconciler.manifest.bounded import read_bounded
from reconciler.manifest.yaml import Locator, parse
from reconciler.model import Manifest


def check_shared_numbers(manifests: Sequence[Manifest]) -> None:
    """Raise ManifestError naming every number listed in two manifests of one account."""
    first: dict[tuple[str, str], tuple[Manifest, int]] = {}
    problems: list[Problem] = []
    for manifest in manifests:
        for number, spec in manifest.numbers.items():
            key = (manifest.account.sid, number)
            if key not in first:
                first[key] = (manifest, spec.index)
                continue
            owner, index = first[key]
            there = number_location(owner, index)
            message = (
                f"{number} is also listed in {there} (account {manifest.account.sid}): a "
                "number belongs to one manifest; remove it from one of the two"
            )
            problems.append(Problem(number_location(manifest, spec.index), message))
    if problems:
        raise ManifestError(problems)


def number_location(manifest: Manifest, index: int) -> Location:
    """Where ``numbers[index].number`` is written in the manifest's file (read again:
    lines are looked up only for problems)."""
    from reconciler.manifest.load import MAX_MANIFEST_BYTES

    try:
        text = read_bounded(manifest.path, MAX_MANIFEST_BYTES).decode("utf-8")
        return Locator(parse(text, manifest.path), manifest.path).locate(
            ("numbers", index, "number")
        )
    except (
        OSError,
        ValueError,
        LookupError,
        yaml.YAMLError,
    ):  # changed since it was read: no line then
        return Location(manifest.path)
