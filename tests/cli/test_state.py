"""state list / show / rm and force-unlock, run as real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.inprocess import exoplan
from tests.support.project import (
    HOLDER,
    HOLDER_TEXT,
    LOCK,
    LOCKED_ERROR,
    STATE,
    hold_lock,
    read_state,
    snapshot,
)
from tests.support.records import (
    ONE,
    SPARE,
    TWO,
    adopted,
    described,
    live_url,
    make_project,
    record,
    seed,
)
from tests.support.run import FAST, run_on_terminal
from tests.support.sandbox import new_sandbox

BACKUP = STATE + ".backup"


# --- state list ----------------------------------------------------------------------


def test_state_list_shows_one_line_per_managed_number(tmp_path: Path) -> None:
    hook = "https://hooks.example.com/sms"
    extra = record(SPARE, friendly_name='Odd "name" कॉल', sms_url=hook)
    make_project(tmp_path, adopted([*described().values(), extra]))
    result = exoplan(None, tmp_path, "state", "list")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f'{ONE}  sid=sid0001  voice=123456 sms=223344  "Support line" protected\n'
        f'{TWO}  sid=sid0002  voice=123456 sms=-  "Support overflow"\n'
        f'{SPARE}  sid=sid0009  voice=- sms={hook}  "Odd \\"name\\" कॉल"\n'
    )


def test_state_list_lines_follow_number_order_not_file_order(tmp_path: Path) -> None:
    entries = adopted(reversed(list(described().values())))
    make_project(tmp_path, entries)
    lines = exoplan(None, tmp_path, "state", "list").stdout.splitlines()
    assert [line.split()[0] for line in lines] == [ONE, TWO]


@pytest.mark.parametrize("write_empty", [True, False])
def test_state_list_of_an_empty_or_missing_state(tmp_path: Path, write_empty: bool) -> None:
    make_project(tmp_path, {})
    if not write_empty:
        (tmp_path / STATE).unlink()
    result = exoplan(None, tmp_path, "state", "list")
    assert (result.code, result.stdout) == (0, f"{STATE}: no managed numbers.\n")
    assert (tmp_path / STATE).exists() is write_empty  # list never creates the file


def test_state_list_of_a_corrupt_state_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path)
    (tmp_path / STATE).write_text("{not json", encoding="utf-8")
    result = exoplan(None, tmp_path, "state", "list")
    assert result.code == 1
    assert result.stderr.startswith(f"error: {STATE}:1:2: the state file is not valid JSON")


# --- state show ----------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["+918030240002", "08030240002", "918030240002"])
def test_state_show_prints_the_entry_as_json(tmp_path: Path, spelling: str) -> None:
    make_project(tmp_path)
    result = exoplan(None, tmp_path, "state", "show", spelling)
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {**described()[TWO], "protect": False}
    assert result.stdout.startswith('{\n  "capabilities": {')  # indented, keys sorted


def test_state_show_keeps_unicode_readable(tmp_path: Path) -> None:
    make_project(tmp_path, adopted([record(ONE, friendly_name="कॉल सेंटर")]))
    result = exoplan(None, tmp_path, "state", "show", ONE)
    assert '"friendly_name": "कॉल सेंटर"' in result.stdout


@pytest.mark.parametrize("verb", ["show", "rm"])
def test_an_unmanaged_number_is_an_error(tmp_path: Path, verb: str) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, "state", verb, "08030240009")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {STATE}: {SPARE} is not managed by exoplan (see `exoplan state list`)\n"
    )
    assert snapshot(tmp_path) == before  # rm: no backup, no lock left


@pytest.mark.parametrize("verb", ["show", "rm"])
def test_something_that_is_no_number_is_an_error(tmp_path: Path, verb: str) -> None:
    make_project(tmp_path)
    result = exoplan(None, tmp_path, "state", verb, "12345")
    assert result.code == 1
    assert result.stderr.startswith("error: '12345' is not a valid phone number")


# --- state rm ------------------------------------------------------------------------


def test_state_rm_forgets_without_releasing(tmp_path: Path) -> None:
    old = make_project(tmp_path)
    with new_sandbox(seed()) as sb:
        removed = exoplan(sb, tmp_path, "state", "rm", "08030240002")
        assert sb.request_log == []  # nothing was asked of Exotel
        planned = exoplan(sb, tmp_path, "plan", "--refresh", *FAST)
        assert TWO in {r["phone_number"] for r in sb.owned()}
    assert (removed.code, removed.stderr) == (0, "")
    assert removed.stdout == (
        f"{TWO} is no longer managed by exoplan (still owned on Exotel; nothing was released).\n"
        f"The previous state is kept as {STATE}.backup.\n"
    )
    state = read_state(tmp_path)
    assert (state["serial"], list(state["numbers"])) == (8, [ONE])
    assert (tmp_path / BACKUP).read_bytes() == old
    assert not (tmp_path / LOCK).exists()
    # Still owned, no longer managed: counted as unmanaged, and bought again only on apply.
    assert "the account owns 1 number that exoplan does not manage" in planned.stdout
    assert f'  + purchase {TWO}  "Support overflow"' in planned.stdout


def test_state_rm_takes_several_numbers_at_once(tmp_path: Path) -> None:
    make_project(tmp_path)
    result = exoplan(None, tmp_path, "state", "rm", ONE, "918030240002")
    assert result.code == 0, result.stderr
    assert read_state(tmp_path)["numbers"] == {}


def test_state_rm_of_one_number_in_two_spellings_removes_it_once(tmp_path: Path) -> None:
    make_project(tmp_path)
    result = exoplan(None, tmp_path, "state", "rm", "08030240002", TWO)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout.count(f"{TWO} is no longer managed by exoplan") == 1
    assert list(read_state(tmp_path)["numbers"]) == [ONE]


def test_state_rm_with_one_unknown_number_removes_none(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, "state", "rm", ONE, SPARE)
    assert result.code == 1
    assert f"{SPARE} is not managed by exoplan" in result.stderr
    assert snapshot(tmp_path) == before


def test_state_rm_waits_for_no_one_and_names_the_lock_holder(tmp_path: Path) -> None:
    make_project(tmp_path)
    hold_lock(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, "state", "rm", TWO)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == LOCKED_ERROR
    assert snapshot(tmp_path) == before


def test_state_commands_follow_state_and_manifest_options(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    make_project(tmp_path / "conf")
    (tmp_path / "conf" / "numbers.yaml").rename(tmp_path / "conf" / "sg.yaml")
    (tmp_path / "conf" / STATE).rename(tmp_path / "conf" / "sg.state.json")
    listed = exoplan(None, tmp_path, "state", "list", "-f", "conf/sg.yaml")
    removed = exoplan(None, tmp_path, "state", "rm", ONE, "--state", "conf/sg.state.json")
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [ONE, TWO]
    assert removed.code == 0, removed.stderr
    assert list(read_state(tmp_path / "conf", "sg.state.json")["numbers"]) == [TWO]


# --- force-unlock --------------------------------------------------------------------


def test_force_unlock_with_yes_removes_the_lock_after_naming_the_holder(tmp_path: Path) -> None:
    make_project(tmp_path)
    hold_lock(tmp_path)
    result = exoplan(None, tmp_path, "force-unlock", "--yes")
    assert (result.code, result.stderr) == (0, "")
    assert (
        result.stdout
        == f"{STATE} is locked by {HOLDER_TEXT}; it still holds the lock.\nRemoved {LOCK}.\n"
    )
    assert not (tmp_path / LOCK).exists()


def test_after_force_unlock_writers_work_again(tmp_path: Path) -> None:
    make_project(tmp_path)
    hold_lock(tmp_path)
    with new_sandbox(seed({TWO: {"voice_url": live_url(234567)}})) as sb:
        blocked = exoplan(sb, tmp_path, "refresh", *FAST)
        exoplan(None, tmp_path, "force-unlock", "--yes")
        refreshed = exoplan(sb, tmp_path, "refresh", *FAST)
    assert (blocked.code, refreshed.code) == (1, 0)
    assert read_state(tmp_path)["serial"] == 8


def test_force_unlock_without_yes_and_without_a_terminal_keeps_the_lock(tmp_path: Path) -> None:
    make_project(tmp_path)
    lock = hold_lock(tmp_path)
    held = lock.read_bytes()
    result = exoplan(None, tmp_path, "force-unlock")
    assert result.code == 1
    assert result.stdout == f"{STATE} is locked by {HOLDER_TEXT}; it still holds the lock.\n"
    assert result.stderr == (
        "error: force-unlock needs a 'yes', but standard input is not a terminal: "
        "re-run with --yes\n"
    )
    assert lock.read_bytes() == held


def test_force_unlock_without_a_lock_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, "force-unlock", "--yes")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == f"error: {STATE} is not locked (no {LOCK}); nothing to do\n"
    assert snapshot(tmp_path) == before


def test_force_unlock_removes_an_unreadable_lock(tmp_path: Path) -> None:
    make_project(tmp_path)
    hold_lock(tmp_path, content=b"\x00garbage")
    result = exoplan(None, tmp_path, "force-unlock", "--yes")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        f"{STATE} is locked by an unknown process (the lock file is unreadable); it still "
        f"holds the lock.\nRemoved {LOCK}.\n"
    )
    assert not (tmp_path / LOCK).exists()


def test_force_unlock_removes_a_lock_file_nobody_holds_without_asking(tmp_path: Path) -> None:
    """What kill -9 leaves: the file, but no lock (the OS released it)."""
    make_project(tmp_path)
    (tmp_path / LOCK).write_text(json.dumps(HOLDER), encoding="utf-8")
    result = exoplan(None, tmp_path, "force-unlock")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == (
        f"{STATE} is not locked: {LOCK} is left over from {HOLDER_TEXT}, which no longer "
        f"holds it.\nRemoved {LOCK}.\n"
    )
    assert not (tmp_path / LOCK).exists()


def test_force_unlock_follows_the_state_option(tmp_path: Path) -> None:
    hold_lock(tmp_path, "other.state.json")
    result = exoplan(None, tmp_path, "force-unlock", "--yes", "--state", "other.state.json")
    assert result.code == 0, result.stderr
    assert not (tmp_path / "other.state.json.lock").exists()


@pytest.mark.parametrize(
    ("answer", "code", "kept"),
    [("yes", 0, False), ("no", 1, True), ("y", 1, True), ("", 1, True)],
)
def test_force_unlock_on_a_terminal_asks_for_yes(
    tmp_path: Path, answer: str, code: int, kept: bool
) -> None:
    make_project(tmp_path)
    lock = hold_lock(tmp_path)
    returncode, out, err = run_on_terminal(
        tmp_path, "force-unlock", answer=answer + "\n", terminal=("stdin",)
    )
    assert returncode == code, err
    assert out.startswith(f"{STATE} is locked by {HOLDER_TEXT}; it still holds the lock.\n")
    assert "Remove it? Only 'yes' will be accepted: " in out
    assert lock.exists() is kept
    if kept:
        assert err == "error: force-unlock cancelled; the lock is still there\n"


def test_force_unlock_escapes_what_the_lock_file_says(tmp_path: Path) -> None:
    make_project(tmp_path)
    holder = {"pid": 1, "host": "ci\nerror: spoofed\u202e", "time": "t", "command": "c\x1b[2J"}
    (tmp_path / LOCK).write_text(json.dumps(holder), encoding="utf-8")
    result = exoplan(None, tmp_path, "force-unlock", "--yes")
    assert result.code == 0, result.output
    assert not any(line.startswith("error: spoofed") for line in result.stdout.splitlines())
    assert "ci\\x0aerror: spoofed\\u202e" in result.stdout and "c\\x1b[2J" in result.stdout
    assert all(line.isprintable() for line in result.stdout.splitlines())


@pytest.mark.parametrize("to", ["", "   "])
def test_migrate_to_an_empty_location_is_refused_naming_the_flag(tmp_path: Path, to: str) -> None:
    make_project(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, "state", "migrate", "--to", to)
    assert result.code == 1
    assert "argument --to: the destination is empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before
