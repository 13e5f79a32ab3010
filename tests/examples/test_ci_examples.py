"""The CI examples, the pre-commit hook and docs/gitops.md, checked against the real CLI.

Every ``exoplan ...`` command the pipelines run is parsed by exoplan's own argument
parser, so a renamed command or option breaks this test before it breaks a user's
pipeline; on GitHub those are the commands the action (action.yml) builds from each
step's inputs. The shell snippets, the action's included, are syntax-checked with
``bash -n``, and GitLab's plan step is run with a stand-in ``exoplan`` to prove that
exit 2 (changes) passes and exit 1 or 3 fails (test_action.py does the same for
the action). Offline and fast: nothing is installed, nothing reaches the network.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli.main import build_parser
from tests.support.action import exoplan_step
from tests.support.markdown import relative_links
from tests.support.project import REPO

ACTION = REPO / "action.yml"
EXOPLAN_ACTION = "YOUR-ORG/exoplan@<ref>"  # the placeholder the example pins
GITHUB = REPO / "examples" / "ci" / "github-actions.yml"
GITLAB = REPO / "examples" / "ci" / "gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
GITOPS = REPO / "docs" / "gitops.md"
MARKER = "<!-- exoplan-plan -->"
CORE_COMMANDS = {"validate", "plan", "apply"}
GITLAB_RESERVED = {"workflow", "stages", "variables", "default", "include", "image", "services"}
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# `exoplan` where a shell command starts: line start, after an operator or a keyword.
_INVOCATION = re.compile(
    r"(?:^|&&|\|\||[;|(!]|\b(?:if|then|else|do))[ \t]*exoplan[ \t]+(?P<rest>.*)$", re.M
)
_OPERATORS = set(";&|<>()")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- the scripts each file runs ------------------------------------------------------


def github_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = load(GITHUB)["jobs"]
    return jobs


def github_runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def github_step(job: str, needle: str) -> dict[str, Any]:
    """The step of ``job`` whose ``run`` contains ``needle``."""
    for step in github_jobs()[job]["steps"]:
        if needle in step.get("run", ""):
            found: dict[str, Any] = step
            return found
    raise AssertionError(f"no step of job {job!r} runs {needle!r}")


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    data = load(GITLAB)
    return {name: job for name, job in data.items() if name not in GITLAB_RESERVED}


def gitlab_job_script(job: dict[str, Any], key: str) -> list[str]:
    default = load(GITLAB).get("default", {})
    items = job.get(key, default.get(key, [])) if key == "before_script" else job.get(key, [])
    return [items] if isinstance(items, str) else list(items)


def gitlab_shells() -> dict[str, str]:
    """Per job, the shell GitLab runs: before_script + script, and after_script."""
    shells = {}
    for name, job in gitlab_jobs().items():
        main = gitlab_job_script(job, "before_script") + gitlab_job_script(job, "script")
        shells[name] = "\n".join(main)
        if job.get("after_script"):
            shells[f"{name} (after_script)"] = "\n".join(gitlab_job_script(job, "after_script"))
    return shells


def action_steps(job: str) -> list[dict[str, Any]]:
    """The steps of ``job`` that use the exoplan action."""
    return [s for s in github_jobs()[job]["steps"] if s.get("uses") == EXOPLAN_ACTION]


def action_invocations(step: dict[str, Any]) -> list[list[str]]:
    """The exoplan commands the action runs for ``step``'s inputs (workflow env resolved).

    Inputs set from an earlier step's output take their most permissive value.
    """
    env = load(GITHUB)["env"]
    values = {}
    for name, value in step.get("with", {}).items():
        value = re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: env[m[1]], str(value))
        values[f"INPUT_{name.upper().replace('-', '_')}"] = re.sub(r"\$\{\{.*?\}\}", "true", value)
    inputs = exoplan_step.read_inputs(values)
    argv = exoplan_step.exoplan_argv(inputs, Path("out"))
    if inputs.command == "plan":  # the action validates first, for the annotations
        return [["validate", "-f", inputs.manifest], argv]
    return [argv]


def action_scripts() -> list[str]:
    steps = load(ACTION)["runs"]["steps"]
    return [step["run"] for step in steps if "run" in step]


def all_scripts() -> dict[str, list[str]]:
    github = [run for job in github_jobs().values() for run in github_runs(job)]
    github += action_scripts()
    return {"github": github, "gitlab": list(gitlab_shells().values())}


# --- exoplan invocations, parsed by the real CLI -------------------------------------


def invocations(script: str) -> Iterator[list[str]]:
    """argv (without "exoplan") of every exoplan command in a shell script."""
    text = re.sub(r"\\\n\s*", " ", script)
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
    for match in _INVOCATION.finditer(text):
        yield _argv(match["rest"])


def _argv(rest: str) -> list[str]:
    lexer = shlex.shlex(rest, posix=True, punctuation_chars="".join(sorted(_OPERATORS)))
    lexer.whitespace_split = True
    words: list[str] = []
    for word in lexer:
        if set(word) <= _OPERATORS:
            break
        words.append(word)
    if len(words) > 1 and words[-1].isdigit():  # "2>" lexes as "2", ">"
        words.pop()
    return words


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            choices: dict[str, argparse.ArgumentParser] = action.choices
            return choices
    raise AssertionError("exoplan's parser has no subcommands")


def _expand(word: str) -> str:
    """``${FLAG:+--opt}`` is the option when FLAG is set; other expansions stay as they are."""
    return re.sub(r"\$\{\w+:\+([^}]*)\}", r"\1", word)


def check_invocation(argv: list[str], where: str) -> None:
    """Each subcommand and option exists, and the real parser accepts the command."""
    parser = build_parser()
    assert argv, f"{where}: `exoplan` without a command"
    if argv[0].startswith("-"):
        assert argv[0] in parser._option_string_actions, f"{where}: exoplan has no {argv[0]}"
        return
    commands = subcommands(parser)
    assert argv[0] in commands, (
        f"{where}: `exoplan {argv[0]}` is not a command ({sorted(commands)})"
    )
    words = _checked_words(commands[argv[0]], argv, where)
    try:
        parser.parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"{where}: exoplan rejects `exoplan {shlex.join(argv)}` (exit {exc.code})")


def _checked_words(command: argparse.ArgumentParser, argv: list[str], where: str) -> list[str]:
    """argv with every option checked, and bare ``$VAR`` words (maybe empty) dropped."""
    words, expect_value = [argv[0]], False
    for word in map(_expand, argv[1:]):
        if expect_value:
            words.append(word)
            expect_value = False
        elif word.startswith("-"):
            option = word.split("=", 1)[0]
            action = command._option_string_actions.get(option)
            assert action is not None, f"{where}: `exoplan {argv[0]}` has no option {option}"
            words.append(word)
            expect_value = action.nargs != 0 and "=" not in word
        elif word and not word.startswith("$"):
            words.append(word)
    return words


def test_the_cli_parser_is_walkable() -> None:
    commands = subcommands(build_parser())
    assert CORE_COMMANDS <= set(commands)
    assert "--detailed-exitcode" in commands["plan"]._option_string_actions


@pytest.mark.parametrize("flavour", ["github", "gitlab"])
def test_every_exoplan_command_in_the_pipelines_exists(flavour: str) -> None:
    seen: set[str] = set()
    commands = [argv for script in all_scripts()[flavour] for argv in invocations(script)]
    if flavour == "github":
        steps = [s for job in github_jobs() for s in action_steps(job)]
        commands += [argv for step in steps for argv in action_invocations(step)]
    for argv in commands:
        check_invocation(argv, f"{flavour}: exoplan {' '.join(argv)}")
        seen.add(argv[0])
    assert CORE_COMMANDS <= seen, f"{flavour} pipeline must run validate, plan and apply"


def test_invocations_are_found_where_shell_commands_start() -> None:
    script = (
        "# exoplan apply in a comment is not a command\n"
        'echo "exoplan plan failed"\n'
        'if ! exoplan validate -f "$M" 2> v.err; then exit 1; fi\n'
        "x=0; exoplan plan --out p.json > p.md 2> p.err || x=$?\n"
        "exoplan apply \\\n  --auto-approve ${A:+--allow-release} 2>&1 | tee log\n"
    )
    assert list(invocations(script)) == [
        ["validate", "-f", "$M"],
        ["plan", "--out", "p.json"],
        ["apply", "--auto-approve", "${A:+--allow-release}"],
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plna"], "is not a command"),
        (["plan", "--detailed-exit-code"], "has no option --detailed-exit-code"),
        (["apply", "--yes"], "has no option --yes"),
        (["plan", "--format", "html"], "rejects"),
    ],
)
def test_a_wrong_command_is_caught(argv: list[str], message: str) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception), match=message):
        check_invocation(argv, "test")


# --- GitHub Actions ------------------------------------------------------------------


def test_github_workflow_triggers_plan_on_pull_requests_and_apply_on_main() -> None:
    data = load(GITHUB)
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    jobs = github_jobs()
    assert "pull_request" in jobs["plan"]["if"]
    assert "refs/heads/main" in jobs["apply"]["if"]


def test_github_apply_never_overlaps() -> None:
    concurrency = github_jobs()["apply"]["concurrency"]
    assert concurrency["group"] == "exoplan-apply"
    assert concurrency["cancel-in-progress"] is False


def test_github_apply_uses_the_secrets_and_auto_approve() -> None:
    (step,) = action_steps("apply")
    assert step["with"]["command"] == "apply"
    assert step["env"]["EXOTEL_API_KEY"] == "${{ secrets.EXOTEL_API_KEY }}"
    assert step["env"]["EXOTEL_API_TOKEN"] == "${{ secrets.EXOTEL_API_TOKEN }}"
    (argv,) = action_invocations(step)
    assert "--auto-approve" in argv
    assert step["with"]["allow-release"] == "${{ steps.release.outputs.allow }}", (
        "releases must be opt-in"
    )


def test_github_plan_job_holds_no_secrets_and_cannot_write_code() -> None:
    data = load(GITHUB)
    assert data["permissions"] == {}
    plan = github_jobs()["plan"]
    assert "secrets." not in yaml.safe_dump(plan)
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert github_jobs()["apply"]["permissions"]["contents"] == "write"


def test_github_plan_is_detailed_markdown_saved_and_commented() -> None:
    (step,) = action_steps("plan")
    assert step["with"]["command"] == "plan"
    assert step["with"].get("comment", "true") == "true", "the comment is what reviewers read"
    (validate, plan) = action_invocations(step)
    assert validate[0] == "validate"
    assert {"--detailed-exitcode", "--out"} <= set(plan)
    assert plan[plan.index("--format") + 1] == "markdown"


def test_github_uses_only_outputs_the_action_has() -> None:
    outputs = set(load(ACTION)["outputs"])
    text = GITHUB.read_text(encoding="utf-8")
    ids = {s["id"] for job in github_jobs() for s in action_steps(job)}
    used = re.findall(r"steps\.(\w+)\.outputs\.([\w-]+)", text)
    assert {name for step, name in used if step in ids} <= outputs
    assert ids == {"plan", "apply"}


def test_github_pins_the_action_with_the_placeholder_only() -> None:
    uses = re.findall(r"uses:\s*(\S+)", GITHUB.read_text(encoding="utf-8"))
    ours = [u for u in uses if "exoplan" in u]
    assert ours and set(ours) == {EXOPLAN_ACTION}


def test_github_apply_keeps_the_state_even_after_a_failure() -> None:
    commit = github_step("apply", "git push")
    assert "always()" in commit["if"]
    assert "[skip ci]" in commit["run"]
    assert "$EXOPLAN_STATE.journal" in commit["run"]
    steps = github_jobs()["apply"]["steps"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert "always()" in upload["if"]
    assert ".journal" in upload["with"]["path"]


def test_github_apply_checks_out_the_branch_head_not_the_pushed_commit() -> None:
    checkout = github_jobs()["apply"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout")
    assert checkout["with"]["ref"] == "${{ github.ref_name }}"


# --- GitLab CI -----------------------------------------------------------------------


def test_gitlab_plans_merge_requests_and_applies_the_default_branch() -> None:
    jobs = gitlab_jobs()
    assert jobs["plan"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert "$CI_DEFAULT_BRANCH" in jobs["apply"]["rules"][0]["if"]


def test_gitlab_apply_is_serialised_and_never_interrupted() -> None:
    apply = gitlab_jobs()["apply"]
    assert apply["resource_group"] == "exoplan-apply"
    assert apply["interruptible"] is False


def test_gitlab_apply_auto_approves_and_commits_the_state_back() -> None:
    shell = gitlab_shells()["apply"]
    applies = [argv for argv in invocations(shell) if argv[0] == "apply"]
    assert applies and all("--auto-approve" in argv for argv in applies)
    assert "[skip ci]" in shell and "EXOPLAN_PUSH_TOKEN" in shell
    assert "commit_state" in gitlab_shells()["apply (after_script)"]
    artifacts = gitlab_jobs()["apply"]["artifacts"]
    assert artifacts["when"] == "always"
    assert any(path.endswith(".journal") for path in artifacts["paths"])


def test_gitlab_keeps_credentials_out_of_the_file() -> None:
    assert not {"EXOTEL_API_KEY", "EXOTEL_API_TOKEN"} & set(load(GITLAB)["variables"])


def test_gitlab_note_is_found_by_the_marker() -> None:
    shell = gitlab_shells()["plan"]
    assert MARKER in shell and "GITLAB_TOKEN" in shell and '"PUT"' in shell


# --- the plan step's exit-code handling, run for real ---------------------------------


def fake_exoplan(tmp_path: Path, code: int) -> dict[str, str]:
    """An environment whose `exoplan` writes a markdown plan, warns, and exits ``code``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "exoplan"
    fake.write_text(
        f"#!/bin/sh\necho '{MARKER}'\necho 'warning: a journal is left' >&2\nexit {code}\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXOTEL_", "GITHUB_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        EXOPLAN_MANIFEST="numbers.yaml",
        EXOPLAN_STATE="numbers.state.json",
        GITHUB_OUTPUT=str(tmp_path / "github_output"),
    )
    return env


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> int:
    assert BASH is not None
    return subprocess.run([BASH, "-eo", "pipefail", "-c", script], cwd=cwd, env=env).returncode


