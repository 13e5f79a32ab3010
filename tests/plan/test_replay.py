"""reconciler.plan.replay: apply makes a saved plan again from the manifest, the state and
the answers the plan recorded, and refuses one edited after it was made."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.manifest.load import load_manifest
from reconciler.model import Breach
from reconciler.plan.planner import make_plan
from reconciler.plan.replay import differences, replay
from reconciler.state.file import load_state
from tests.support.project import (
    ACCOUNT,
    STATE,
    number,
    numbers,
    snapshot,
    voice_url,
    write_manifest,
    write_state,
)
from tests.support.run import FAST, Result, exoplan
from tests.support.sandbox import new_sandbox

ONE, TWO = number(1), number(2)
RETIRED = 999


def write_quarantining(folder: Path, entries: list[str]) -> None:
    """A manifest whose numbers leave through a 14-day quarantine."""
    data = {
        "version": 1,
        "account": {"sid": ACCOUNT, "region": "mumbai"},
        "flows": {"support": {"app_id": 123456}, "retired": {"app_id": RETIRED}},
        "releases": {"quarantine_flow": "retired", "quarantine_days": 14},
        "numbers": [{"number": n, "voice_flow": "support"} for n in entries],
    }
    (folder / "numbers.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def edit_plan(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "p.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def applied(folder: Path, *flags: str) -> tuple[Result, bool]:
    """apply p.json with ``flags`` against a sandbox owning the state's numbers; the
    result, and whether any request was sent."""
    path = folder / STATE
    state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"numbers": {}}
    owned = [dict(entry) for entry in state["numbers"].values()]
    with new_sandbox(owned) as sandbox:
        result = exoplan(sandbox, folder, "apply", "p.json", "--auto-approve", *flags, *FAST)
        return result, bool(sandbox.request_log)


def assert_refused(folder: Path, result: Result, sent: bool, before: object, what: str) -> None:
    assert (result.code, sent) == (1, False), result.output
    assert result.stderr.startswith("error: p.json: "), result.stderr
    assert what in result.stderr
    assert "Nothing was sent" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(folder) == before


# -- each tampering that apply used to obey -------------------------------------------------


def test_a_quarantine_turned_into_a_release_is_refused(tmp_path: Path) -> None:
    write_quarantining(tmp_path, [ONE])
    write_state(tmp_path / STATE, {n: {"voice_url": voice_url(123456)} for n in (ONE, TWO)})
    assert exoplan(None, tmp_path, "plan", "--out", "p.json").code == 0

    def release(data: dict[str, Any]) -> None:
        [action] = data["actions"]
        action.update(action="release", params={}, changes=[], marks={})
        del action["release_after"]
        data["summary"].update(quarantine=0, release=1)
        data["cost"].update(removed={"INR": "499.00"}, net={"INR": "-499.00"})

    edit_plan(tmp_path, release)
    before = snapshot(tmp_path)
    result, sent = applied(tmp_path, "--allow-release")
    assert_refused(tmp_path, result, sent, before, f"release {TWO} (kind, changes, params")
    assert "numbers.yaml and numbers.state.json give" in result.stderr


def test_emptied_mass_change_warnings_are_refused(tmp_path: Path) -> None:
    managed = numbers(10)
    write_manifest(tmp_path, managed[:6])
    write_state(tmp_path / STATE, managed)
    assert exoplan(None, tmp_path, "plan", "--out", "p.json").code == 0
    edit_plan(tmp_path, lambda data: data.update(breaches=[]))
    before = snapshot(tmp_path)
    result, sent = applied(tmp_path, "--allow-release")
    assert_refused(tmp_path, result, sent, before, "(mass-change warnings)")


def test_an_added_release_of_a_number_the_manifest_keeps_is_refused(tmp_path: Path) -> None:
    write_manifest(tmp_path, [{"number": ONE, "friendly_name": "Desk"}, TWO])
    write_state(tmp_path / STATE, [ONE, TWO])
    assert exoplan(None, tmp_path, "plan", "--out", "p.json").code == 0

    def add_release(data: dict[str, Any]) -> None:
        sid = "sid" + TWO.lstrip("+")
        data["actions"].append(
            {"action": "release", "number": TWO, "name": None, "sid": sid, "protect": False}
            | {"params": {}, "changes": [], "rental": {"price": "499.000000", "currency": "INR"}}
        )
        data["summary"].update(release=1, unchanged=0)
        data["cost"].update(removed={"INR": "499.00"}, net={"INR": "-499.00"})

    edit_plan(tmp_path, add_release)
    before = snapshot(tmp_path)
    result, sent = applied(tmp_path, "--allow-release")
    assert_refused(tmp_path, result, sent, before, f"release {TWO} (not in the plan made again)")


def test_a_nulled_budget_is_refused(tmp_path: Path) -> None:
    write_manifest(tmp_path, [ONE, TWO])
    over = exoplan(None, tmp_path, "plan", "--max-monthly-increase", "0", "--out", "p.json")
    assert over.code == 1 and "over budget" in over.stderr  # shown, saved, and refused
    edit_plan(tmp_path, lambda data: data["cost"].update(max_monthly_increase=None))
    before = snapshot(tmp_path)
    result, sent = applied(tmp_path)
    assert_refused(tmp_path, result, sent, before, "the plan's cost does not follow from its")


def test_an_untouched_saved_quarantine_is_applied(tmp_path: Path) -> None:
    write_quarantining(tmp_path, [ONE])
    write_state(tmp_path / STATE, {n: {"voice_url": voice_url(123456)} for n in (ONE, TWO)})
    assert exoplan(None, tmp_path, "plan", "--out", "p.json").code == 0
    result, sent = applied(tmp_path)
    assert (result.code, sent) == (0, True), result.output
    assert f"quarantine {TWO}" in result.stdout


# -- replay and differences, in process ----------------------------------------------------


def test_a_plan_is_made_again_as_of_the_day_it_was_made(tmp_path: Path) -> None:
    """A quarantine's end date comes from the plan's day, not apply's."""
    write_quarantining(tmp_path, [ONE])
    write_state(tmp_path / STATE, {n: {"voice_url": voice_url(123456)} for n in (ONE, TWO)})
    manifest, state = (
        load_manifest(str(tmp_path / "numbers.yaml")),
        load_state(str(tmp_path / STATE)),
    )
    saved = make_plan(manifest, state, today=date(2026, 1, 1))
    assert saved.made_on == "2026-01-01" and saved.actions[0].release_after == "2026-01-15"
    assert differences(saved, replay(saved, manifest, state)) == []
    undated = dataclasses.replace(saved, made_on=None)  # a plan from before the day was kept
    assert differences(undated, replay(undated, manifest, state)) == [
        f"quarantine {TWO} (marks, release_after differ)"
    ]


