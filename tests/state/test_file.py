"""reconciler.state.file: clear load errors, atomic save with a backup."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import StateError
from reconciler.model import State
from reconciler.state.file import default_state_path, load_state, new_state, save_state
from tests.support.project import LINEAGE, write_state

RESTORE = "restore it from its .backup or from version control; exoplan never repairs it"


@pytest.mark.parametrize(
    ("manifest", "state"),
    [
        ("examples/numbers.yaml", "examples/numbers.state.json"),
        ("numbers.yaml", "numbers.state.json"),
        ("prod.yml", "prod.state.json"),
        ("dir.v2/numbers", "dir.v2/numbers.state.json"),
    ],
)
def test_default_state_path_replaces_the_suffix(manifest: str, state: str) -> None:
    assert default_state_path(manifest) == state


def test_a_missing_state_file_is_an_empty_state(tmp_path: Path) -> None:
    path = str(tmp_path / "numbers.state.json")
    state = load_state(path)
    assert state == State(path=path)
    assert not state.exists
    assert not os.path.exists(path)


def test_a_state_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_state(path, {"+918030240001": {"friendly_name": "x"}}, serial=4)
    state = load_state(str(path))
    assert (state.lineage, state.serial, state.account_sid) == (LINEAGE, 4, "acme1")
    assert state.numbers["+918030240001"]["friendly_name"] == "x"
    assert state.exists


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "{path}:1:1: the state file is not valid JSON (Expecting value); " + RESTORE),
        (
            b'{"format": "exoplan-state",\n "version": 1,,}',
            "{path}:2:15: the state file is not valid JSON (Expecting property name enclosed "
            "in double quotes); " + RESTORE,
        ),
        (b'{"format": "\xff"}', "{path}: the state file is not UTF-8 text; " + RESTORE),
        (b"[]", '{path}: not an exoplan state file (no "format": "exoplan-state"); ' + RESTORE),
        (
            b'{"format": "terraform", "version": 1}',
            '{path}: not an exoplan state file (no "format": "exoplan-state"); ' + RESTORE,
        ),
        (
            b'{"format": "exoplan-state", "version": 2}',
            "{path}: state format version 2 is not supported (this exoplan reads version 1); "
            "upgrade exoplan or restore the file",
        ),
        (
            b'{"format": "exoplan-state"}',
            "{path}: state format version None is not supported",
        ),
        (
            b'{"format": "exoplan-state", "version": true, "lineage": "x", "serial": 1,'
            b' "numbers": {}}',
            "{path}: state format version True is not supported",
        ),
        (
            b'{"format": "exoplan-state", "version": 1, "lineage": "", "serial": -1,'
            b' "numbers": []}',
            "{path}: the state file is damaged (lineage must be a non-empty string; serial must "
            "be a whole number >= 0; numbers must be an object keyed by E.164 number); " + RESTORE,
        ),
        (
            b'{"format": "exoplan-state", "version": 1, "lineage": "x", "serial": true,'
            b' "numbers": {}}',
            "{path}: the state file is damaged (serial must be a whole number >= 0)",
        ),
        (
            b'{"format": "exoplan-state", "version": 1, "lineage": "x", "serial": 1,'
            b' "numbers": {"+918030240001": "sold"}}',
            "{path}: the state file is damaged (the entry of +918030240001 must be an object)",
        ),
    ],
)
def test_a_bad_state_file_is_an_error_naming_it_and_is_left_alone(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "numbers.state.json"
    path.write_bytes(content)
    with pytest.raises(StateError) as raised:
        load_state(str(path))
    assert str(raised.value).startswith(message.format(path=path))
    assert path.read_bytes() == content
    assert sorted(os.listdir(tmp_path)) == ["numbers.state.json"]


def test_an_unreadable_state_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    path.mkdir()
    with pytest.raises(StateError) as raised:
        load_state(str(path))
    assert str(raised.value).startswith(
        f"{path}: the state file is not a regular file (a folder): point --state at"
    )


def test_new_state_has_a_fresh_lineage_and_serial_zero(tmp_path: Path) -> None:
    one, two = new_state("s.json", "acme1"), new_state("s.json", "acme1")
    assert one.serial == 0 and one.account_sid == "acme1"
    assert one.lineage and two.lineage and one.lineage != two.lineage


def test_save_creates_the_file_and_increments_the_serial(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    state = new_state(str(path), "acme1")
    state.numbers["+918030240001"] = {"phone_number": "+918030240001", "protect": True}
    save_state(state)
    data = json.loads(path.read_text())
    assert data == {
        "format": "exoplan-state",
        "version": 1,
        "lineage": state.lineage,
        "serial": 1,
        "account_sid": "acme1",
        "numbers": {"+918030240001": {"phone_number": "+918030240001", "protect": True}},
    }
    assert state.serial == 1
    assert not (tmp_path / "s.json.backup").exists()  # nothing to back up the first time
    assert load_state(str(path)) == state


def test_save_of_an_empty_state_gives_it_a_lineage(tmp_path: Path) -> None:
    state = load_state(str(tmp_path / "s.json"))
    save_state(state)
    reloaded = load_state(str(tmp_path / "s.json"))
    assert reloaded.lineage == state.lineage and reloaded.lineage
    assert reloaded.serial == 1


def test_lineage_is_kept_and_serial_grows_by_one_per_write(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_state(path, ["+918030240001"], serial=7)
    for expected in (8, 9, 10):
        state = load_state(str(path))
        save_state(state)
        reloaded = load_state(str(path))
        assert (reloaded.lineage, reloaded.serial) == (LINEAGE, expected)


def test_save_keeps_the_previous_version_as_backup(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    old = write_state(path, ["+918030240001"])
    state = load_state(str(path))
    state.numbers.clear()
    save_state(state)
    assert (tmp_path / "s.json.backup").read_bytes() == old
    newer = path.read_bytes()
    save_state(load_state(str(path)))
    assert (tmp_path / "s.json.backup").read_bytes() == newer


def test_save_writes_a_temp_file_in_the_same_folder_fsyncs_then_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json"
    write_state(path, [])
    events: list[tuple[str, Any]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", fd))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(("replace", (Path(src).parent, Path(dst).name)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save_state(load_state(str(path)))
    replaces = [e for e in events if e[0] == "replace"]
    assert [detail for _, detail in replaces] == [
        (tmp_path, "s.json.backup"),
        (tmp_path, "s.json"),
    ]
    last_replace = events.index(replaces[-1])
    assert any(kind == "fsync" for kind, _ in events[:last_replace])


@pytest.mark.parametrize("failing_call", [1, 2])
def test_a_failed_replace_leaves_the_old_file_intact_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    # Call 1 replaces the backup, call 2 the state itself: fail either one.
    path = tmp_path / "numbers.state.json"
    old = write_state(path, ["+918030240001"], serial=7)
    before = sorted(os.listdir(tmp_path))
    calls = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    state = load_state(str(path))
    state.numbers.clear()
    with pytest.raises(StateError) as raised:
        save_state(state)
    assert str(raised.value).startswith(f"{path}: could not write the state (")
    assert "No space left on device" in str(raised.value)
    assert str(raised.value).endswith("the previous file is intact")
    assert path.read_bytes() == old
    assert state.serial == 7  # the failed write did not count
    leftovers = sorted(set(os.listdir(tmp_path)) - set(before))
    assert [name for name in leftovers if name.endswith(".tmp")] == []
    assert leftovers in ([], ["numbers.state.json.backup"])
    if leftovers:
        assert (tmp_path / "numbers.state.json.backup").read_bytes() == old


def test_a_failed_write_cleans_its_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json"

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StateError, match="could not write the state"):
        save_state(new_state(str(path), "acme1"))
    assert os.listdir(tmp_path) == []


def test_save_keeps_the_permissions_of_the_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    state = new_state(str(path), "acme1")
    save_state(state)
    os.chmod(path, 0o640)
    save_state(state)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_new_state_file_is_not_private_to_the_process(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    old = os.umask(0o022)
    try:
        save_state(new_state(str(path), "acme1"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


@pytest.mark.parametrize(
    ("numbers", "problem"),
    [
        ({"garbage": {}}, "key 'garbage' is not a number in E.164 form"),
        ({"+918030240001": {"voice_url": 5}}, "+918030240001: voice_url must be a string or null"),
        ({"+918030240001": {"protect": "yes"}}, "+918030240001: protect must be true or false"),
    ],
)
def test_state_entries_planning_cannot_read_are_refused(
    tmp_path: Path, numbers: dict[str, Any], problem: str
) -> None:
    path = tmp_path / "numbers.state.json"
    doc = {"format": "exoplan-state", "version": 1, "lineage": "l", "serial": 1, "numbers": numbers}
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(StateError, match="damaged") as caught:
        load_state(str(path))
    assert problem in str(caught.value)
    assert path.read_bytes() == before


def test_a_symlinked_state_is_written_through_and_the_link_stays(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "prod.state.json"
    real.parent.mkdir()
    write_state(real, ["+918030240001"])
    link = tmp_path / "numbers.state.json"
    link.symlink_to(real)
    state = load_state(str(link))
    state.numbers.clear()
    save_state(state)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["numbers"] == {}
    assert json.loads(real.read_text())["serial"] == 8
    assert (tmp_path / "numbers.state.json.backup").exists()


def test_a_dangling_state_symlink_is_an_error_naming_it(tmp_path: Path) -> None:
    link = tmp_path / "numbers.state.json"
    link.symlink_to(tmp_path / "gone" / "prod.state.json")
    with pytest.raises(StateError) as raised:
        load_state(str(link))
    assert str(raised.value).startswith(f"{link} is a symbolic link to {tmp_path}/gone/")
    assert link.is_symlink() and not link.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"format": "exoplan-state", "version": 1, "lineage": "x", "serial": '
        + b"9" * 5000
        + b"}",
        b'{"format": "exoplan-state", "version": 1, "lineage": "x", "serial": 1e999, "numbers": {}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"format": "exoplan-state", "version": 1, "lineage": "x", "serial": 1, "numbers":'
        b' {"+918030240001": {"rental_price": {"amount": 1}}}}',
    ],
)
def test_a_damaged_state_of_any_shape_is_an_error_naming_it(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "numbers.state.json"
    path.write_bytes(raw)
    with pytest.raises(StateError, match=f"^{path}"):
        load_state(str(path))
    assert path.read_bytes() == raw


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (b"NaN", "numbers/+918030240001/capabilities/voice"),
        (b"-Infinity", "numbers/+918030240001/capabilities/voice"),
        (b"1e999", "numbers/+918030240001/capabilities/voice"),
    ],
)
def test_a_number_that_is_not_finite_is_refused_not_written_back_as_null(
    tmp_path: Path, value: bytes, where: str
) -> None:
    path = tmp_path / "numbers.state.json"
    raw = write_state(path, {"+918030240001": {"capabilities": {"voice": 1, "sms": True}}})
    raw = raw.replace(b'"voice": 1', b'"voice": ' + value)
    path.write_bytes(raw)
    with pytest.raises(StateError) as raised:
        load_state(str(path))
    assert str(raised.value) == (
        f"{path}: the state file is damaged ({value.decode()} at {where} is not a finite "
        f"number); {RESTORE}"
    )
    assert path.read_bytes() == raw
