"""Release safety through the sandbox: quarantine, then release once the days have
passed; restore; a mass change refused, then allowed; a partial apply."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from tests.support.inprocess import apply, exoplan
from tests.support.project import ACCOUNT, STATE, number, numbers, read_state
from tests.support.sandbox import new_sandbox, owned_sids

RETIRED_APP = 999


def write(folder: Path, entries: list[str], *, releases: bool = True, **safety: Any) -> None:
    data: dict[str, Any] = {
        "version": 1,
        "account": {"sid": ACCOUNT, "region": "mumbai"},
        "flows": {"support-ivr": {"app_id": 123456}, "retired": {"app_id": RETIRED_APP}},
    }
    if releases:
        data["releases"] = {"quarantine_flow": "retired", "quarantine_days": 14}
    if safety:
        data["safety"] = safety
    data["numbers"] = [{"number": n, "voice_flow": "support-ivr"} for n in entries]
    (folder / "numbers.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def live_voice(sandbox: Any, e164: str) -> str:
    (record,) = [r for r in sandbox.owned() if r["phone_number"] == e164]
    return str(record["voice_url"])


def backdate(folder: Path, e164: str, days: int) -> None:
    """Let ``days`` pass for a quarantined number (its start date moves back)."""
    path = folder / STATE
    data = json.loads(path.read_text(encoding="utf-8"))
    since = datetime.now(timezone.utc).date() - timedelta(days=days)
    data["numbers"][e164]["quarantined_at"] = since.isoformat()
    path.write_text(json.dumps(data), encoding="utf-8")


def test_quarantine_then_release_after_the_days(tmp_path: Path) -> None:
    first, second = numbers(2)
    write(tmp_path, [first, second])
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        write(tmp_path, [first])
        planned = exoplan(sandbox, tmp_path, "plan")
        due = (datetime.now(timezone.utc).date() + timedelta(days=14)).isoformat()
        head = f'~ quarantine {second}  "08030240002"  -> retired (app 999)'
        assert f"{head} (release after {due})" in planned.stdout
        assert "1 to quarantine, 0 to release" in planned.stdout
        quarantined = apply(sandbox, tmp_path)  # no --allow-release needed: nothing is lost
        assert quarantined.code == 0, quarantined.output
        assert "1 quarantined" in quarantined.stdout
        assert live_voice(sandbox, second).endswith(f"/{RETIRED_APP}")
        entry = read_state(tmp_path)["numbers"][second]
        assert entry["quarantined_at"] == datetime.now(timezone.utc).date().isoformat()
        waiting = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert waiting.code == 0, waiting.output
        assert f'{second}  "08030240002"  release after {due}' in waiting.stdout
        listed = exoplan(sandbox, tmp_path, "state", "list")
        assert (
            f"in-quarantine-since={datetime.now(timezone.utc).date().isoformat()}" in listed.stdout
        )
        backdate(tmp_path, second, 14)
        refused = apply(sandbox, tmp_path)
        assert refused.code == 1 and "--allow-release" in refused.stderr
        released = apply(sandbox, tmp_path, "--allow-release")
        assert released.code == 0, released.output
        assert sorted(owned_sids(sandbox)) == [first]
        assert list(read_state(tmp_path)["numbers"]) == [first]


def test_a_number_put_back_during_quarantine_is_restored(tmp_path: Path) -> None:
    first, second = numbers(2)
    write(tmp_path, [first, second])
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        before = live_voice(sandbox, second)
        write(tmp_path, [first])
        assert apply(sandbox, tmp_path).code == 0
        write(tmp_path, [first, second])
        planned = exoplan(sandbox, tmp_path, "plan")
        assert f"~ update   {second}" in planned.stdout and "quarantine: " in planned.stdout
        restored = apply(sandbox, tmp_path)
        assert restored.code == 0, restored.output
        assert live_voice(sandbox, second) == before
        entry = read_state(tmp_path)["numbers"][second]
        assert "quarantined_at" not in entry and "quarantine_previous" not in entry
        final = exoplan(sandbox, tmp_path, "plan", "--refresh", "--detailed-exitcode")
        assert final.code == 0, final.output


def test_a_mass_change_is_refused_then_allowed(tmp_path: Path) -> None:
    wanted = numbers(10)
    write(tmp_path, wanted, releases=False)
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        write(tmp_path, wanted[:6], releases=False)
        planned = exoplan(sandbox, tmp_path, "plan")
        limit = "above safety.max_release_percent = 30%"
        assert f"release or quarantine 4 of 10 managed numbers (40%), {limit}" in planned.stdout
        markdown = exoplan(sandbox, tmp_path, "plan", "--format", "markdown")
        assert "> [!WARNING]" in markdown.stdout and "Mass change" in markdown.stdout
        refused = apply(sandbox, tmp_path, "--allow-release")
        assert refused.code == 1
        assert "refusing a mass change" in refused.stderr
        assert "--allow-mass-change" in refused.stderr
        assert len(owned_sids(sandbox)) == 10  # nothing was sent
        allowed = apply(sandbox, tmp_path, "--allow-release", "--allow-mass-change")
        assert allowed.code == 0, allowed.output
        assert sorted(owned_sids(sandbox)) == wanted[:6]


def test_a_partial_apply_leaves_the_rest_for_a_later_plan(tmp_path: Path) -> None:
    wanted = numbers(3)
    write(tmp_path, wanted)
    with new_sandbox() as sandbox:
        target = "08030240002"  # any spelling
        planned = exoplan(sandbox, tmp_path, "plan", "--target", target, "--format", "json")
        data = json.loads(planned.stdout)
        assert [a["number"] for a in data["actions"]] == [number(2)]
        assert data["scope"] == {
            "targets": [number(2)],
            "excludes": [],
            "selected": 1,
            "total": 3,
        }
        text = exoplan(sandbox, tmp_path, "plan", "--target", target)
        assert f"Partial plan: 1 of 3 numbers (--target {number(2)})" in text.stdout
        saved = exoplan(sandbox, tmp_path, "plan", "--exclude", number(1), "--out", "p.json")
        assert saved.code == 0, saved.output
        mixed = exoplan(sandbox, tmp_path, "apply", "p.json", "--target", number(1))
        assert mixed.code == 1 and "cannot change a saved plan" in mixed.stderr
        partial = apply(sandbox, tmp_path, "p.json")
        assert partial.code == 0, partial.output
        assert sorted(owned_sids(sandbox)) == [number(2), number(3)]
        rest = exoplan(sandbox, tmp_path, "plan")
        assert f"+ purchase {number(1)}" in rest.stdout
        assert "Plan: 1 to purchase, 0 to update, 0 to release. 2 unchanged." in rest.stdout
        unknown = exoplan(sandbox, tmp_path, "plan", "--target", "+918030240099")
        assert unknown.code == 1
        assert unknown.stderr.startswith("error: --target +918030240099: ")
