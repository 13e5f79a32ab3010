"""reconciler.plan.safety: a saved plan must match the state it claims to be made against."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reconciler.errors import UnsafePlanError
from reconciler.model import Drift, State
from reconciler.plan.safety import check_matches_state
from tests.support.plans import action, plan_of
from tests.support.project import STATE, number, snapshot, write_manifest, write_state
from tests.support.run import FAST, exoplan
from tests.support.sandbox import new_sandbox

ONE, TWO = number(1), number(2)


def state() -> State:
    numbers = {ONE: {"sid": "SID1"}, TWO: {"sid": "SID2", "protect": True}}
    return State(path=STATE, lineage="l", serial=7, account_sid="acme1", numbers=numbers)


@pytest.mark.parametrize(
    "bad",
    [
        action("release", ONE, sid="SID2"),  # another number's sid
        action("update", ONE, sid="SID2", params={"FriendlyName": "x"}),
        action("release", number(3), sid="SID3"),  # not managed
        action("purchase", ONE),  # already managed
        action("purchase", number(3), sid="SID2"),
    ],
)
def test_an_action_that_does_not_fit_the_state_is_refused(bad: object) -> None:
    plan = plan_of(bad)  # type: ignore[arg-type]
    with pytest.raises(UnsafePlanError, match="p.json: the plan does not match"):
        check_matches_state(plan, state(), "p.json")


def test_a_drift_that_changes_a_sid_is_refused() -> None:
    plan = dataclasses.replace(plan_of(), drift=(Drift(ONE, (), {"sid": "SID2"}),))
    with pytest.raises(UnsafePlanError, match="drift of"):
        check_matches_state(plan, state(), "p.json")


def test_fitting_actions_pass_and_a_number_gone_outside_may_be_bought_again() -> None:
    plan = plan_of(
        action("release", ONE, sid="SID1"), action("purchase", TWO), action("purchase", number(3))
    )
    plan = dataclasses.replace(plan, drift=(Drift(TWO, (), None),))
    check_matches_state(plan, state(), "p.json")


def test_apply_refuses_a_plan_file_edited_to_release_another_number(tmp_path: Path) -> None:
    write_manifest(tmp_path, [{"number": TWO, "protect": True}])
    write_state(tmp_path / STATE, {ONE: {"sid": "SID1"}, TWO: {"sid": "SID2", "protect": True}})
    with new_sandbox() as sandbox:
        planned = exoplan(sandbox, tmp_path, "plan", "--out", "p.json")
        assert planned.code == 0, planned.output
        data = json.loads((tmp_path / "p.json").read_text())
        [release] = data["actions"]
        release["sid"] = "SID2"
        (tmp_path / "p.json").write_text(json.dumps(data))
        before = snapshot(tmp_path)
        result = exoplan(
            sandbox, tmp_path, "apply", "p.json", "--auto-approve", "--allow-release", *FAST
        )
        assert sandbox.request_log == []
    assert result.code == 1
    assert "error: p.json: the plan does not match numbers.state.json (release +91" in result.stderr
    assert snapshot(tmp_path) == before