@needs_bash
@pytest.mark.parametrize(("code", "passes"), [(0, True), (2, True), (1, False), (3, False)])
def test_gitlab_plan_passes_on_0_and_2_and_fails_on_1_and_3(
    tmp_path: Path, code: int, passes: bool
) -> None:
    script = gitlab_job_script(gitlab_jobs()["plan"], "script")
    (plan,) = [item for item in script if "exoplan plan -f" in item]
    (verdict,) = [item for item in script if '"$code" != 0' in item]
    env = fake_exoplan(tmp_path, code)
    assert (run_bash(f"{plan}\n{verdict}", tmp_path, env) == 0) == passes
    plan_md = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert plan_md.startswith(MARKER)
    assert ("plan failed" not in plan_md) == passes


@needs_bash
@pytest.mark.parametrize(
    "name",
    [f"github {i}" for i in range(len(all_scripts()["github"]))] + sorted(gitlab_shells()),
)
def test_shell_snippets_are_valid_bash(name: str, tmp_path: Path) -> None:
    if name.startswith("github "):
        script = all_scripts()["github"][int(name.split()[1])]
    else:
        script = gitlab_shells()[name]
    script = re.sub(r"\$\{\{.*?\}\}", "x", script)
    (tmp_path / "snippet.sh").write_text(script, encoding="utf-8")
    assert BASH is not None
    result = subprocess.run([BASH, "-n", "snippet.sh"], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


# --- committing the state back, run for real against a local "origin" -------------

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None or BASH is None, reason="git and bash are needed")
GITLAB_PUSH_URL = "https://exoplan:token@gitlab.invalid:443/group/phones.git"


