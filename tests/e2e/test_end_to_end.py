"""End to end: the real ``exoplan`` command against the sandbox over real HTTP.

Each test starts its own sandbox on a free 127.0.0.1 port, writes a manifest for the
sandbox's account in ``tmp_path`` and runs ``python -m reconciler`` as a subprocess,
then checks what the user sees (output, exit code), what exoplan recorded (the state
file) and what the account saw (the sandbox's purchases and request log).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.sandbox.server import Sandbox
from tests.support.project import (
    JOURNAL,
    LOCK,
    MANIFEST,
    STATE,
    numbers,
    read_state,
    write_manifest,
)
from tests.support.run import FAST, apply, exoplan
from tests.support.sandbox import (
    assert_bought_once,
    assert_state_complete,
    new_sandbox,
    outside,
    owned_sids,
)

VOICE_123456 = "https://my.exotel.in/acme1/exoml/start_voice/123456"


def owned_record(sandbox: Sandbox, number: str) -> dict[str, Any]:
    return next(record for record in sandbox.owned() if record["phone_number"] == number)


def methods(log: list[tuple[str, str, int]]) -> list[str]:
    return [method for method, _, _ in log]


def test_plan_apply_then_plan_shows_no_changes(tmp_path: Path) -> None:
    first, second, third = numbers(3)
    write_manifest(
        tmp_path,
        [
            {"number": first, "friendly_name": "Support line", "voice_flow": "support-ivr"},
            {"number": "08030240002", "sms_flow": "order-sms"},  # national spelling of `second`
            third,
        ],
    )
    with new_sandbox(latency_ms=10) as sandbox:
        planned = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert planned.code == 2, planned.output
        assert f'+ purchase {first}  "Support line"' in planned.stdout
        assert "voice_flow: support-ivr (app 123456)" in planned.stdout
        assert "Plan: 3 to purchase, 0 to update, 0 to release. 0 unchanged." in planned.stdout
        assert not (tmp_path / STATE).exists()  # plan never writes the state
        assert sandbox.request_log == []  # and is offline

        applied = apply(sandbox, tmp_path)
        assert applied.code == 0, applied.output
        assert (
            "Apply finished: 3 purchased, 0 adopted, 0 updated, 0 released, 0 failed."
            in applied.stdout
        )
        assert methods(sandbox.request_log) == ["POST"] * 3
        assert_bought_once(sandbox, [first, second, third])
        assert_state_complete(tmp_path, sandbox, [first, second, third])
        entries = read_state(tmp_path)["numbers"]
        assert entries[first]["friendly_name"] == "Support line"
        # A purchase answer has no flow URLs (as documented): the state holds those sent.
        assert entries[first]["voice_url"] == "http://my.exotel.com/acme1/exoml/start_voice/123456"
        assert entries[second]["sms_url"] == "http://my.exotel.com/acme1/exoml/start_sms/223344"

        again = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert again.code == 0, again.output
        assert "No changes. 3 numbers match the manifest." in again.stdout
        live = exoplan(sandbox, tmp_path, "plan", "--refresh", "--detailed-exitcode", *FAST)
        assert live.code == 0, live.output
        assert "No changes. 3 numbers match the manifest." in live.stdout
        assert "exoplan manages every number the account owns" in live.stdout
        rerun = apply(sandbox, tmp_path)
        assert rerun.code == 0 and "No changes." in rerun.stdout, rerun.output
        assert_bought_once(sandbox, [first, second, third])


def test_update_sends_only_the_changed_fields(tmp_path: Path) -> None:
    first, second = numbers(2)
    entries = [
        {"number": first, "friendly_name": "Support", "voice_flow": "support-ivr"},
        {"number": second, "friendly_name": "Sales", "voice_flow": "support-ivr"},
    ]
    write_manifest(tmp_path, entries)
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        # Behind exoplan's back: the first number's voice flow changes on Exotel.
        outside(sandbox, "PUT", first, VoiceUrl="http://my.exotel.com/acme1/exoml/start/999")
        entries[0]["friendly_name"] = "Support desk"  # only the name changes here
        entries[1]["voice_flow"] = "sales-queue"  # only the flow changes here
        write_manifest(tmp_path, entries)
        before = len(sandbox.request_log)

        planned = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert planned.code == 2, planned.output
        assert f'~ update   {first}  "Support desk"' in planned.stdout
        assert 'friendly_name: "Support" -> "Support desk"' in planned.stdout
        assert "voice_flow: support-ivr (app 123456) -> sales-queue (app 234567)" in planned.stdout
        assert "Plan: 0 to purchase, 2 to update, 0 to release. 0 unchanged." in planned.stdout

        applied = apply(sandbox, tmp_path)
        assert applied.code == 0, applied.output
        assert (
            "Apply finished: 0 purchased, 0 adopted, 2 updated, 0 released, 0 failed."
            in applied.stdout
        )
        assert methods(sandbox.request_log[before:]) == ["PUT", "PUT"]
        renamed, repointed = owned_record(sandbox, first), owned_record(sandbox, second)
        assert renamed["friendly_name"] == "Support desk"
        # The voice URL was not sent with the name, so the outside change survives ...
        assert renamed["voice_url"] == "https://my.exotel.in/acme1/exoml/start_voice/999"
        assert repointed["voice_url"] == "https://my.exotel.in/acme1/exoml/start_voice/234567"
        assert repointed["friendly_name"] == "Sales"
        assert_bought_once(sandbox, [first, second])

        # ... until exoplan learns of it: the state records what Exotel answered to
        # the update, outside change included, so the next plan puts the flow back.
        planned = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert planned.code == 2, planned.output
        assert "voice_flow: app 999 -> support-ivr (app 123456)" in planned.stdout
        assert "Plan: 0 to purchase, 1 to update, 0 to release. 1 unchanged." in planned.stdout
        assert apply(sandbox, tmp_path).code == 0
        assert owned_record(sandbox, first)["voice_url"] == VOICE_123456
        assert exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode").code == 0
        assert_bought_once(sandbox, [first, second])


def test_release_needs_allow_release_and_never_touches_protected(tmp_path: Path) -> None:
    keep, protected, doomed = numbers(3)
    entries = [keep, {"number": protected, "protect": True}, doomed]
    write_manifest(tmp_path, entries)
    with new_sandbox() as sandbox:
        assert apply(sandbox, tmp_path).code == 0
        write_manifest(tmp_path, [keep, {"number": protected, "protect": True}])
        before = list(sandbox.request_log)

        planned = exoplan(sandbox, tmp_path, "plan")
        assert planned.code == 0, planned.output
        assert f'- release  {doomed}  "08030240003"  (rental 499.00 INR/month)' in planned.stdout
        assert "Warning: 1 number will be released." in planned.stdout

        refused = apply(sandbox, tmp_path)
        assert refused.code == 1, refused.output
        assert f"the plan releases 1 number(s) ({doomed})" in refused.stderr
        assert "Nothing was changed. Re-run with --allow-release" in refused.stderr
        assert sandbox.request_log == before  # refused before any request
        assert doomed in read_state(tmp_path)["numbers"]

        released = apply(sandbox, tmp_path, "--allow-release")
        assert released.code == 0, released.output
        assert (
            "Apply finished: 0 purchased, 0 adopted, 0 updated, 1 released, 0 failed."
            in released.stdout
        )
        # The usage guard asks the call history (GET .../Calls), then the number goes.
        assert methods(sandbox.request_log[len(before) :]) == ["GET", "DELETE"]
        assert {record["phone_number"] for record in sandbox.owned()} == {keep, protected}
        assert_state_complete(tmp_path, sandbox, [keep, protected])

        # A protected number dropped from the manifest is an error, even with the flag.
        write_manifest(tmp_path, [keep])
        before = list(sandbox.request_log)
        for args in (("plan",), ("apply", "--auto-approve", "--allow-release", *FAST)):
            result = exoplan(sandbox, tmp_path, *args)
            assert result.code == 1, result.output
            assert f"no longer lists protected number(s) {protected}" in result.stderr
        assert sandbox.request_log == before
        assert protected in {record["phone_number"] for record in sandbox.owned()}
        assert_bought_once(sandbox, [keep, protected, doomed])


def test_export_import_refresh_round_trip(tmp_path: Path) -> None:
    first, second, third = numbers(3)
    seed = [
        {"phone_number": first, "friendly_name": "Support", "voice_url": VOICE_123456},
        {
            "phone_number": second,
            "friendly_name": "Orders",
            "voice_url": VOICE_123456,
            "sms_url": "https://my.exotel.in/acme1/exoml/start_sms/223344",
        },
        {"phone_number": third, "friendly_name": "Spare"},
    ]
    with new_sandbox(seed=seed) as sandbox:
        exported = exoplan(
            sandbox, tmp_path, "export", "--account-sid", "acme1", "-o", MANIFEST, *FAST
        )
        assert exported.code == 0, exported.output
        assert f"Wrote 3 number(s) to {MANIFEST}" in exported.stderr
        text = (tmp_path / MANIFEST).read_text(encoding="utf-8")
        assert "voice-123456:" in text and "sms-223344:" in text
        valid = exoplan(sandbox, tmp_path, "validate")
        assert valid.code == 0, valid.output
        assert "valid (3 numbers, 2 flows, account acme1)" in valid.stdout

        # Before import the plan would buy what the account already owns ...
        assert "Plan: 3 to purchase" in exoplan(sandbox, tmp_path, "plan").stdout
        imported = exoplan(sandbox, tmp_path, "import", "--all", *FAST)
        assert imported.code == 0, imported.output
        assert (
            "Imported 3 number(s) into numbers.state.json; nothing was bought." in imported.stdout
        )
        # ... after it, the exported manifest matches the account exactly.
        assert exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode").code == 0
        state = read_state(tmp_path)
        assert state["numbers"][second]["sid"] == owned_sids(sandbox)[second]

        # A change made in the dashboard: refresh records it, plan puts the manifest back.
        outside(sandbox, "PUT", first, FriendlyName="Renamed in the dashboard")
        refreshed = exoplan(sandbox, tmp_path, "refresh", *FAST)
        assert refreshed.code == 0, refreshed.output
        assert f"~ {first}" in refreshed.stdout
        assert 'friendly_name: "Support" -> "Renamed in the dashboard"' in refreshed.stdout
        assert "1 number(s) changed outside exoplan" in refreshed.stdout
        entry = read_state(tmp_path)["numbers"][first]
        assert entry["friendly_name"] == "Renamed in the dashboard"
        planned = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert planned.code == 2
        assert 'friendly_name: "Renamed in the dashboard" -> "Support"' in planned.stdout
        assert apply(sandbox, tmp_path).code == 0
        assert owned_record(sandbox, first)["friendly_name"] == "Support"

        # A refresh with nothing new leaves the file alone; export still round-trips.
        serial = read_state(tmp_path)["serial"]
        quiet = exoplan(sandbox, tmp_path, "refresh", *FAST)
        assert "No changes outside exoplan" in quiet.stdout
        assert read_state(tmp_path)["serial"] == serial
        again = exoplan(sandbox, tmp_path, "export", *FAST)
        assert again.code == 0 and again.stdout == text, again.output
        assert sandbox.purchases == {}  # nothing was ever bought
        assert_state_complete(tmp_path, sandbox, [first, second, third])


def test_saved_plan_applies_exactly_what_was_reviewed(tmp_path: Path) -> None:
    first, second, late = numbers(3)
    write_manifest(tmp_path, [first, second])
    with new_sandbox() as sandbox:
        saved = exoplan(sandbox, tmp_path, "plan", "--out", "plan.json")
        assert saved.code == 0, saved.output
        assert "Saved the plan to plan.json" in saved.stderr
        data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
        assert [a["number"] for a in data["actions"]] == [first, second]
        text = json.dumps(data)
        assert sandbox.api_key not in text and sandbox.api_token not in text

        write_manifest(tmp_path, [first, second, late])  # edited after the review
        edited = apply(sandbox, tmp_path, "plan.json")
        assert edited.code == 1 and "numbers.yaml changed after the plan was made" in edited.stderr
        assert sandbox.purchases == {}

        write_manifest(tmp_path, [first, second])  # the manifest as reviewed
        applied = apply(sandbox, tmp_path, "plan.json")
        assert applied.code == 0, applied.output
        assert (
            "Apply finished: 2 purchased, 0 adopted, 0 updated, 0 released, 0 failed."
            in applied.stdout
        )
        assert_bought_once(sandbox, [first, second])  # not `late`: it was not in the plan
        assert_state_complete(tmp_path, sandbox, [first, second])

        stale = apply(sandbox, tmp_path, "plan.json")
        assert stale.code == 1, stale.output
        assert "plan.json: the plan is stale" in stale.stderr
        assert "exoplan plan -f numbers.yaml --state numbers.state.json --out plan.json" in (
            stale.stderr
        )
        assert_bought_once(sandbox, [first, second])

        write_manifest(tmp_path, [first, second, late])
        fresh = exoplan(sandbox, tmp_path, "plan", "--out", "plan.json")
        assert f"+ purchase {late}" in fresh.stdout
        assert "Plan: 1 to purchase, 0 to update, 0 to release. 2 unchanged." in fresh.stdout
        assert apply(sandbox, tmp_path, "plan.json").code == 0
        assert_bought_once(sandbox, [first, second, late])
        assert not (tmp_path / JOURNAL).exists() and not (tmp_path / LOCK).exists()
