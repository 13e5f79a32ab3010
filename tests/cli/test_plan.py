"""`exoplan plan`, run as a real subprocess: actions, formats, exit codes, read-only state."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.cli.io import use_color
from reconciler.manifest.schema import schema
from tests.support.fixtures import copy_fixture
from tests.support.project import (
    LINEAGE,
    STATE,
    snapshot,
    voice_url,
    write_manifest,
    write_state,
)
from tests.support.run import FAST, Runner, exoplan, run_on_terminal
from tests.support.sandbox import assert_no_secrets, new_sandbox

EXOTEL_IN = "https://my.exotel.in/acme1/exoml/start_voice/123456"
EXPECTED_TEXT = (
    "exoplan will change account acme1:\n"
    "\n"
    '  + purchase +918030240001  "Support line"\n'
    "        voice_flow: support-ivr (app 123456)\n"
    '  ~ update   +918030240003  "New name"\n'
    '        friendly_name: "Old name" -> "New name"\n'
    '  - release  +918030240009  "Old desk"  (rental 499.00 INR/month)\n'
    "        calls in the last 30 days are checked at apply\n"
    "\n"
    "Plan: 1 to purchase, 1 to update, 1 to release. 1 unchanged.\n"
    "Monthly rental: -499.00 INR, net -499.00 INR/month\n"
    "1 purchase has no known price (plan --refresh looks prices up).\n"
    "Warning: 1 number will be released. A released number is gone for good; "
    "apply refuses releases unless given --allow-release.\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """numbers.yaml and a state that make one action of each kind."""
    copy_fixture("good-all-actions.yaml", tmp_path, "numbers.yaml")
    write_state(
        tmp_path / STATE,
        {
            "+918030240003": {"friendly_name": "Old name"},
            "+918030240005": {"voice_url": EXOTEL_IN},
            "+918030240009": {"friendly_name": "Old desk", "rental_price": "499.000000"},
        },
        serial=7,
    )
    return tmp_path


def test_text_plan_shows_each_action_kind(run_exoplan: Runner, project: Path) -> None:
    result = run_exoplan("plan")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == EXPECTED_TEXT


def test_json_plan_has_each_action_kind_and_validates(run_exoplan: Runner, project: Path) -> None:
    result = run_exoplan("plan", "--format", "json")
    assert result.code == 0
    data = json.loads(result.stdout)
    assert list(Draft202012Validator(schema("plan")).iter_errors(data)) == []
    assert [(a["action"], a["number"]) for a in data["actions"]] == [
        ("purchase", "+918030240001"),
        ("update", "+918030240003"),
        ("release", "+918030240009"),
    ]
    assert data["actions"][1]["params"] == {"FriendlyName": "New name"}
    assert data["actions"][2]["rental"] == {"price": "499.000000", "currency": "INR"}
    assert data["summary"] == {
        "purchase": 1,
        "update": 1,
        "quarantine": 0,
        "release": 1,
        "unchanged": 1,
    }
    assert data["state"] == {"path": STATE, "lineage": LINEAGE, "serial": 7}
    sha = hashlib.sha256((project / "numbers.yaml").read_bytes()).hexdigest()
    assert data["manifest"] == {"path": "numbers.yaml", "sha256": sha}


def test_the_json_alias_is_the_json_format(run_exoplan: Runner, project: Path) -> None:
    assert run_exoplan("plan", "--json").stdout == run_exoplan("plan", "--format", "json").stdout


def test_markdown_plan(run_exoplan: Runner, project: Path) -> None:
    result = run_exoplan("plan", "--format", "markdown")
    assert result.code == 0
    text = result.stdout
    assert text.startswith("<!-- exoplan-plan -->\n")
    assert "**1 to purchase, 1 to update, 1 to release** (1 unchanged)" in text
    assert "> **1 number will be released.**" in text
    assert "| `+918030240009` | Old desk | 499.00 INR |" in text
    sha = hashlib.sha256((project / "numbers.yaml").read_bytes()).hexdigest()
    assert f"sha256 `{sha[:12]}` · state serial 7, lineage `{LINEAGE[:8]}`" in text
    assert run_exoplan("plan", "--format", "json").stdout.count(sha) == 1, "in full in JSON"
    assert run_exoplan("plan", "--format", "markdown").stdout == text


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_no_changes_in_every_format(run_exoplan: Runner, tmp_path: Path, fmt: str) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    write_state(tmp_path / STATE, ["+918030240001"])
    result = run_exoplan("plan", "--format", fmt, "--detailed-exitcode")
    assert result.code == 0
    if fmt == "text":
        assert result.stdout == "No changes. 1 number matches the manifest.\n"
    elif fmt == "markdown":
        assert "**No changes.** 1 numbers match the manifest." in result.stdout
    else:
        assert json.loads(result.stdout)["actions"] == []


@pytest.mark.parametrize(
    ("setup", "args", "code"),
    [
        ("no-changes", (), 0),
        ("no-changes", ("--detailed-exitcode",), 0),
        ("changes", (), 0),
        ("changes", ("--detailed-exitcode",), 2),
        ("changes", ("--detailed-exitcode", "--format", "json"), 2),
        ("bad-manifest", ("--detailed-exitcode",), 1),
        ("bad-state", ("--detailed-exitcode",), 1),
        ("protected-release", ("--detailed-exitcode",), 1),
    ],
)
def test_exit_codes(
    run_exoplan: Runner, tmp_path: Path, setup: str, args: tuple[str, ...], code: int
) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    if setup == "no-changes":
        write_state(tmp_path / STATE, ["+918030240001"])
    elif setup == "bad-manifest":
        copy_fixture("bad-unknown-flow.yaml", tmp_path, "numbers.yaml")
    elif setup == "bad-state":
        (tmp_path / STATE).write_text("{not json")
    elif setup == "protected-release":
        write_state(tmp_path / STATE, {"+918030240001": {}, "+918030240002": {"protect": True}})
    result = run_exoplan("plan", *args)
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert result.stdout == ""


def test_releasing_a_protected_number_is_refused_naming_it(
    run_exoplan: Runner, tmp_path: Path
) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    write_state(tmp_path / STATE, {"+918030240001": {}, "+918030240002": {"protect": True}})
    result = run_exoplan("plan")
    assert result.code == 1
    assert result.stderr.startswith(
        "error: numbers.yaml no longer lists protected number(s) +918030240002, "
        "so the plan would release them."
    )


@pytest.mark.parametrize(
    "written", ["+918030240001", "918030240001", "08030240001", "+91 80302 40001"]
)
def test_every_spelling_of_a_managed_number_is_no_change(
    run_exoplan: Runner, tmp_path: Path, written: str
) -> None:
    write_manifest(
        tmp_path,
        f'version: 1\naccount:\n  sid: acme1\nnumbers:\n  - number: "{written}"\n',
    )
    write_state(tmp_path / STATE, ["+918030240001"])
    result = run_exoplan("plan", "--detailed-exitcode")
    assert (result.code, result.stdout) == (0, "No changes. 1 number matches the manifest.\n")


@pytest.mark.parametrize(
    "url",
    [
        voice_url(123456),
        "https://my.exotel.in/acme1/exoml/start_voice/123456",
        "https://my.exotel.com/exoml/start/123456",
    ],
)
def test_every_url_form_of_the_same_app_id_is_no_change(
    run_exoplan: Runner, tmp_path: Path, url: str
) -> None:
    write_manifest(
        tmp_path,
        "version: 1\naccount:\n  sid: acme1\nflows:\n  ivr:\n    app_id: 123456\n"
        'numbers:\n  - number: "+918030240001"\n    voice_flow: ivr\n',
    )
    write_state(tmp_path / STATE, {"+918030240001": {"voice_url": url}})
    result = run_exoplan("plan", "--detailed-exitcode")
    assert (result.code, result.stdout) == (0, "No changes. 1 number matches the manifest.\n")


def test_a_url_without_an_app_id_is_shown_and_updated(run_exoplan: Runner, tmp_path: Path) -> None:
    write_manifest(
        tmp_path,
        "version: 1\naccount:\n  sid: acme1\nflows:\n  ivr:\n    app_id: 123456\n"
        'numbers:\n  - number: "+918030240001"\n    voice_flow: ivr\n',
    )
    write_state(tmp_path / STATE, {"+918030240001": {"voice_url": "https://example.com/hook"}})
    result = run_exoplan("plan", "--detailed-exitcode")
    assert result.code == 2
    assert "        voice_flow: https://example.com/hook -> ivr (app 123456)\n" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "error: {path}:1:2: the state file is not valid JSON"),
        (b'{"format": "other"}', 'error: {path}: not an exoplan state file (no "format"'),
        (
            b'{"format": "exoplan-state", "version": 9}',
            "error: {path}: state format version 9 is not supported",
        ),
        (
            b'{"format": "exoplan-state", "version": 1, "lineage": "x", "serial": "7",'
            b' "numbers": {}}',
            "error: {path}: the state file is damaged (serial must be a whole number >= 0)",
        ),
    ],
)
def test_a_bad_state_is_an_error_naming_it_and_left_byte_identical(
    run_exoplan: Runner, tmp_path: Path, content: bytes, message: str
) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    (tmp_path / "prod.json").write_bytes(content)
    before = snapshot(tmp_path)
    result = run_exoplan("plan", "--state", "prod.json")
    assert result.code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(message.format(path="prod.json"))
    assert snapshot(tmp_path) == before


def test_an_unreadable_state_is_an_error_naming_it(run_exoplan: Runner, tmp_path: Path) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    (tmp_path / STATE).mkdir()
    result = run_exoplan("plan")
    assert result.code == 1
    assert result.stderr == (
        f"error: {STATE}: the state file is not a regular file (a folder): point --state at "
        "the state file\n"
    )


def test_a_state_of_another_account_is_refused(run_exoplan: Runner, tmp_path: Path) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    write_state(tmp_path / STATE, [], account_sid="other9")
    result = run_exoplan("plan")
    assert result.code == 1
    assert "belongs to account 'other9'" in result.stderr


def test_the_state_path_follows_the_manifest(run_exoplan: Runner, tmp_path: Path) -> None:
    (tmp_path / "prod").mkdir()
    copy_fixture("good-minimal.yaml", tmp_path / "prod", "numbers.yaml")
    write_state(tmp_path / "prod" / STATE, ["+918030240001"])
    result = run_exoplan("plan", "-f", "prod/numbers.yaml", "--json")
    assert json.loads(result.stdout)["state"]["path"] == f"prod/{STATE}"
    assert json.loads(result.stdout)["actions"] == []


@pytest.mark.parametrize("state_args", [(), ("--state", "elsewhere.json")])
def test_plan_without_a_state_creates_nothing(
    run_exoplan: Runner, tmp_path: Path, state_args: tuple[str, ...]
) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    before = snapshot(tmp_path)
    result = run_exoplan("plan", *state_args)
    assert result.code == 0
    assert "+ purchase +918030240001" in result.stdout
    assert snapshot(tmp_path) == before  # no state, .lock, .backup or temp file


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_plan_never_changes_an_existing_state(run_exoplan: Runner, project: Path, fmt: str) -> None:
    os.utime(project / STATE, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot(project)
    assert run_exoplan("plan", "--format", fmt, "--detailed-exitcode").code == 2
    assert snapshot(project) == before
    assert (project / STATE).stat().st_mtime_ns == 1_000_000_000


def test_plan_reads_a_locked_state_and_leaves_the_lock_alone(
    run_exoplan: Runner, project: Path
) -> None:
    # An apply elsewhere holds the lock; plan only reads, so it neither waits nor unlocks.
    holder = {"id": "x", "pid": 4242, "host": "ci-7", "time": "t", "command": "exoplan apply"}
    (project / f"{STATE}.lock").write_text(json.dumps(holder))
    before = snapshot(project)
    result = run_exoplan("plan")
    assert (result.code, result.stdout) == (0, EXPECTED_TEXT)
    assert snapshot(project) == before


def test_out_saves_the_plan_with_the_state_and_manifest_identity(
    run_exoplan: Runner, project: Path
) -> None:
    before = snapshot(project)
    result = run_exoplan("plan", "--out", "plan.json")
    assert result.code == 0
    assert result.stdout == EXPECTED_TEXT
    assert (
        result.stderr == "Saved the plan to plan.json; apply it with `exoplan apply plan.json`.\n"
    )
    data = json.loads((project / "plan.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema("plan")).iter_errors(data)) == []
    assert data["state"] == {"path": STATE, "lineage": LINEAGE, "serial": 7}
    sha = hashlib.sha256((project / "numbers.yaml").read_bytes()).hexdigest()
    assert data["manifest"]["sha256"] == sha
    assert json.loads(run_exoplan("plan", "--json").stdout) == data
    after = snapshot(project)
    del after["plan.json"]
    assert after == before  # only the plan file was written


def test_out_without_a_state_records_no_lineage(run_exoplan: Runner, tmp_path: Path) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    assert run_exoplan("plan", "--out", "plan.json", "--json").code == 0
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert data["state"] == {"path": STATE, "lineage": None, "serial": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml", "plan.json"]


def test_out_into_a_missing_folder_is_an_error(run_exoplan: Runner, project: Path) -> None:
    result = run_exoplan("plan", "--out", "nope/plan.json")
    assert result.code == 1
    assert result.stderr == (
        "error: nope/plan.json: could not write the plan file (No such file or directory)\n"
    )


def test_credentials_never_appear_in_a_plan(project: Path) -> None:
    """plan --refresh reads the credentials and sends them (to the sandbox, which accepts
    only these); they reach no output, saved plan or state, in any format, even with -v."""
    owned = [{"phone_number": n} for n in ("+918030240003", "+918030240005", "+918030240009")]
    outputs: list[str] = []
    with new_sandbox(owned, api_key="key-secret-1", api_token="token-secret-2") as sandbox:
        for fmt in ("text", "markdown", "json"):
            args = ("--refresh", "-v", *FAST, "--format", fmt, "--out", f"plan-{fmt}.json")
            result = exoplan(sandbox, project, "plan", *args)
            assert result.code == 0, result.stderr
            outputs += [result.stdout, result.stderr]
        statuses = [status for _, _, status in sandbox.request_log]
    assert statuses and set(statuses) == {200}  # the credentials were sent, and accepted
    files = {path.name for path in assert_no_secrets(sandbox, project, outputs)}
    assert {STATE, "plan-text.json", "plan-markdown.json", "plan-json.json"} <= files


def run_on_tty(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run exoplan with stdout on a pseudo-terminal; returns what it printed there."""
    result = run_on_terminal(cwd, *args, env=env, terminal=("stdout",))
    assert result.code == 0, result.stderr
    return result.stdout.replace("\r\n", "\n")


