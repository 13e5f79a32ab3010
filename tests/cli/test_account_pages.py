"""What refresh, import and export read over HTTP, against `responses`: every page, only
GETs, errors named. (``plan --refresh`` over many pages: ``test_plan_refresh.py``.)

The commands run in-process with arguments parsed by the real parser; EXOTEL_API_URL
points at a fake host that `responses` serves.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import responses
from jsonschema import Draft202012Validator
from responses import matchers

from reconciler.cli import account as drift_cmd
from reconciler.cli.main import main
from reconciler.errors import ApiStatusError, StateError
from reconciler.exotel.answers import HINTS
from reconciler.manifest.schema import schema
from reconciler.state.file import load_state
from reconciler.state.serialise import to_data
from tests.support.paging import (
    HOST,
    KEY,
    LAST,
    LEGACY,
    PAGE_SIZE,
    ROOT,
    TOKEN,
    account,
    pages_asked,
    parse,
    project,
    serve,
)
from tests.support.project import (
    JOURNAL,
    STATE,
    journal_record,
    read_state,
    snapshot,
    write_journal,
)
from tests.support.records import (
    ONE,
    TWO,
    adopted,
    described,
    listing_page,
)
from tests.support.run import FAST


def test_refresh_reads_all_three_pages_and_updates_managed_numbers(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(api, account({LAST: {"friendly_name": "Renamed on page 3"}}))
    manifest = project(tmp_path)
    assert drift_cmd.run_refresh(parse("refresh", "-f", str(manifest))) == 0
    assert pages_asked(api) == [0, 1, 2, 3, 4]
    state = read_state(tmp_path)
    assert state["serial"] == 8
    assert sorted(state["numbers"]) == [ONE, TWO, LAST]  # none of the 247 others adopted
    assert state["numbers"][LAST]["friendly_name"] == "Renamed on page 3"
    out, err = capsys.readouterr()
    assert out.startswith(
        f"  ~ {LAST}\n"
        '        friendly_name: "Last page" -> "Renamed on page 3"\n'
        f"Refreshed {tmp_path / STATE}: 1 number(s) changed outside exoplan (serial 8).\n"
    )
    assert "the account owns 247 numbers that exoplan does not manage" in out
    assert err == ""


def test_refresh_drops_only_numbers_missing_from_every_page(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(api, [r for r in account() if r["phone_number"] != TWO])  # 249: still 3 pages
    manifest = project(tmp_path)
    assert drift_cmd.run_refresh(parse("refresh", "-f", str(manifest))) == 0
    assert pages_asked(api) == [0, 1, 2, 3, 4]
    assert sorted(read_state(tmp_path)["numbers"]) == [ONE, LAST]
    assert capsys.readouterr().err == (
        f"warning: {TWO} is no longer owned by the account: dropped from the state\n"
    )


def test_import_adopts_a_number_listed_on_the_last_page_without_posting(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(api, account())
    manifest = project(tmp_path, adopted(described().values()))
    args = parse("import", "-f", str(manifest), "+91 80 3024 0250")
    assert drift_cmd.run_import(args) == 0
    assert pages_asked(api) == [0, 1, 2, 3, 4]  # GETs only: nothing was bought
    entry = read_state(tmp_path)["numbers"][LAST]
    assert entry == {**account()[-1], "protect": False}
    assert capsys.readouterr().out == (
        f"imported {LAST} (sid sid0250)\n"
        f"Imported 1 number(s) into {tmp_path / STATE}; nothing was bought.\n"
    )


def test_export_lists_the_numbers_of_every_page(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(api, account())
    args = parse("export", "--account-sid", "acme1", "-f", str(tmp_path / "absent.yaml"))
    assert drift_cmd.run_export(args) == 0
    assert pages_asked(api) == [0, 1, 2, 3, 4]
    out = capsys.readouterr().out
    assert out.count("  - number: ") == 250
    assert f'  - number: "{LAST}"\n' in out


def test_credentials_travel_as_basic_auth(api: responses.RequestsMock, tmp_path: Path) -> None:
    serve(api, account())
    assert drift_cmd.run_refresh(parse("refresh", "-f", str(project(tmp_path)))) == 0
    expected = "Basic " + base64.b64encode(f"{KEY}:{TOKEN}".encode()).decode()
    assert {call.request.headers["Authorization"] for call in api.calls} == {expected}


def test_a_failing_page_leaves_the_state_and_no_lock(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = account()
    api.get(
        HOST + ROOT,
        json=listing_page(records, 0, PAGE_SIZE, LEGACY),
        match=[matchers.query_param_matcher({"Page": "0", "PageSize": str(PAGE_SIZE)})],
    )
    api.get(
        HOST + ROOT,
        status=403,
        json={"RestException": {"Status": 403, "Message": "Access denied", "Code": "FORBIDDEN"}},
        match=[matchers.query_param_matcher({"Page": "1", "PageSize": str(PAGE_SIZE)})],
    )
    manifest = project(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ApiStatusError, match="Access denied"):
        drift_cmd.run_refresh(parse("refresh", "-f", str(manifest)))
    assert snapshot(tmp_path) == before  # no lock, no backup, same bytes
    assert main(["refresh", "-f", str(manifest), *FAST]) == 1
    err = capsys.readouterr().err
    assert err == f"error: GET {ROOT} HTTP 403 [FORBIDDEN]: Access denied ({HINTS[403]})\n"
    assert KEY not in err and TOKEN not in err


def test_refresh_refuses_the_state_of_another_account(
    api: responses.RequestsMock, tmp_path: Path
) -> None:
    manifest = project(tmp_path)
    data = read_state(tmp_path)
    data["account_sid"] = "other9"
    (tmp_path / STATE).write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(tmp_path)
    for handler, argv in (
        (drift_cmd.run_refresh, ["refresh"]),
        (drift_cmd.run_import, ["import", "--all"]),
    ):
        with pytest.raises(
            StateError,
            match="belongs to account 'other9', but .*numbers.yaml describes account 'acme1'",
        ):
            handler(parse(*argv, "-f", str(manifest)))
    assert len(api.calls) == 0  # refused before reading the account
    assert snapshot(tmp_path) == before


def test_state_written_by_refresh_is_a_valid_state(
    api: responses.RequestsMock, tmp_path: Path
) -> None:
    serve(api, account({ONE: {"sms_url": None}}))
    assert drift_cmd.run_refresh(parse("refresh", "-f", str(project(tmp_path)))) == 0
    data = to_data(load_state(str(tmp_path / STATE)))
    assert list(Draft202012Validator(schema("state")).iter_errors(data)) == []
    assert data["numbers"][ONE]["protect"] is True
    assert data["numbers"][ONE]["sms_url"] is None


# -- one listing per command, even with a journal to settle first ---------------------


def interrupted_purchase(tmp_path: Path, number: str) -> None:
    """The journal of an apply killed after sending a purchase of ``number``."""
    begin = {"op": "begin", "id": "j-1", "lineage": "lineage-1", "serial": 7}
    write_journal(tmp_path / JOURNAL, [begin, journal_record("intent", number)])


def test_refresh_settling_a_journal_lists_the_account_once(
    api: responses.RequestsMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(api, account())
    manifest = project(tmp_path, adopted(described().values()))
    interrupted_purchase(tmp_path, LAST)
    assert drift_cmd.run_refresh(parse("refresh", "-f", str(manifest))) == 0
    assert pages_asked(api) == [0, 1, 2, 3, 4]  # settling and refreshing share one listing
    assert sorted(read_state(tmp_path)["numbers"]) == [ONE, TWO, LAST]
    assert not (tmp_path / JOURNAL).exists()
    assert f"{LAST} was bought by the interrupted apply" in capsys.readouterr().err


def test_import_of_several_numbers_settling_a_journal_lists_the_account_once(
    api: responses.RequestsMock, tmp_path: Path
) -> None:
    records = account()
    serve(api, records)
    manifest = project(tmp_path, adopted(described().values()))
    interrupted_purchase(tmp_path, records[100]["phone_number"])
    wanted = [records[60]["phone_number"], records[199]["phone_number"], LAST]
    assert drift_cmd.run_import(parse("import", "-f", str(manifest), *wanted)) == 0
    assert pages_asked(api) == [0, 1, 2, 3, 4]  # not once per number, nor once more to settle
    numbers = read_state(tmp_path)["numbers"]
    assert set(wanted) | {records[100]["phone_number"]} <= set(numbers)
