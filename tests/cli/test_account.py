"""refresh, import and export (the commands that read the live account), run as real
subprocesses against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.sandbox.shapes import listed
from tests.support.inprocess import exoplan
from tests.support.project import (
    LINEAGE,
    LOCKED_ERROR,
    STATE,
    hold_lock,
    read_state,
    snapshot,
)
from tests.support.records import (
    DRIFT_KINDS,
    NO_UNMANAGED,
    ONE,
    ONE_UNMANAGED,
    SPARE,
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

# --- refresh -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", DRIFT_KINDS)
def test_refresh_records_changes_made_outside(tmp_path: Path, kind: str) -> None:
    changes, lines, _ = DRIFT_KINDS[kind]
    old = make_project(tmp_path)
    with new_sandbox(seed(changes)) as sb:
        result = exoplan(sb, tmp_path, "refresh", *FAST)
        live = {r["phone_number"]: r for r in sb.owned()}
        assert only_reads(sb)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        lines
        + f"Refreshed {STATE}: 1 number(s) changed outside exoplan (serial 8).\n"
        + NO_UNMANAGED
    )
    state = read_state(tmp_path)
    assert (state["serial"], state["lineage"]) == (8, LINEAGE)
    assert state["numbers"] == adopted(live.values())  # protect of ONE kept
    assert (tmp_path / (STATE + ".backup")).read_bytes() == old
    assert not (tmp_path / (STATE + ".lock")).exists()


def test_refresh_drops_a_number_released_outside_with_a_warning(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed({TWO: None})) as sb:
        result = exoplan(sb, tmp_path, "refresh", *FAST)
    assert result.code == 0
    assert result.stderr == (
        f"warning: {TWO} is no longer owned by the account: dropped from the state\n"
    )
    assert result.stdout == (
        f"Refreshed {STATE}: 1 number(s) changed outside exoplan (serial 8).\n" + NO_UNMANAGED
    )
    assert list(read_state(tmp_path)["numbers"]) == [ONE]


def test_refresh_of_an_unchanged_account_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "refresh", *FAST)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f"No changes outside exoplan; {STATE} left as it was.\n" + NO_UNMANAGED
    )
    assert snapshot(tmp_path) == before  # no backup, no lock, same bytes and mtime


def test_refresh_counts_a_number_bought_outside_but_does_not_adopt_it(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed(extra=[record(SPARE, friendly_name="Bought in the dashboard")])) as sb:
        result = exoplan(sb, tmp_path, "refresh", *FAST)
    assert result.code == 0
    assert result.stdout == f"No changes outside exoplan; {STATE} left as it was.\n" + ONE_UNMANAGED
    assert snapshot(tmp_path) == before


def test_refresh_reads_past_the_first_page(tmp_path: Path) -> None:
    make_project(tmp_path)
    crowd = [record(f"+9180302{n:05d}") for n in range(100, 230)]
    renamed = {**described()[TWO], "friendly_name": "Renamed"}
    with new_sandbox([described()[ONE], *crowd, renamed]) as sb:  # TWO is 132nd: page 3 of 50s
        result = exoplan(sb, tmp_path, "refresh", *FAST)
        pages = len(sb.request_log)
    assert result.code == 0, result.stderr
    assert 'friendly_name: "Support overflow" -> "Renamed"' in result.stdout
    assert "the account owns 130 numbers that exoplan does not manage" in result.stdout
    assert pages == 3
    assert read_state(tmp_path)["numbers"][TWO]["friendly_name"] == "Renamed"


# --- import --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["08030240002", "918030240002", "+918030240002", "+91 80 3024 0002"]
)
def test_import_adopts_an_owned_number_in_any_spelling(tmp_path: Path, spelling: str) -> None:
    make_project(tmp_path, adopted([described()[ONE]]))
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "import", spelling, *FAST)
        assert only_reads(sb)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f"imported {TWO} (sid sid0002)\nImported 1 number(s) into {STATE}; nothing was bought.\n"
    )
    state = read_state(tmp_path)
    assert state["serial"] == 8
    # as Exotel lists it: flows and region, no price
    assert state["numbers"][TWO] == {**listed(described()[TWO]), "protect": False}


def test_import_starts_a_state_when_there_is_none(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / STATE).unlink()
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "import", ONE, *FAST)
    assert result.code == 0, result.stderr
    state = read_state(tmp_path)
    assert (state["serial"], state["account_sid"], list(state["numbers"])) == (1, "acme1", [ONE])
    assert state["numbers"][ONE]["protect"] is True  # the manifest protects it
    assert not (tmp_path / (STATE + ".backup")).exists()


@pytest.mark.parametrize("numbers", [[SPARE], ["08030240002", "08030240009"]])
def test_import_of_a_number_not_owned_fails_and_imports_nothing(
    tmp_path: Path, numbers: list[str]
) -> None:
    make_project(tmp_path, adopted([described()[ONE]]))
    before = snapshot(tmp_path)
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "import", *numbers, *FAST)
        assert only_reads(sb)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: account acme1 does not own {SPARE}: only owned numbers can be imported "
        "(exoplan apply buys missing ones); nothing was imported\n"
    )
    assert snapshot(tmp_path) == before


def test_import_of_something_that_is_no_number_names_it(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "import", "12345", *FAST)
        assert sb.request_log == []
    assert result.code == 1
    assert "'12345'" in result.stderr and "nothing was imported" in result.stderr


def test_import_without_numbers_or_all_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path)
    result = exoplan(None, tmp_path, "import")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: name the numbers to import, or pass --all to adopt every owned number "
        "the manifest lists\n"
    )


def test_import_of_a_managed_number_leaves_the_state_alone(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed({TWO: {"friendly_name": "Renamed"}})) as sb:
        result = exoplan(sb, tmp_path, "import", "08030240002", *FAST)
    assert result.code == 0
    assert result.stdout == (
        f"{TWO} is already managed; left as it is\n"
        f"Imported 0 number(s) into {STATE}; nothing was bought.\n"
    )
    assert snapshot(tmp_path) == before


def test_import_all_then_plan_refresh_has_no_changes(tmp_path: Path) -> None:
    """The issue's done-when: an account holding the numbers the manifest describes."""
    make_project(tmp_path)
    (tmp_path / STATE).unlink()
    with new_sandbox(seed(extra=[record(SPARE)])) as sb:
        imported = exoplan(sb, tmp_path, "import", "--all", *FAST)
        planned = exoplan(sb, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
        assert only_reads(sb)
    assert imported.code == 0, imported.stderr
    assert imported.stdout == (
        f"imported {ONE} (sid sid0001)\n"
        f"imported {TWO} (sid sid0002)\n"
        f"Imported 2 number(s) into {STATE}; nothing was bought.\n"
    )
    assert sorted(read_state(tmp_path)["numbers"]) == [ONE, TWO]  # SPARE is not listed
    assert (planned.code, planned.stderr) == (0, "")
    assert planned.stdout == ONE_UNMANAGED + "\nNo changes. 2 numbers match the manifest.\n"


# --- export --------------------------------------------------------------------------

ODD_ACCOUNT = [
    record(ONE, friendly_name='Support: "main" #1', voice_url=live_url(123456)),
    record(
        TWO,
        friendly_name="कॉल सेंटर",
        voice_url="https://my.exotel.com/exoml/start/123456",
        sms_url="https://my.exotel.com/exoml/start/223344",
    ),
    record(SPARE, voice_url="https://hooks.example.com/calls"),
    record("+912240350010", friendly_name=None, sms_url=live_url(223344, "start_sms")),
]


def test_export_validate_import_all_plan_refresh_has_no_changes(tmp_path: Path) -> None:
    with new_sandbox(ODD_ACCOUNT) as sb:
        exported = exoplan(
            sb, tmp_path, "export", "--account-sid", "acme1", "-o", "live.yaml", *FAST
        )
        validated = exoplan(None, tmp_path, "validate", "-f", "live.yaml")
        imported = exoplan(sb, tmp_path, "import", "--all", "-f", "live.yaml", *FAST)
        planned = exoplan(
            sb, tmp_path, "plan", "-f", "live.yaml", "--refresh", "--detailed-exitcode", *FAST
        )
        assert only_reads(sb)
    assert exported.code == 0, exported.stderr
    assert validated.stdout == "live.yaml: valid (4 numbers, 2 flows, account acme1)\n"
    assert imported.code == 0, imported.stderr
    assert "Imported 4 number(s) into live.state.json; nothing was bought." in imported.stdout
    assert (planned.code, planned.stderr) == (0, "")
    assert planned.stdout == NO_UNMANAGED + "\nNo changes. 4 numbers match the manifest.\n"


def test_export_writes_the_same_manifest_to_stdout_and_to_a_file(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        shown = exoplan(sb, tmp_path, "export", *FAST)
        written = exoplan(sb, tmp_path, "export", "--output", "exported.yaml", *FAST)
    assert (shown.code, shown.stderr) == (0, "")
    assert (written.code, written.stdout) == (0, "")
    assert written.stderr == (
        "Wrote 2 number(s) to exported.yaml. Next: exoplan validate -f exported.yaml\n"
    )
    text = (tmp_path / "exported.yaml").read_text(encoding="utf-8")
    assert text == shown.stdout
    assert 'account:\n  sid: "acme1"\n  region: mumbai\n' in text  # from numbers.yaml
    assert "  voice-123456:  # used by 2 number(s); rename freely\n" in text


def test_export_of_an_empty_account_validates(tmp_path: Path) -> None:
    with new_sandbox([]) as sb:
        exported = exoplan(sb, tmp_path, "export", "--account-sid", "acme1", "-o", "e.yaml", *FAST)
    validated = exoplan(None, tmp_path, "validate", "-f", "e.yaml")
    assert exported.code == 0
    assert (
        (tmp_path / "e.yaml")
        .read_text(encoding="utf-8")
        .endswith("  region: singapore\nflows: {}\nnumbers: []\n")
    )
    assert validated.stdout == "e.yaml: valid (0 numbers, 0 flows, account acme1)\n"


def test_export_to_a_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "export", "-o", "missing/live.yaml", *FAST)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: missing/live.yaml: could not write the manifest (")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()


def test_export_needs_an_account(tmp_path: Path) -> None:
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "export", *FAST)
        assert sb.request_log == []
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: export needs the account: pass --account-sid SID (and --region), or -f a "
        "manifest that names it (numbers.yaml could not be read)\n"
    )


