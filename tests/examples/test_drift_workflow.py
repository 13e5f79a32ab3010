"""examples/ci/github-drift.yml, the scheduled drift workflow: valid for GitHub (its
published schema, actionlint), on a schedule, read-only but for issues, and running an
exoplan command line the real parser accepts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.examples.test_action import actionlint, check_jsonschema
from tests.examples.test_ci_examples import EXOPLAN_ACTION, check_invocation
from tests.support.action import exoplan_step
from tests.support.project import REPO

DRIFT = REPO / "examples" / "ci" / "github-drift.yml"
ACTION = REPO / "action.yml"


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DRIFT.read_text(encoding="utf-8"))
    return data


def exoplan_steps() -> list[dict[str, Any]]:
    steps = workflow()["jobs"]["drift"]["steps"]
    return [step for step in steps if step.get("uses") == EXOPLAN_ACTION]


def test_the_drift_workflow_matches_githubs_schema() -> None:
    done = check_jsonschema("vendor.github-workflows", DRIFT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_passes_the_drift_workflow() -> None:
    assert actionlint(DRIFT) == []


def test_it_runs_on_a_schedule_and_by_hand() -> None:
    data = workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (cron,) = triggers["schedule"]
    assert len(cron["cron"].split()) == 5


def test_it_may_read_the_code_and_write_only_issues() -> None:
    data = workflow()
    assert data["permissions"] == {}
    assert data["jobs"]["drift"]["permissions"] == {"contents": "read", "issues": "write"}


def test_it_runs_exoplan_drift_with_the_issue_kept() -> None:
    (step,) = exoplan_steps()
    assert step["with"]["command"] == "drift" and step["with"]["issue"] is True
    assert step["env"]["EXOTEL_API_KEY"] == "${{ secrets.EXOTEL_API_KEY }}"
    env = workflow()["env"]
    values = {
        f"INPUT_{name.upper().replace('-', '_')}": re.sub(
            r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: env[m[1]], str(value)
        )
        for name, value in step["with"].items()
    }
    argv = exoplan_step.exoplan_argv(exoplan_step.read_inputs(values), Path("out"))
    assert argv[0] == "drift"
    check_invocation(argv, "drift workflow")


def test_it_uses_only_inputs_and_outputs_the_action_has() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    (step,) = exoplan_steps()
    assert set(step["with"]) <= set(action["inputs"])
    used = re.findall(r"steps\.drift\.outputs\.([\w-]+)", DRIFT.read_text(encoding="utf-8"))
    assert used and set(used) <= set(action["outputs"])