def git(cwd: Path, *args: str) -> str:
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.invalid")
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, env=git_env(cwd), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def git_env(home: Path) -> dict[str, str]:
    """No global or system git config: like a fresh runner, no identity configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "EXOTEL_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def main_moved_on(tmp_path: Path) -> tuple[Path, Path]:
    """A bare origin, a checkout of main, and a newer commit pushed by someone else."""
    origin, work, other = tmp_path / "origin.git", tmp_path / "work", tmp_path / "other"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    git(work, "commit", "--quiet", "--allow-empty", "-m", "init")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    git(other, "commit", "--quiet", "--allow-empty", "-m", "another merge")
    git(other, "push", "--quiet", "origin", "HEAD:main")
    return origin, work


def commit_step(flavour: str, origin: Path, home: Path) -> tuple[str, dict[str, str]]:
    env = git_env(home) | {"EXOPLAN_STATE": "numbers.state.json"}
    if flavour == "github":
        step = github_step("apply", "git push")
        return step["run"], env | step["env"] | {"GITHUB_REF_NAME": "main", "GITHUB_SHA": "f" * 40}
    script = gitlab_job_script(gitlab_jobs()["apply"], "script")
    (define,) = [item for item in script if "commit_state() {" in item]
    env |= {
        "CI_SERVER_PROTOCOL": "https",
        "CI_SERVER_HOST": "gitlab.invalid",
        "CI_SERVER_PORT": "443",
        "CI_PROJECT_PATH": "group/phones",
        "EXOPLAN_PUSH_TOKEN": "token",
        "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_SHORT_SHA": "ffffffff",
        # send the push URL the job builds to the local origin instead
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{origin}.insteadOf",
        "GIT_CONFIG_VALUE_0": GITLAB_PUSH_URL,
    }
    return f"{define}\ncommit_state", env


@needs_git
@pytest.mark.parametrize("flavour", ["github", "gitlab"])
def test_state_and_journal_are_committed_back_onto_a_moved_main(
    tmp_path: Path, flavour: str
) -> None:
    origin, work = main_moved_on(tmp_path)
    script, env = commit_step(flavour, origin, tmp_path)
    (work / "numbers.state.json").write_text('{"serial": 1}', encoding="utf-8")
    (work / "numbers.state.json.journal").write_text("{}", encoding="utf-8")
    assert run_bash(script, work, env) == 0
    assert "[skip ci]" in git(origin, "log", "-1", "--format=%s", "main")
    assert "another merge" in git(origin, "log", "--format=%s", "main"), "rebased, not forced"
    tree = git(origin, "ls-tree", "--name-only", "main").split()
    assert {"numbers.state.json", "numbers.state.json.journal"} <= set(tree)

    (work / "numbers.state.json.journal").unlink()  # the next apply settled it
    assert run_bash(script, work, env) == 0
    assert "numbers.state.json.journal" not in git(origin, "ls-tree", "--name-only", "main")
    head = git(origin, "rev-parse", "main")
    assert run_bash(script, work, env) == 0  # nothing changed: no empty commit
    assert git(origin, "rev-parse", "main") == head


# --- pre-commit ----------------------------------------------------------------------


def the_hook() -> dict[str, Any]:
    (hook,) = load(HOOKS)
    found: dict[str, Any] = hook
    return found


def test_precommit_hook_is_declared() -> None:
    hook = the_hook()
    assert hook["id"] == "exoplan-validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert shlex.split(hook["entry"])[:2] == ["exoplan", "validate"]


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("numbers.yaml", True),
        ("numbers.yml", True),
        ("ops/phones/numbers.yaml", True),
        ("numbers.state.json", False),
        ("my-numbers.yaml", False),
        (".github/workflows/exoplan.yml", False),
    ],
)
def test_precommit_hook_selects_manifests(path: str, matches: bool) -> None:
    assert (re.search(the_hook()["files"], path) is not None) == matches


def test_precommit_hook_entry_exists_in_the_cli() -> None:
    argv = shlex.split(the_hook()["entry"])[1:]
    check_invocation(argv, "hook entry")


def test_precommit_hook_validates_every_file_it_is_given() -> None:
    validate = subcommands(build_parser())["validate"]
    assert validate._get_positional_actions(), (
        "`exoplan validate FILE...` (positional manifests) is missing from the CLI, "
        "but the pre-commit hook passes it the staged files"
    )
    argv = [*shlex.split(the_hook()["entry"])[1:], "a/numbers.yaml", "b/numbers.yml"]
    check_invocation(argv, "hook entry with two staged manifests")


# --- docs/gitops.md ------------------------------------------------------------------

GITOPS_TOPICS = [
    "numbers.state.json",
    ".lock",
    ".backup",
    ".journal",
    "never edit",
    "EXOTEL_API_KEY",
    "EXOTEL_API_TOKEN",
    "secret",
    "--detailed-exitcode",
    MARKER,
    "sha256",
    "serial",
    "protect",
    "--allow-release",
    "[!CAUTION]",
    "monthly rental",
    "drift",
    "--auto-approve",
    "concurrency",
    "resource_group",
    "[skip ci]",
    "force-unlock",
    "revert",
    "exoplan plan --refresh",
    "exoplan refresh",
    "exoplan export",
    "exoplan import --all",
    "yaml-language-server",
    "yaml.schemas",
    ".pre-commit-config.yaml",
    "rev:",
    "exoplan-validate",
]


def gitops_text() -> str:
    assert GITOPS.is_file(), "docs/gitops.md is missing"
    return GITOPS.read_text(encoding="utf-8")


@pytest.mark.parametrize("topic", GITOPS_TOPICS)
def test_gitops_guide_covers(topic: str) -> None:
    assert topic.lower() in gitops_text().lower()


def test_gitops_guide_has_relative_links() -> None:
    links = relative_links(gitops_text())
    assert any(link.startswith("../examples/ci/") for link in links)
    assert "../.pre-commit-hooks.yaml" in links


README = REPO / "README.md"


@pytest.mark.parametrize(
    "path", [GITHUB, GITLAB, HOOKS, GITOPS, ACTION, README, GITHUB.parent / "github-drift.yml"]
)
def test_no_machine_paths(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(?<![\w.])/(?:work|home|Users|root)/", text)
