"""reconciler.plan.safety: a saved plan must match the state it claims to be made against."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reconciler.errors import StateError, UnsafePlanError
from reconciler.model import Change, Drift, State
from reconciler.plan.safety import ApplyChecks, check_apply, check_matches_state
from tests.support.inprocess import exoplan
from tests.support.plans import action, plan_of
from tests.support.project import STATE, number, read_state, snapshot, write_manifest, write_state
from tests.support.records import make_project, seed
from tests.support.run import FAST
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


def test_a_number_bought_again_outside_is_refused_with_refresh_as_the_way_out() -> None:
    """plan --refresh saw the number under a new sid: the plan was not edited, the account
    changed under the state, and the advice says so."""
    live = {"sid": "SID9", "friendly_name": "x"}
    drift = Drift(ONE, (Change("friendly_name", None, "x"),), live)
    plan = dataclasses.replace(
        plan_of(action("update", ONE, sid="SID9", params={"FriendlyName": "y"})), drift=(drift,)
    )
    with pytest.raises(UnsafePlanError) as refused:
        check_matches_state(plan, state(), "p.json")
    message = str(refused.value)
    assert f"Exotel listed {ONE} under another sid than the state records" in message
    assert "`exoplan refresh`" in message and "changed after it was made" not in message


def test_apply_of_a_refreshed_plan_after_a_number_was_bought_again_outside(
    tmp_path: Path,
) -> None:
    make_project(tmp_path)
    bought_back = seed({ONE: {"sid": "sidAGAIN", "friendly_name": "bought back"}})
    with new_sandbox(bought_back) as sandbox:
        planned = exoplan(sandbox, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST)
        assert planned.code == 0, planned.output
        before = snapshot(tmp_path)
        refused = exoplan(sandbox, tmp_path, "apply", "p.json", "--auto-approve", *FAST)
        assert (refused.code, snapshot(tmp_path)) == (1, before)
        assert "Record the account as it is with `exoplan refresh`" in refused.stderr
        assert exoplan(sandbox, tmp_path, "refresh", *FAST).code == 0
        assert read_state(tmp_path)["numbers"][ONE]["sid"] == "sidAGAIN"
        replanned = exoplan(sandbox, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST)
        applied = exoplan(sandbox, tmp_path, "apply", "p.json", "--auto-approve", *FAST)
        assert (replanned.code, applied.code) == (0, 0), applied.output
        owned = {r["phone_number"]: r for r in sandbox.owned()}
    assert owned[ONE]["friendly_name"] == "Support line"


# --- check_apply: every refusal before apply sends anything, in one call ---------------


def test_check_apply_refuses_a_release_unless_allowed() -> None:
    plan = plan_of(action("release", ONE, sid="SID1"), lineage="l")
    with pytest.raises(UnsafePlanError, match="allow-release"):
        check_apply(plan, state(), ApplyChecks())
    check_apply(plan, state(), ApplyChecks(allow_release=True))


def test_check_apply_refuses_a_protected_number_even_when_releases_are_allowed() -> None:
    plan = plan_of(action("release", TWO, sid="SID2"), lineage="l")
    with pytest.raises(UnsafePlanError, match="protected"):
        check_apply(plan, state(), ApplyChecks(allow_release=True))


def test_check_apply_checks_a_saved_plan_against_the_state() -> None:
    stale = dataclasses.replace(plan_of(lineage="l"), state_serial=6)
    with pytest.raises(StateError, match="stale"):
        check_apply(stale, state(), ApplyChecks(planfile="saved.json"))
    misfit = plan_of(action("update", ONE, sid="SID9"), lineage="l")
    check_apply(misfit, state(), ApplyChecks())  # a plan made now is not a saved one
    with pytest.raises(UnsafePlanError, match="does not match"):
        check_apply(misfit, state(), ApplyChecks(planfile="saved.json"))


def test_check_apply_refuses_a_plan_over_its_budget() -> None:
    bought = dataclasses.replace(action("purchase", number(3)), rental_price="500", currency="INR")
    plan = dataclasses.replace(plan_of(bought, lineage="l"), max_monthly_increase="100")
    with pytest.raises(UnsafePlanError, match="over budget"):
        check_apply(plan, state(), ApplyChecks())
