"""The exoplan GitHub Action's main step: run one exoplan command and report it.

action.yml hands the inputs over as ``INPUT_*`` variables. This script runs ``exoplan
validate``, ``plan``, ``apply`` or ``drift``, turns ``FILE:LINE:COLUMN: message`` lines into
annotations, writes the step outputs (exitcode, has-changes, plan-markdown, plan-json,
has-drift, drift-markdown) and the job summary, and for ``plan`` writes the comment body:
exoplan's Markdown plan, its warnings appended within the room exoplan leaves for them,
or the error when the plan failed (``drift`` likewise writes the drift issue's body).
It exits 0 whatever exoplan did; the action's last step decides.

Standard library only: it runs on whatever Python the job has.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

MARKER = "<!-- exoplan-plan -->"
DRIFT_MARKER = "<!-- exoplan-drift -->"
GITHUB_LIMIT = 65_536  # characters in one pull-request comment
SUMMARY_LOG = 60_000  # characters of a log shown in the job summary
COMMANDS = ("validate", "plan", "apply", "drift")
_LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>[0-9]+):(?P<col>[0-9]+): (?P<message>.+)$")


class InputError(Exception):
    """An input of the action has a value it cannot use."""


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, checked."""

    command: str
    manifest: str
    state: str
    allow_release: bool
    max_monthly_increase: str


def read_inputs(env: Mapping[str, str]) -> Inputs:
    command = env.get("INPUT_COMMAND", "plan").strip() or "plan"
    if command not in COMMANDS:
        raise InputError(f"input command must be validate, plan, apply or drift, not {command!r}")
    return Inputs(
        command=command,
        manifest=env.get("INPUT_MANIFEST", "").strip() or "numbers.yaml",
        state=env.get("INPUT_STATE", "").strip(),
        allow_release=_flag(env, "INPUT_ALLOW_RELEASE"),
        max_monthly_increase=env.get("INPUT_MAX_MONTHLY_INCREASE", "").strip(),
    )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower() or "false"
    if value not in ("true", "false"):
        label = name.removeprefix("INPUT_").lower().replace("_", "-")
        raise InputError(f"input {label} must be true or false, not {value!r}")
    return value == "true"


def exoplan_argv(inputs: Inputs, out: Path) -> list[str]:
    """The exoplan command line (without ``exoplan``) that the inputs ask for."""
    argv = [inputs.command]
    for manifest in inputs.manifest.splitlines():  # a file or a directory, one a line
        argv += ["-f", manifest.strip()] if manifest.strip() else []
    if inputs.command == "validate":
        return argv
    if inputs.state:
        argv += ["--state", inputs.state]
    if inputs.command == "plan":
        argv += ["--detailed-exitcode", "--format", "markdown", "--out", str(out / "plan.json")]
    elif inputs.command == "drift":
        return argv + ["--format", "markdown"]  # exit 0 no drift, 2 drift
    else:
        argv += ["--auto-approve"] + (["--allow-release"] if inputs.allow_release else [])
    if inputs.max_monthly_increase:  # only exoplan versions with the budget gate know it
        argv += ["--max-monthly-increase", inputs.max_monthly_increase]
    return argv


def run_exoplan(argv: list[str], stream: bool = False) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``exoplan ARGV``; stderr also goes to the log.

    With ``stream``, stderr is merged into stdout and each line reaches the log as it
    comes (an apply may take minutes). exoplan runs in a session of its own, and a
    SIGINT or SIGTERM sent to this step (a cancelled job) is passed on to it once, so an
    apply can finish what is in flight and record it before the job ends.
    """
    # The handlers go in before the child starts: a signal in between is kept and passed
    # on as soon as there is a child to receive it, never lost.
    started: list[subprocess.Popen[str]] = []
    pending: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if started:
            started[0].send_signal(signum)
        else:
            pending.append(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        child = _start(argv, stream)
        started.append(child)
        for signum in pending:
            child.send_signal(signum)
        if stream:
            assert child.stdout is not None
            lines = []
            for line in child.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(line)
            return child.wait(), "".join(lines), ""
        stdout, stderr = child.communicate()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sys.stderr.write(stderr)
    return child.returncode, stdout, stderr


def _start(argv: list[str], stream: bool) -> subprocess.Popen[str]:
    """``exoplan ARGV`` in a session of its own, its output piped back."""
    return subprocess.Popen(
        ["exoplan", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if stream else subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )


def annotate(stderr: str) -> None:
    """One error annotation per located problem, on its line of the pull request's diff."""
    for line in stderr.splitlines():
        found = _LOCATED.match(line)
        if found:
            print(
                workflow_command(
                    "error",
                    found["message"],
                    file=found["file"],
                    line=found["line"],
                    col=found["col"],
                )
            )


def workflow_command(name: str, message: str, **properties: str) -> str:
    """``::name key=value,...::message`` with GitHub's escaping."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    props = ",".join(
        f"{key}={data(value).replace(':', '%3A').replace(',', '%2C')}"
        for key, value in properties.items()
    )
    return f"::{name}{' ' + props if props else ''}::{data(message)}"


def fenced(text: str) -> str:
    """``text`` in a code block that nothing inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"


def comment_body(code: int, stdout: str, stderr: str, run_url: str) -> str:
    """The comment body: the plan with its warnings, or why there is no plan."""
    if code in (0, 2):
        warnings = [line for line in stderr.splitlines() if line.startswith("warning:")]
        return fit(stdout, _warning_block(warnings))
    details = f"\n\nExit code {code}." + (f" Full log: {run_url}" if run_url else "")
    room = GITHUB_LIMIT - 200 - len(details)
    log = stderr if len(stderr) <= room else stderr[: room - 1] + "…"
    return f"{MARKER}\n### exoplan plan failed\n\n{fenced(log)}{details}\n"


