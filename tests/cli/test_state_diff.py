"""``exoplan state diff``: two state files, a state and its backup, two kept versions
(file store here; PostgreSQL in tests/e2e/test_postgres_state_diff.py), text and JSON,
exit codes, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.inprocess import apply, exoplan
from tests.support.project import STATE, numbers, snapshot, write_state
from tests.support.records import PROJECT_MANIFEST, TWO, make_project, seed
from tests.support.sandbox import new_sandbox

ONE, TWO_, THREE = numbers(3)


def two_states(folder: Path) -> tuple[Path, Path]:
    old, new = folder / "old.json", folder / "new.json"
    write_state(old, {ONE: {"friendly_name": "Support"}, TWO_: {}}, serial=6)
    write_state(new, {ONE: {"friendly_name": "Hacked"}, THREE: {}}, serial=7)
    return old, new


def test_two_files_differ_field_by_field(tmp_path: Path) -> None:
    old, new = two_states(tmp_path)
    before = snapshot(tmp_path)
    result = exoplan(None, tmp_path, "state", "diff", "old.json", "new.json")
    assert (result.code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[0] == "--- old.json (serial 6, lineage 0b7a3f1e)"
    assert lines[1] == "+++ new.json (serial 7, lineage 0b7a3f1e)"
    assert lines[2] == f'  ~ numbers.{ONE}.friendly_name: "Support" -> "Hacked"'
    assert lines[3].startswith(f"  - numbers.{TWO_}: {{")
    assert lines[4].startswith(f"  + numbers.{THREE}: {{")
    assert lines[5:] == ["3 difference(s)."]
    assert snapshot(tmp_path) == before  # read-only


def test_detailed_exitcode_is_2_when_they_differ_and_0_when_not(tmp_path: Path) -> None:
    two_states(tmp_path)
    differ = exoplan(None, tmp_path, "state", "diff", "old.json", "new.json", "--detailed-exitcode")
    same = exoplan(None, tmp_path, "state", "diff", "old.json", "old.json", "--detailed-exitcode")
    assert differ.code == 2
    assert (same.code, same.stdout.splitlines()[-1]) == (0, "No differences.")


def test_json_names_both_sides_and_every_difference(tmp_path: Path) -> None:
    two_states(tmp_path)
    result = exoplan(None, tmp_path, "state", "diff", "old.json", "new.json", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["from"]["serial"], data["to"]["serial"], data["identical"]) == (6, 7, False)
    changed = data["differences"][0]
    assert changed == {
        "path": ["numbers", ONE, "friendly_name"],
        "kind": "changed",
        "before": "Support",
        "after": "Hacked",
    }
    assert [d["kind"] for d in data["differences"]] == ["changed", "removed", "added"]
    assert data["differences"][1]["before"]["phone_number"] == TWO_


def test_a_state_and_its_backup_after_an_apply(tmp_path: Path) -> None:
    make_project(tmp_path)
    manifest = tmp_path / "numbers.yaml"
    manifest.write_text(PROJECT_MANIFEST.replace("Support overflow", "Overflow"))
    with new_sandbox(seed()) as sb:
        assert apply(sb, tmp_path).code == 0
    backup = STATE + ".backup"
    files = exoplan(None, tmp_path, "state", "diff", backup, STATE, "--detailed-exitcode")
    versions = exoplan(
        None, tmp_path, "state", "diff", "--from-version", "7", "--to-version", "8", "--json"
    )
    assert files.code == 2
    assert f'  ~ numbers.{TWO}.friendly_name: "Support overflow" -> "Overflow"' in files.stdout
    assert versions.code == 0
    found = {tuple(d["path"]): d for d in json.loads(versions.stdout)["differences"]}
    assert found[("numbers", TWO, "friendly_name")]["after"] == "Overflow"
    assert found[("last_journal",)]["kind"] == "added"  # the apply's journal, folded


def test_a_version_the_file_store_does_not_keep_is_an_error(tmp_path: Path) -> None:
    make_project(tmp_path)
    result = exoplan(None, tmp_path, "state", "diff", "--from-version", "3", "--to-version", "7")
    assert result.code == 1
    assert result.stderr == (
        "error: numbers.state.json: no kept version has serial 3 (`exoplan state history` lists "
        "them; a state file keeps only itself and its .backup)\n"
    )


def test_a_missing_state_is_an_error_naming_it(tmp_path: Path) -> None:
    two_states(tmp_path)
    result = exoplan(None, tmp_path, "state", "diff", "old.json", "nowhere.json")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr.startswith("error: nowhere.json: no state there to compare")


def test_states_and_versions_together_are_a_usage_error(tmp_path: Path) -> None:
    two_states(tmp_path)
    both = exoplan(None, tmp_path, "state", "diff", "old.json", "new.json", "--from-version", "6")
    neither = exoplan(None, tmp_path, "state", "diff", "--from-version", "6")
    bad = exoplan(None, tmp_path, "state", "diff", "--from-version", "-1", "--to-version", "2")
    assert both.code == neither.code == bad.code == 1
    assert "not both" in both.stderr and "--to-version M" in neither.stderr
    assert "expected a serial" in bad.stderr


def test_hostile_values_in_a_state_are_escaped(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    write_state(old, {ONE: {"friendly_name": "Support"}})
    write_state(new, {ONE: {"friendly_name": "\x1b[2J\u009b31m\u202eevil"}})
    text = exoplan(None, tmp_path, "state", "diff", "old.json", "new.json").stdout
    raw = exoplan(None, tmp_path, "state", "diff", "old.json", "new.json", "--json").stdout
    assert not any(ch in text + raw for ch in "\x1b\u009b\u202e")
    assert "\\u001b[2J\\x9b31m\\u202eevil" in text
    assert json.loads(raw)["differences"][0]["after"] == "\x1b[2J\u009b31m\u202eevil"
