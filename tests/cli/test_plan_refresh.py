"""``exoplan plan --refresh``: drift shown ahead of the plan in every format, and saved
plans that record or undo it. Run as real subprocesses against the sandbox, and in-process
against an account of many pages served by ``responses``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from jsonschema import Draft202012Validator

from reconciler.api.inputs import read_inputs
from reconciler.api.planning import refreshed_plan
from reconciler.cli.main import main
from reconciler.cli.plan import plan_options
from reconciler.manifest.schema import schema
from reconciler.sandbox.shapes import listed
from tests.support.inprocess import exoplan
from tests.support.paging import LAST, account, pages_asked, parse, project, serve
from tests.support.project import (
    read_state,
    snapshot,
)
from tests.support.records import (
    DRIFT_KINDS,
    NO_UNMANAGED,
    ONE,
    ONE_UNMANAGED,
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
from tests.support.sandbox import new_sandbox, only_reads

# --- against the sandbox -------------------------------------------------------------


@pytest.mark.parametrize("kind", DRIFT_KINDS)
def test_plan_refresh_shows_drift_ahead_of_the_actions(tmp_path: Path, kind: str) -> None:
    changes, lines, update = DRIFT_KINDS[kind]
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed(changes)) as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
        assert only_reads(sb)
    assert (result.code, result.stderr) == (2, "")
    assert result.stdout == (
        "Changed outside exoplan (as Exotel reports it now):\n"
        + lines
        + "\n"
        + NO_UNMANAGED
        + "\n"
        + "exoplan will change account acme1:\n\n"
        + update
        + "\nPlan: 0 to purchase, 1 to update, 0 to release. 1 unchanged.\n"
    )
    assert snapshot(tmp_path) == before  # not written, not locked, no backup


def test_plan_refresh_shows_a_number_released_outside_and_buys_it_again(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed({TWO: None})) as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", *FAST)
    assert (result.code, result.stderr) == (0, "")
    out = result.stdout
    gone = f"  ! {TWO}  no longer owned by the account (released outside exoplan)\n"
    assert out.startswith("Changed outside exoplan (as Exotel reports it now):\n" + gone)
    assert out.index(gone) < out.index(f'  + purchase {TWO}  "Support overflow"\n')
    assert "Plan: 1 to purchase, 0 to update, 0 to release. 1 unchanged.\n" in out
    assert snapshot(tmp_path) == before


def test_plan_refresh_counts_a_number_bought_outside(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed(extra=[record(SPARE)])) as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == ONE_UNMANAGED + "\nNo changes. 2 numbers match the manifest.\n"
    assert snapshot(tmp_path) == before


VOICE_SPELLINGS = [
    "https://my.exotel.in/acme1/exoml/start_voice/123456",
    "https://my.exotel.com/exoml/start/123456",
    "http://my.exotel.com/acme1/exoml/start_voice/123456",
]


SMS_SPELLINGS = [
    "https://my.exotel.in/acme1/exoml/start_sms/223344",
    "https://my.exotel.com/exoml/start/223344",
]


@pytest.mark.parametrize("voice", VOICE_SPELLINGS)
@pytest.mark.parametrize("sms", SMS_SPELLINGS)
def test_other_spellings_of_the_same_flow_are_no_perpetual_diff(
    tmp_path: Path, voice: str, sms: str
) -> None:
    sent = {  # the spelling exoplan sends, as a state after apply may hold it
        "voice_url": "http://my.exotel.com/acme1/exoml/start_voice/123456",
        "sms_url": "http://my.exotel.com/acme1/exoml/start_sms/223344",
    }
    make_project(
        tmp_path,
        {n: {**e, **sent} if n == ONE else e for n, e in adopted(described().values()).items()},
    )
    live = seed({ONE: {"voice_url": voice, "sms_url": sms}, TWO: {"voice_url": voice}})
    with new_sandbox(live) as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == NO_UNMANAGED + "\nNo changes. 2 numbers match the manifest.\n"


def test_plan_refresh_json_has_drift_and_unmanaged(tmp_path: Path) -> None:
    make_project(tmp_path)
    live = seed({TWO: {"friendly_name": "Renamed"}, ONE: None}, extra=[record(SPARE)])
    with new_sandbox(live) as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", "--json", *FAST)
        renamed = next(r for r in sb.owned() if r["phone_number"] == TWO)
    assert (result.code, result.stderr) == (0, "")
    data = json.loads(result.stdout)
    assert list(Draft202012Validator(schema("plan")).iter_errors(data)) == []
    assert data["unmanaged"] == 1
    assert data["drift"] == [
        {"number": ONE, "gone": True, "changes": [], "live": None},
        {
            "number": TWO,
            "gone": False,
            "changes": [
                {"field": "friendly_name", "before": "Support overflow", "after": "Renamed"}
            ],
            "live": listed(renamed),  # as Exotel lists it: no price
        },
    ]
    assert [(a["action"], a["number"]) for a in data["actions"]] == [
        ("purchase", ONE),
        ("update", TWO),
    ]


def test_plan_without_refresh_reads_nothing_and_reports_no_drift(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed({TWO: None}, extra=[record(SPARE)])) as sb:
        result = exoplan(sb, tmp_path, "plan", "--json")
        assert sb.request_log == []
    data = json.loads(result.stdout)
    assert (data["drift"], data["unmanaged"], data["actions"]) == ([], None, [])


def test_plan_refresh_markdown_has_a_changed_outside_section(tmp_path: Path) -> None:
    make_project(tmp_path)
    live = seed({TWO: {"voice_url": live_url(234567)}}, extra=[record(SPARE)])
    with new_sandbox(live) as sb:
        result = exoplan(sb, tmp_path, "plan", "--refresh", "--format", "markdown", *FAST)
    assert result.code == 0
    out = result.stdout
    assert "#### Changed outside exoplan (1)\n" in out
    assert f"| `{TWO}` | voice_flow: {SUPPORT} → {SALES} |\n" in out
    assert "_The account owns 1 number(s) that exoplan does not manage._" in out
    assert out.index("#### Changed outside exoplan") < out.index("#### Update (1)")


def test_a_saved_refreshed_plan_records_the_drift_when_applied(tmp_path: Path) -> None:
    make_project(tmp_path)
    # TWO's SMS flow is not in the manifest: the drift is all there is to record.
    live = seed({TWO: {"sms_url": live_url(223344, "start_sms")}})
    with new_sandbox(live) as sb:
        planned = exoplan(sb, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST)
        applied = exoplan(sb, tmp_path, "apply", "p.json", "--auto-approve", *FAST)
        assert only_reads(sb)
    assert (planned.code, applied.code) == (0, 0), planned.stderr + applied.stderr
    assert "No changes. 2 numbers match the manifest." in planned.stdout
    state = read_state(tmp_path)
    assert state["serial"] == 8
    assert state["numbers"][TWO]["sms_url"] == live_url(223344, "start_sms")


def test_a_saved_refreshed_plan_undoes_drift_and_rebuys_a_released_number(
    tmp_path: Path,
) -> None:
    make_project(tmp_path)
    with new_sandbox(seed({ONE: {"friendly_name": "Renamed"}, TWO: None})) as sb:
        planned = exoplan(sb, tmp_path, "plan", "--refresh", "--out", "p.json", *FAST)
        applied = exoplan(sb, tmp_path, "apply", "p.json", "--auto-approve", *FAST)
        owned = {r["phone_number"]: r for r in sb.owned()}
        assert sb.purchases == {TWO: 1}
    assert (planned.code, applied.code) == (0, 0), planned.stderr + applied.stderr
    state = read_state(tmp_path)
    assert state["serial"] == 8
    assert state["numbers"][ONE]["friendly_name"] == "Support line"
    assert state["numbers"][TWO]["sid"] == owned[TWO]["sid"] != "sid0002"
    assert owned[ONE]["friendly_name"] == "Support line"


# --- every page of a long listing, in-process ---------------------------------------


def test_plan_refresh_reads_every_page_in_memory(
    api: responses.RequestsMock, tmp_path: Path
) -> None:
    serve(api, account({LAST: {"voice_url": live_url(234567)}}))
    manifest = project(tmp_path)
    before = snapshot(tmp_path)
    options = plan_options(parse("plan", "--refresh", "-f", str(manifest)))
    loaded, reading = read_inputs(options.manifest, options.state, print)
    state = reading.state
    plan = refreshed_plan(options.api, loaded, state)
    assert pages_asked(api) == [0, 1, 2, 3, 4]
    assert plan.unmanaged == 247
    assert [(d.number, [c.field for c in d.changes]) for d in plan.drift] == [
        (LAST, ["voice_flow"])
    ]
    assert plan.drift[0].changes[0].after["flow"] == "sales-queue"
    assert plan.actions == ()  # the manifest does not manage LAST's flow
    assert state.serial == 7 and plan.state_serial == 7
    assert snapshot(tmp_path) == before


def test_plan_refresh_updates_a_number_drifted_on_the_last_page(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(api, account({LAST: {"friendly_name": "Renamed"}}))
    manifest = project(tmp_path)
    code = main(["plan", "--refresh", "--detailed-exitcode", "-f", str(manifest), *FAST])
    out = capsys.readouterr().out
    assert code == 2
    assert out.index(f"  ~ {LAST}\n") < out.index("exoplan will change account acme1:")
    assert (
        f'  ~ update   {LAST}  "Last page"\n        friendly_name: "Renamed" -> "Last page"\n'
        in out
    )