# --- what every command that reads the account shares --------------------------------

READERS = [
    ["refresh"],
    ["import", "--all"],
    ["import", ONE],
    ["export"],
    ["plan", "--refresh"],
]


@pytest.mark.parametrize("command", READERS)
def test_missing_credentials_are_named(tmp_path: Path, command: list[str]) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, *command, *FAST)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith(
        "error: EXOTEL_API_KEY and EXOTEL_API_TOKEN are not set; export the API key and token"
    )
    assert snapshot(tmp_path) == before  # no lock left behind


def test_a_missing_key_alone_is_named(tmp_path: Path) -> None:
    make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        result = exoplan(sb, tmp_path, "refresh", *FAST, env={"EXOTEL_API_KEY": ""})
        assert sb.request_log == []
    assert result.code == 1
    assert result.stderr.startswith("error: EXOTEL_API_KEY is not set;")


@pytest.mark.parametrize("command", [["refresh"], ["import", "--all"]])
def test_a_held_lock_stops_writers_and_names_the_holder(tmp_path: Path, command: list[str]) -> None:
    make_project(tmp_path)
    hold_lock(tmp_path)
    before = snapshot(tmp_path)
    with new_sandbox(seed({TWO: {"friendly_name": "Renamed"}})) as sb:
        result = exoplan(sb, tmp_path, *command, *FAST)
        assert sb.request_log == []
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == LOCKED_ERROR
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", [["refresh"], ["import", "--all"]])
def test_a_state_of_another_account_is_refused(tmp_path: Path, command: list[str]) -> None:
    make_project(tmp_path)
    data = read_state(tmp_path)
    data["account_sid"] = "other9"
    (tmp_path / STATE).write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(tmp_path)
    with new_sandbox(seed({TWO: None})) as sb:
        result = exoplan(sb, tmp_path, *command, *FAST)
        assert sb.request_log == []
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {STATE} belongs to account 'other9', but numbers.yaml describes account "
        "'acme1': pass that account's state with --state\n"
    )
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("released_sid", "adopts"), [("sid0002", False), ("sid9999", True)])
def test_import_all_does_not_adopt_a_number_whose_release_is_pending(
    tmp_path: Path, released_sid: str, adopts: bool
) -> None:
    """Exotel may list a released number a while after its 202: import --all must not
    take back what an apply of this state released (the same sid still listed)."""
    make_project(tmp_path, adopted([described()[ONE]]))
    data = json.loads((tmp_path / STATE).read_text())
    data["releasing"] = {TWO: {"sid": released_sid}}
    (tmp_path / STATE).write_text(json.dumps(data))
    with new_sandbox(seed()) as sb:
        imported = exoplan(sb, tmp_path, "import", "--all", *FAST)
    assert imported.code == 0, imported.stderr
    state = read_state(tmp_path)
    assert (TWO in state["numbers"]) is adopts
    pending = "not imported: its release by an earlier apply is still pending at Exotel"
    assert (pending in imported.stderr) is not adopts


@pytest.mark.parametrize(("released_sid", "finished"), [("sid0002", False), ("sid9999", True)])
def test_refresh_forgets_releases_that_have_finished(
    tmp_path: Path, released_sid: str, finished: bool
) -> None:
    """A release is finished once the account no longer lists the number under the sid
    released; one still listed under it is pending, and stays recorded."""
    make_project(tmp_path, adopted([described()[ONE]]))
    data = json.loads((tmp_path / STATE).read_text())
    data["releasing"] = {TWO: {"sid": released_sid}}
    (tmp_path / STATE).write_text(json.dumps(data))
    before = snapshot(tmp_path)
    with new_sandbox(seed()) as sb:
        refreshed = exoplan(sb, tmp_path, "refresh", *FAST)
    assert refreshed.code == 0, refreshed.stderr
    assert ("1 release(s) by earlier applies have finished" in refreshed.stdout) is finished
    if finished:
        assert "releasing" not in read_state(tmp_path)
    else:
        assert snapshot(tmp_path) == before
