"""What a plain ``exoplan plan`` and ``validate`` import: none of the heavy libraries,
which only the commands (or the manifests) that need them load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project import REPO

HEAVY = (
    "jsonschema",
    "phonenumbers",
    "requests",
    "rich",
    "deepdiff",
    "psycopg",
    "shtab",
    "orjson",
)
PROBE = """
import contextlib, io, sys
from reconciler.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(code, *sorted(name for name in {heavy!r} if name in sys.modules))
"""


def probe(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``exoplan *argv`` in a fresh interpreter; its stdout is the exit code, then the
    heavy libraries it imported."""
    code = PROBE.format(heavy=HEAVY)
    return subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=folder, capture_output=True, text=True
    )


@pytest.mark.parametrize("command", [["plan"], ["validate"], ["state", "list"]])
def test_the_example_is_planned_without_the_heavy_libraries(
    command: list[str], tmp_path: Path
) -> None:
    shutil.copyfile(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    run = probe(tmp_path, *command, "-f", "numbers.yaml")
    assert run.stdout.split() == ["0"], run.stderr


def test_an_invalid_manifest_still_gets_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(
        "version: 1\naccount: {sid: acme1}\nnumbers: [{number: '+918030240001', x: 1}]\n",
        encoding="utf-8",
    )
    run = probe(tmp_path, "validate", "-f", "numbers.yaml")
    assert run.stdout.split() == ["1", "jsonschema"]
    assert "unknown key 'x' in numbers[0]" in run.stderr
