"""``exoplan drift`` over real HTTP against the sandbox: changes made in the dashboard,
numbers released or bought outside exoplan, ``unmanaged.ignore`` patterns, two manifests of
one account, ``ignore_changes`` in plan, apply and drift, and hostile values escaped."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from reconciler import api
from reconciler.cli.drift import drift_options
from reconciler.cli.parser import build_parser
from reconciler.sandbox.server import Sandbox
from tests.support.inprocess import apply, exoplan
from tests.support.project import STATE, read_state, snapshot, write_state
from tests.support.records import (
    ONE,
    PROJECT_MANIFEST,
    SALES,
    SPARE,
    SUPPORT,
    TWO,
    adopted,
    described,
    live_url,
    make_project,
    record,
    seed,
)
from tests.support.run import FAST
from tests.support.sandbox import new_sandbox, only_reads, outside

HEAD = "numbers.yaml (account acme1, state numbers.state.json):\n"
NO_DRIFT = "  no drift: every managed number is as the state records it\n"
UNMANAGED_HEAD = (
    "Owned, but managed by none of these manifests (`exoplan import NUMBER` adopts one; "
    "a pattern under `unmanaged.ignore` hides it):\n"
)


def drift(sb: Sandbox, folder: Path, *args: str) -> tuple[int, str, str]:
    result = exoplan(sb, folder, "drift", *FAST, *args)
    return result.code, result.stdout, result.stderr


def test_no_drift_exits_0_and_writes_nothing(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed()) as sb:
        assert drift(sb, tmp_path) == (0, HEAD + NO_DRIFT + "\nNo drift.\n", "")
        assert only_reads(sb)
    assert snapshot(tmp_path) == before


def test_a_flow_and_a_name_changed_in_the_dashboard_are_drift(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed()) as sb:
        outside(sb, "PUT", TWO, FriendlyName="Renamed", VoiceUrl=live_url(234567))
        code, out, err = drift(sb, tmp_path)
        assert only_reads_after_the_change(sb)
    assert (code, err) == (2, "")
    assert out == (
        HEAD
        + f"  ~ {TWO}\n"
        + '        friendly_name: "Support overflow" -> "Renamed"\n'
        + f"        voice_flow: {SUPPORT} -> {SALES}\n"
        + "\nDrift: 1 managed number(s) changed or gone outside exoplan, 0 unmanaged number(s).\n"
    )
    assert snapshot(tmp_path) == before  # read-only: no lock, no backup, no state write


def only_reads_after_the_change(sb: Sandbox) -> bool:
    """Everything after the one PUT made "in the dashboard" was a GET."""
    methods = [method for method, _, _ in sb.request_log]
    return methods.count("PUT") == 1 and all(
        m == "GET" for m in methods[methods.index("PUT") + 1 :]
    )


def test_a_number_released_in_the_dashboard_is_gone(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed(), release_lingers=0) as sb:
        outside(sb, "DELETE", ONE)
        code, out, _ = drift(sb, tmp_path, "--format", "json")
    assert code == 2
    (found,) = json.loads(out)["manifests"]
    assert found["drift"] == [{"number": ONE, "gone": True, "changes": []}]


def test_an_unmanaged_number_is_reported_then_ignored_by_pattern(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        outside(sb, "POST", SPARE)  # bought by hand
        code, out, _ = drift(sb, tmp_path)
        assert code == 2
        assert out == (
            HEAD
            + NO_DRIFT
            + "\n"
            + UNMANAGED_HEAD
            + f'  ? {SPARE}  account acme1  "08030240009"\n'
            + "\nDrift: 0 managed number(s) changed or gone outside exoplan, 1 unmanaged number(s).\n"
        )
        manifest = tmp_path / "numbers.yaml"
        manifest.write_text(PROJECT_MANIFEST + 'unmanaged:\n  ignore: ["+91803024000[5-9]"]\n')
        code, out, _ = drift(sb, tmp_path)
    assert (code, out) == (
        0,
        HEAD + NO_DRIFT + "\nNo drift. (1 more ignored by unmanaged.ignore)\n",
    )


def test_a_number_the_manifest_lists_but_the_state_lacks_is_unmanaged(tmp_path: Path) -> None:
    make_project(tmp_path, state=adopted([described()[ONE]]))
    with new_sandbox(seed()) as sb:
        code, out, _ = drift(sb, tmp_path, "--json")
    assert code == 2
    (item,) = json.loads(out)["unmanaged"]
    assert (item["number"], item["listed_in"]) == (TWO, "numbers.yaml")


def test_two_manifests_of_one_account_report_no_false_unmanaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "numbers.yaml", tmp_path / "b" / "numbers.yaml"
    first.write_text(PROJECT_MANIFEST.split('  - number: "08030240002"')[0])
    second.write_text(
        PROJECT_MANIFEST.split("numbers:\n")[0]
        + 'numbers:\n  - number: "+918030240002"\n    friendly_name: Support overflow\n'
    )
    write_state(tmp_path / "a" / STATE, adopted([described()[ONE]]))
    write_state(tmp_path / "b" / STATE, adopted([described()[TWO]]))
    with new_sandbox(seed(extra=[record(SPARE)])) as sb:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        args = build_parser(["drift"]).parse_args(["drift", *FAST])
        options = drift_options(args)
        both = api.drift(dataclasses.replace(options, manifests=(str(first), str(second))))
        alone = api.drift(dataclasses.replace(options, manifests=(str(first),)))
    assert [m.drifts for m in both.manifests] == [(), ()]
    assert [u.number for u in both.unmanaged] == [SPARE]  # neither ONE nor TWO
    assert [u.number for u in alone.unmanaged] == [TWO, SPARE]
    assert sum(1 for m, _, _ in sb.request_log if m == "GET") == 2  # one listing per check


def test_an_account_that_cannot_be_read_exits_1(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "drift", *FAST, env={"EXOTEL_API_TOKEN": "wrong"})
    assert result.code == 1
    assert result.stderr.startswith("error: ")
    assert "error: " in result.stdout and "could not be checked" in result.stdout
    assert "wrong" not in result.output


IGNORING = PROJECT_MANIFEST.replace(
    "    friendly_name: Support overflow\n    voice_flow: support-ivr\n",
    "    friendly_name: Overflow (new name)\n    voice_flow: support-ivr\n"
    "    ignore_changes: [friendly_name]\n",
)


def test_ignore_changes_in_plan_apply_and_drift(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / "numbers.yaml").write_text(IGNORING)
    with new_sandbox(seed()) as sb:
        outside(sb, "PUT", TWO, FriendlyName="Named by hand")
        plan = exoplan(sb, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
        assert (plan.code, plan.stderr) == (0, "")  # neither the manifest nor the dashboard
        assert "friendly_name" not in plan.stdout
        offline = exoplan(None, tmp_path, "plan", "--detailed-exitcode")
        assert offline.code == 0
        applied = apply(sb, tmp_path)
        assert applied.code == 0, applied.output
        owned = {r["phone_number"]: r for r in sb.owned()}
        assert owned[TWO]["friendly_name"] == "Named by hand"
        assert drift(sb, tmp_path) == (0, HEAD + NO_DRIFT + "\nNo drift.\n", "")
        outside(sb, "PUT", TWO, VoiceUrl=live_url(234567))  # not ignored: still drift
        code, out, _ = drift(sb, tmp_path)
    assert code == 2
    assert f"voice_flow: {SUPPORT} -> {SALES}" in out and "friendly_name" not in out
    assert read_state(tmp_path)["numbers"][TWO]["friendly_name"] == "Support overflow"


HOSTILE = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \u009b31m</details><!-- | @team"


def test_hostile_values_in_drift_output_are_escaped(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed(extra=[record(SPARE, friendly_name=HOSTILE)])) as sb:
        outside(sb, "PUT", TWO, FriendlyName=HOSTILE)
        text = drift(sb, tmp_path)[1]
        markdown = drift(sb, tmp_path, "--format", "markdown")[1]
        raw = drift(sb, tmp_path, "--format", "json")[1]
    for out in (text, markdown, raw):
        assert not any(ch in out for ch in "\x1b\x07\u009b")
    assert "\\u001b]8;;https://evil.example" in text
    assert "</details>" not in markdown and "<!-- |" not in markdown
    assert "@team" not in markdown and "&lt;/details&gt;" in markdown
    assert raw.isascii()
    assert json.loads(raw)["unmanaged"][0]["friendly_name"] == HOSTILE