def test_differences_name_what_differs(tmp_path: Path) -> None:
    write_manifest(tmp_path, [ONE, TWO])
    manifest, state = (
        load_manifest(str(tmp_path / "numbers.yaml")),
        load_state(str(tmp_path / STATE)),
    )
    saved = make_plan(manifest, state)
    renamed = dataclasses.replace(saved.actions[0], name="Other")
    edited = dataclasses.replace(
        saved,
        actions=(renamed, saved.actions[1], saved.actions[1]),
        breaches=(Breach("release", 1, 10, 30.0),),
    )
    assert differences(edited, replay(saved, manifest, state)) == [
        f"purchase {ONE} (name differ)",
        "an action repeated",
        "mass-change warnings",
        "counts",
        "monthly cost",
    ]


def test_a_flow_exotel_spells_otherwise_is_the_same_flow(tmp_path: Path) -> None:
    """plan --refresh shows a flow's old URL as Exotel spells it; the state may spell it
    otherwise: the same app id is the same flow, in the plan made again too."""
    write_manifest(tmp_path, [{"number": ONE, "voice_flow": "sales-queue"}])
    spelled = "https://my.exotel.in/acme1/exoml/start_voice/123456"
    write_state(tmp_path / STATE, {ONE: {"voice_url": voice_url(123456)}})
    manifest, state = (
        load_manifest(str(tmp_path / "numbers.yaml")),
        load_state(str(tmp_path / STATE)),
    )
    shown = load_state(str(tmp_path / STATE))
    shown.numbers[ONE] = {**shown.numbers[ONE], "voice_url": spelled}
    saved = make_plan(manifest, shown)
    assert saved.actions[0].changes[0].before["url"] == spelled
    assert differences(saved, replay(saved, manifest, state)) == []
    other = dataclasses.replace(
        saved.actions[0].changes[0], before={"flow": None, "app_id": "7", "url": spelled}
    )
    edited = dataclasses.replace(
        saved, actions=(dataclasses.replace(saved.actions[0], changes=(other,)),)
    )
    assert differences(edited, replay(saved, manifest, state)) == [f"update {ONE} (changes differ)"]


@pytest.mark.parametrize("flag", ["--refresh", None])
def test_a_refreshed_or_offline_plan_is_made_again_the_same(
    tmp_path: Path, flag: str | None
) -> None:
    write_manifest(tmp_path, [{"number": ONE, "friendly_name": "Desk"}, TWO])
    write_state(tmp_path / STATE, [ONE])
    with new_sandbox([{**json.loads((tmp_path / STATE).read_text())["numbers"][ONE]}]) as sb:
        planned = exoplan(sb, tmp_path, "plan", *([flag] if flag else []), "--out", "p.json", *FAST)
        assert planned.code == 0, planned.output
        result = exoplan(sb, tmp_path, "apply", "p.json", "--auto-approve", *FAST)
    assert result.code == 0, result.output
