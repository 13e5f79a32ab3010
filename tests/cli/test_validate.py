"""`exoplan validate`, run as a real subprocess: every error class, located, no traceback."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import pytest

from reconciler.cli import main as cli
from tests.support.fixtures import BAD_MANIFESTS, copy_fixture
from tests.support.project import REPO
from tests.support.run import Runner, exoplan, exoplan_env

FIXTURE_DIR = "tests/fixtures/manifests"


@pytest.mark.parametrize("name", sorted(BAD_MANIFESTS))
def test_each_error_class_is_reported_with_file_line_and_column(
    run_exoplan: Runner, name: str
) -> None:
    path = f"{FIXTURE_DIR}/{name}"
    result = run_exoplan("validate", "-f", path, cwd=REPO)
    assert result.code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    expected = BAD_MANIFESTS[name]
    count = len(expected)
    noun = "problem" if count == 1 else "problems"
    them = "it" if count == 1 else "them"
    assert lines[-1] == f"error: {count} {noun} in {path}; fix {them} and run again"
    assert len(lines) == count + 1
    for line, (row, column, fragment) in zip(lines, expected, strict=False):
        assert line.startswith(f"{path}:{row}:{column}: ")
        assert fragment in line


def test_several_problems_are_all_reported_in_one_run(run_exoplan: Runner) -> None:
    result = run_exoplan("validate", "-f", f"{FIXTURE_DIR}/bad-many.yaml", cwd=REPO)
    assert result.code == 1
    located = [line for line in result.stderr.splitlines() if line.startswith(FIXTURE_DIR)]
    assert len(located) == 8
    # One of each kind: schema, app id, duplicate key, number, duplicate number, flow ref.
    for fragment in (
        "unknown key",
        "not numeric",
        "duplicate key",
        "is not a phone number",
        "is the same number as",
        "unknown flow",
        "missing the required key",
        "must be true or false",
    ):
        assert sum(fragment in line for line in located) == 1, fragment


def test_a_duplicate_number_names_both_lines(run_exoplan: Runner, tmp_path: Path) -> None:
    copy_fixture("bad-duplicate-number.yaml", tmp_path, "numbers.yaml")
    result = run_exoplan("validate")
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        "numbers.yaml:7:13: '08030240001' is the same number as '+918030240001' at line 5: "
        "both are +918030240001; keep one of the two entries"
    )


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("good-full.yaml", "valid (3 numbers, 2 flows, account acme1)"),
        ("good-minimal.yaml", "valid (1 number, 0 flows, account acme1)"),
        ("good-empty-numbers.yaml", "valid (0 numbers, 0 flows, account acme1)"),
    ],
)
def test_a_valid_manifest_exits_0_with_a_one_line_summary(
    run_exoplan: Runner, tmp_path: Path, name: str, summary: str
) -> None:
    copy_fixture(name, tmp_path)
    result = run_exoplan("validate", "-f", name)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == f"{name}: {summary}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # validate writes nothing


def test_the_example_validates(run_exoplan: Runner) -> None:
    result = run_exoplan("validate", "-f", "examples/numbers.yaml", cwd=REPO)
    assert result.code == 0
    assert result.stdout == "examples/numbers.yaml: valid (7 numbers, 5 flows, account acme1)\n"


def test_the_manifest_defaults_to_numbers_yaml(run_exoplan: Runner, tmp_path: Path) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    result = run_exoplan("validate")
    assert (result.code, result.stdout) == (
        0,
        "numbers.yaml: valid (1 number, 0 flows, account acme1)\n",
    )


def test_a_missing_manifest_is_a_clear_error(run_exoplan: Runner) -> None:
    result = run_exoplan("validate")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "numbers.yaml: manifest not found: pass -f PATH, or write one "
        "(`exoplan export` writes one of a live account)",
        "error: 1 problem in numbers.yaml; fix it and run again",
    ]


def test_validate_ignores_credentials_it_does_not_need(run_exoplan: Runner, tmp_path: Path) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    result = run_exoplan(
        "validate", env={"EXOTEL_API_KEY": "key-123", "EXOTEL_API_TOKEN": "token-456"}
    )
    assert result.code == 0
    assert "key-123" not in result.stdout + result.stderr
    assert "token-456" not in result.stdout + result.stderr


def test_subprocesses_never_inherit_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOTEL_API_KEY", "outer-key")
    monkeypatch.setenv("EXOTEL_API_TOKEN", "outer-token")
    env = exoplan_env()
    assert "EXOTEL_API_KEY" not in env and "EXOTEL_API_TOKEN" not in env
    assert str(REPO) in env["PYTHONPATH"].split(os.pathsep)


def test_the_exoplan_console_script(tmp_path: Path) -> None:
    script = shutil.which("exoplan")
    if script is None:
        pytest.skip("the exoplan console script is not installed (pip install -e .)")
    copy_fixture("bad-invalid-number.yaml", tmp_path, "numbers.yaml")
    result = exoplan(None, tmp_path, "validate", program=[script])
    assert result.code == 1
    assert result.stderr.startswith("numbers.yaml:6:13: '12345' is not a valid phone number")
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    assert exoplan(None, tmp_path, "validate", program=[script]).code == 0


def test_version(run_exoplan: Runner) -> None:
    result = run_exoplan("--version")
    assert (result.code, result.stdout) == (0, "exoplan 0.1.0\n")


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--detailed-exitcode", "--format", "yaml"),
        ("validate", "--no-such-flag"),
        ("state",),
    ],
)
def test_a_usage_error_exits_1_not_2(run_exoplan: Runner, args: tuple[str, ...]) -> None:
    # 2 means "changes present" under --detailed-exitcode; a typo must not look like that.
    result = run_exoplan(*args)
    assert result.code == 1
    assert result.stderr.startswith("usage: exoplan")
    assert "error: " in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (RuntimeError("boom"), 3, "exoplan hit a bug (the traceback is above)"),
        (KeyboardInterrupt(), 130, "error: interrupted"),
    ],
)
def test_bugs_exit_3_with_a_traceback_and_interrupts_130(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: BaseException,
    code: int,
    message: str,
) -> None:
    def handler(args: argparse.Namespace) -> int:
        raise raised

    monkeypatch.setattr("reconciler.cli.validate.run_validate", handler)
    assert cli.main(["validate"]) == code
    err = capsys.readouterr().err
    assert message in err
    assert ("Traceback" in err) is (code == 3)