def _warning_block(warnings: list[str]) -> str:
    if not warnings:
        return ""
    lines = [_escape(line) for line in warnings]
    return "\n> [!WARNING]\n" + "\n".join(f"> {line}" for line in lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(plan: str, appended: str, limit: int = GITHUB_LIMIT) -> str:
    """``plan`` then ``appended``, cut so that the whole stays within ``limit``.

    exoplan leaves room at the end of its plan for this; an older exoplan may not, and
    then the appended part is cut first, the plan itself only as a last resort.
    """
    if not plan.startswith(MARKER):
        plan = f"{MARKER}\n{plan}"
    note = "\n_Cut to fit a comment: the full plan is in the plan-json output._\n"
    if len(plan) + len(appended) <= limit:
        return plan + appended
    if len(plan) + len(note) <= limit:
        return plan + appended[: limit - len(plan) - len(note)] + note
    return plan[: limit - len(note)] + note


def write_output(name: str, value: str, env: Mapping[str, str]) -> None:
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return
    delimiter = f"EXOPLAN_{uuid.uuid4().hex}"
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_summary(markdown: str, env: Mapping[str, str]) -> None:
    target = env.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")


def _run_url(env: Mapping[str, str]) -> str:
    parts = [env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def _tail(text: str) -> str:
    return text if len(text) <= SUMMARY_LOG else "…" + text[-SUMMARY_LOG:]


def do_validate(inputs: Inputs, out: Path, env: Mapping[str, str]) -> int:
    code, stdout, stderr = run_exoplan(exoplan_argv(inputs, out))
    sys.stdout.write(stdout)
    annotate(stderr)
    result = "valid" if code == 0 else "invalid"
    write_summary(f"### exoplan validate: {result}\n\n{fenced(stdout + stderr)}", env)
    return code


def do_plan(inputs: Inputs, out: Path, env: Mapping[str, str]) -> int:
    check = Inputs("validate", inputs.manifest, "", False, "")
    annotate(run_exoplan(exoplan_argv(check, out))[2])
    code, stdout, stderr = run_exoplan(exoplan_argv(inputs, out))
    body = comment_body(code, stdout, stderr, _run_url(env))
    markdown = out / "plan.md"
    markdown.write_text(body, encoding="utf-8")
    print(body)
    write_summary(body, env)
    write_output("has-changes", "true" if code == 2 else "false", env)
    write_output("plan-markdown", str(markdown), env)
    plan_json = out / "plan.json"
    write_output("plan-json", str(plan_json) if plan_json.is_file() else "", env)
    return code


def do_apply(inputs: Inputs, out: Path, env: Mapping[str, str]) -> int:
    code, output, _ = run_exoplan(exoplan_argv(inputs, out), stream=True)
    log = out / "apply.log"
    log.write_text(output, encoding="utf-8")
    verdict = "applied" if code == 0 else f"failed (exit code {code})"
    write_summary(f"### exoplan apply: {verdict}\n\n{fenced(_tail(output))}", env)
    write_output("apply-log", str(log), env)
    return code


def do_drift(inputs: Inputs, out: Path, env: Mapping[str, str]) -> int:
    code, stdout, stderr = run_exoplan(exoplan_argv(inputs, out))
    annotate(stderr)
    if code in (0, 2):
        body = stdout if stdout.startswith(DRIFT_MARKER) else f"{DRIFT_MARKER}\n{stdout}"
    else:
        details = f"\n\nExit code {code}." + (
            f" Full log: {_run_url(env)}" if _run_url(env) else ""
        )
        log = stderr if len(stderr) <= SUMMARY_LOG else stderr[: SUMMARY_LOG - 1] + "…"
        body = f"{DRIFT_MARKER}\n### exoplan drift failed\n\n{fenced(log)}{details}\n"
    markdown = out / "drift.md"
    markdown.write_text(body, encoding="utf-8")
    print(body)
    write_summary(body, env)
    write_output("has-drift", {0: "false", 2: "true"}.get(code, ""), env)
    write_output("drift-markdown", str(markdown), env)
    return code


def output_dir(env: Mapping[str, str]) -> Path:
    """A new folder for this run's files, outside the checkout (a job may run several)."""
    runner_temp = env.get("RUNNER_TEMP") or tempfile.gettempdir()
    return Path(tempfile.mkdtemp(prefix=f"exoplan-{_command_name(env)}-", dir=runner_temp))


def _command_name(env: Mapping[str, str]) -> str:
    command = env.get("INPUT_COMMAND", "").strip()
    return command if command in COMMANDS else "run"


def main(env: Mapping[str, str] = os.environ) -> int:
    try:
        inputs = read_inputs(env)
    except InputError as exc:
        print(workflow_command("error", str(exc)))
        write_output("exitcode", "1", env)
        return 0
    out = output_dir(env)
    steps = {"validate": do_validate, "plan": do_plan, "apply": do_apply, "drift": do_drift}
    try:
        code = steps[inputs.command](inputs, out, env)
    except FileNotFoundError as exc:  # no exoplan on PATH: the install step did not run
        print(workflow_command("error", f"cannot run exoplan: {exc.strerror} ({exc.filename})"))
        code = 1
    write_output("exitcode", str(code), env)
    if inputs.command != "plan":
        write_output("has-changes", "", env)
    if inputs.command != "drift":
        write_output("has-drift", "", env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