def test_colour_on_a_terminal(project: Path) -> None:
    output = run_on_tty(["plan"], project)
    assert "\033[32m+\033[0m purchase +918030240001" in output
    assert "\033[31m-\033[0m release  +918030240009" in output


@pytest.mark.parametrize(
    ("args", "env"),
    [(["plan", "--no-color"], None), (["plan"], {"NO_COLOR": "1"}), (["plan", "--json"], None)],
)
def test_no_colour_on_a_terminal_when_asked(
    project: Path, args: list[str], env: dict[str, str] | None
) -> None:
    output = run_on_tty(args, project, env)
    assert "purchase" in output
    assert "\033" not in output


def test_no_colour_when_piped(run_exoplan: Runner, project: Path) -> None:
    assert "\033" not in run_exoplan("plan").stdout


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "no_color_flag", "no_color_env", "expected"),
    [
        (True, False, None, True),
        (False, False, None, False),
        (True, True, None, False),
        (True, False, "1", False),
        (True, False, "", True),  # no-color.org: only a non-empty NO_COLOR counts
    ],
)
def test_use_color(
    monkeypatch: pytest.MonkeyPatch,
    tty: bool,
    no_color_flag: bool,
    no_color_env: str | None,
    expected: bool,
) -> None:
    if no_color_env is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color_env)
    args = argparse.Namespace(no_color=no_color_flag)
    assert use_color(args, FakeStream(tty)) is expected
