"""reconciler.cli.schema: `exoplan schema [NAME] [--path]` for editors in any project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.manifest import schema as schemas
from tests.support.project import REPO
from tests.support.run import Runner


@pytest.mark.parametrize("name", ["manifest", "plan", "state"])
def test_prints_the_shipped_schema_byte_for_byte(run_exoplan: Runner, name: str) -> None:
    result = run_exoplan("schema", name)
    assert result.code == 0 and result.stderr == ""
    shipped = (REPO / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert result.stdout == shipped
    assert json.loads(result.stdout)["$id"].endswith(f"/{name}.schema.json")


def test_the_manifest_schema_is_the_default(run_exoplan: Runner) -> None:
    assert run_exoplan("schema").stdout == run_exoplan("schema", "manifest").stdout


@pytest.mark.parametrize("name", ["manifest", "plan", "state"])
def test_path_prints_where_the_schema_is_installed(
    run_exoplan: Runner, tmp_path: Path, name: str
) -> None:
    result = run_exoplan("schema", name, "--path", cwd=tmp_path)
    assert result.code == 0
    printed = Path(result.stdout.removesuffix("\n"))
    assert result.stdout.count("\n") == 1 and printed.is_absolute()
    assert printed.read_text(encoding="utf-8") == run_exoplan("schema", name).stdout


def test_an_unknown_schema_is_a_one_line_error(run_exoplan: Runner) -> None:
    result = run_exoplan("schema", "numbers")
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: argument name: invalid choice: 'numbers' (choose from 'manifest', 'plan', 'state')"
    )
    assert "Traceback" not in result.stderr


def test_a_schema_missing_from_the_install_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(schemas, "_CANDIDATES", (tmp_path,))
    assert main(["schema", "--path"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: cannot read the manifest schema: exoplan is missing its schema "
        "manifest.schema.json; reinstall exoplan\n"
    )


def test_a_folder_in_place_of_the_schema_counts_as_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state.schema.json").mkdir()  # a folder where the file should be
    monkeypatch.setattr(schemas, "_CANDIDATES", (tmp_path,))
    assert main(["schema", "state"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "error: cannot read the state schema: exoplan is missing its schema "
        "state.schema.json; reinstall exoplan"
    )
