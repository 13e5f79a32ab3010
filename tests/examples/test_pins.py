"""Pins in the documentation: only tags this repository has, or an obvious placeholder.

Users copy pins from the docs into workflows and pre-commit configs; a pin to a tag that
does not exist fails for them, or worse, matches something else later. The documented
way is a full commit SHA or a tag the user's own copy creates, written as ``<ref>``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.project import REPO

PLACEHOLDER = "<ref>"
DOCUMENTS = sorted(
    [REPO / "README.md", REPO / ".pre-commit-hooks.yaml", REPO / "action.yml"]
    + list((REPO / "docs").glob("**/*.md"))
    + [p for p in (REPO / "examples").glob("**/*") if p.is_file()]
)
# exoplan@REF, exoplan.git@REF (pip URLs, `uses:`), `rev: REF` (pre-commit), and any
# version-like tag such as v1.2 or v1.2.3 wherever it is written.
_EXOPLAN_REF = re.compile(r"exoplan(?:\.git)?@(<ref>|[^\s`'\")\]>]+)")
_REV = re.compile(r"\brev:\s*(<ref>|[^\s#`'\"]+)")
_VERSION_TAG = re.compile(r"(?<![\w.@/-])v[0-9]+\.[0-9]+(?:\.[0-9]+)?(?:[-.+][\w.]+)?")


def repository_tags() -> set[str]:
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        return set()
    done = subprocess.run([git, "tag", "--list"], cwd=REPO, capture_output=True, text=True)
    return set(done.stdout.split()) if done.returncode == 0 else set()


def pins(text: str) -> list[str]:
    found = _EXOPLAN_REF.findall(text) + _REV.findall(text) + _VERSION_TAG.findall(text)
    return [pin.rstrip(".,:;") for pin in found]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_documents_pin_only_existing_tags_or_the_placeholder(path: Path) -> None:
    tags = repository_tags()
    unknown = [pin for pin in pins(path.read_text(encoding="utf-8")) if pin != PLACEHOLDER]
    assert [pin for pin in unknown if pin not in tags] == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("uses: YOUR-ORG/exoplan@<ref>", ["<ref>"]),
        ("uses: YOUR-ORG/exoplan@v0.1.0", ["v0.1.0"]),
        ("exoplan @ git+https://github.com/YOUR-ORG/exoplan@v2.0.0`", ["v2.0.0"]),
        ("pip install git+https://x.example/g/exoplan.git@1a2b3c4d.", ["1a2b3c4d"]),
        ("    rev: v1.4.2   # the same release", ["v1.4.2", "v1.4.2"]),
        ("    rev: <ref>      # a full commit SHA", ["<ref>"]),
        ("see exoplan v1.2 for this", ["v1.2"]),
        ("uses: actions/checkout@v4 and actions/setup-python@v5.1.0", []),
        ("GitLab 17.0 and later; Python 3.12; exoplan==<version>", []),
    ],
)
def test_pins_are_found(text: str, found: list[str]) -> None:
    assert pins(text) == found


def test_the_documents_are_found() -> None:
    names = {str(p.relative_to(REPO)) for p in DOCUMENTS}
    assert {"README.md", "docs/gitops.md", "examples/ci/github-actions.yml"} <= names
    assert {".pre-commit-hooks.yaml", "action.yml", "examples/ci/gitlab-ci.yml"} <= names
