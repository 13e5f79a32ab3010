"""Many accounts in one repository, end to end: a directory of manifests for two
accounts of one multi-account sandbox, each account with its own key and token in
variables its manifests name, over real HTTP."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from reconciler.manifest.schema import schema
from reconciler.sandbox.server import Sandbox
from tests.support.project import FLOWS, numbers
from tests.support.run import FAST, exoplan, finish, start_exoplan, wait_for
from tests.support.sandbox import fetch

ACME, GLOBEX = "acme1", "globex1"
CREDENTIALS = {
    ACME: ("ACME_KEY", "ACME_TOKEN", "acme-key-0001", "acme-token-0001"),
    GLOBEX: ("GLOBEX_KEY", "GLOBEX_TOKEN", "globex-key-0002", "globex-token-0002"),
}
#: Support and sales share the acme1 account; globex is another account.
SUPPORT, SALES, HELPDESK = numbers(3, 1), numbers(3, 11), numbers(3, 21)


def sandbox(**options: Any) -> Sandbox:
    """One URL serving both accounts, each with its own key and token."""
    _, _, key, token = CREDENTIALS[ACME]
    _, _, globex_key, globex_token = CREDENTIALS[GLOBEX]
    return Sandbox(
        "127.0.0.1",
        0,
        account_sid=ACME,
        api_key=key,
        api_token=token,
        accounts=[(GLOBEX, globex_key, globex_token)],
        **options,
    )


def env(sandbox: Sandbox, **tokens: str) -> dict[str, str]:
    """The variables the manifests name (``tokens`` overrides a token by account)."""
    found = {"EXOTEL_API_URL": sandbox.url}
    for account, (key_env, token_env, key, token) in CREDENTIALS.items():
        found.update({key_env: key, token_env: tokens.get(account, token)})
    return found


def manifest(folder: Path, name: str, account: str, wanted: list[str], **extra: Any) -> Path:
    key_env, token_env, _, _ = CREDENTIALS[account]
    data = {
        "version": 1,
        "account": {
            "sid": account,
            "region": "mumbai",
            "credentials": {"key_env": key_env, "token_env": token_env},
        },
        "flows": {flow: {"app_id": app_id} for flow, app_id in FLOWS.items()},
        "numbers": [{"number": n, "voice_flow": "support-ivr"} for n in wanted],
        **extra,
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def repository(tmp_path: Path) -> Path:
    """``accounts/`` with three manifests on two accounts."""
    folder = tmp_path / "accounts"
    folder.mkdir()
    manifest(folder, "acme-support.yaml", ACME, SUPPORT)
    manifest(folder, "acme-sales.yml", ACME, SALES)
    manifest(folder, "globex.yaml", GLOBEX, HELPDESK)
    (folder / "README.txt").write_text("not a manifest", encoding="utf-8")
    return folder


def run(sandbox: Sandbox, cwd: Path, *args: str, **tokens: str) -> Any:
    return exoplan(None, cwd, *args, env=env(sandbox, **tokens))


def owned(sandbox: Sandbox, account: str) -> list[str]:
    return sorted(record["phone_number"] for record in sandbox.owned(account))


def state_numbers(folder: Path, stem: str) -> list[str]:
    data = json.loads((folder / f"{stem}.state.json").read_text(encoding="utf-8"))
    return sorted(data["numbers"])


def test_three_manifests_on_two_accounts_plan_apply_then_plan_clean(tmp_path: Path) -> None:
    folder = repository(tmp_path)
    with sandbox(latency_ms=5) as server:
        planned = run(server, tmp_path, "plan", "-f", "accounts", "--detailed-exitcode")
        assert planned.code == 2, planned.output
        headings = [line for line in planned.stdout.splitlines() if line.startswith("== ")]
        assert headings == [
            "== accounts/acme-sales.yml (account acme1) ==",
            "== accounts/acme-support.yaml (account acme1) ==",
            "== accounts/globex.yaml (account globex1) ==",
        ]
        assert "Total: 3 manifests, 9 to purchase, 0 to update, 0 to release." in planned.stdout
        applied = run(server, tmp_path, "apply", "-f", "accounts", "--auto-approve", *FAST)
        assert applied.code == 0, applied.output
        for stem in ("acme-sales", "acme-support", "globex"):
            assert f"accounts/{stem}.y" in applied.stdout
        assert "Apply finished: 3 of 3 manifests ok, 0 failed." in applied.stdout
        assert owned(server, ACME) == sorted(SUPPORT + SALES)
        assert owned(server, GLOBEX) == sorted(HELPDESK)
        assert state_numbers(folder, "acme-support") == SUPPORT
        assert state_numbers(folder, "acme-sales") == SALES
        assert state_numbers(folder, "globex") == HELPDESK
        again = run(
            server, tmp_path, "plan", "-f", "accounts", "--refresh", "--detailed-exitcode", *FAST
        )
        assert again.code == 0, again.output
        assert dict(server.purchases) == dict.fromkeys(SUPPORT + SALES + HELPDESK, 1)
        drift = run(server, tmp_path, "drift", "-f", "accounts", *FAST)
        assert drift.code == 0, drift.output


def test_a_number_in_two_manifests_of_one_account_names_both_files_and_lines(
    tmp_path: Path,
) -> None:
    folder = repository(tmp_path)
    manifest(folder, "acme-sales.yml", ACME, [*SALES, SUPPORT[1]])
    with sandbox() as server:
        result = run(server, tmp_path, "plan", "-f", "accounts")
        assert result.code == 1
        assert result.stdout == ""
        line = next(x for x in result.stderr.splitlines() if SUPPORT[1] in x)
        # listed first by acme-sales.yml (path order), then again by acme-support.yaml
        assert re.match(
            r"accounts/acme-support\.yaml:\d+:\d+: \+918030240002 is also listed in "
            r"accounts/acme-sales\.yml:\d+:\d+ \(account acme1\)",
            line,
        ), line
        assert server.request_log == []


def test_the_same_number_on_two_accounts_is_no_conflict(tmp_path: Path) -> None:
    folder = tmp_path / "accounts"
    folder.mkdir()
    manifest(folder, "a.yaml", ACME, SUPPORT)
    manifest(folder, "b.yaml", GLOBEX, SUPPORT)
    result = exoplan(None, tmp_path, "validate", "-f", "accounts")
    assert result.code == 0, result.output


@pytest.mark.parametrize(("jobs", "interleaved"), [("2", True), ("1", False)])
def test_accounts_apply_side_by_side_up_to_jobs(
    tmp_path: Path, jobs: str, interleaved: bool
) -> None:
    repository(tmp_path)
    with sandbox(latency_ms=60) as server:
        args = ("apply", "-f", "accounts", "--auto-approve", "--parallelism", "1", "--jobs", jobs)
        result = run(server, tmp_path, *args, *FAST)
        assert result.code == 0, result.output
        posts = [path for method, path, _ in server.request_log if method == "POST"]
        order = [GLOBEX if f"/{GLOBEX}/" in path else ACME for path in posts]
        switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
        # one after another, the accounts switch once; side by side, again and again
        assert (switches > 1) is interleaved, order


def test_a_bad_token_fails_its_account_while_the_other_is_applied_and_saved(
    tmp_path: Path,
) -> None:
    folder = repository(tmp_path)
    with sandbox() as server:
        result = run(
            server,
            tmp_path,
            "apply",
            "-f",
            "accounts",
            "--auto-approve",
            *FAST,
            globex1="wrong-token-9999",
        )
        assert result.code == 1, result.output
        assert "accounts/globex.yaml: failed:" in result.stdout
        assert "Apply finished: 2 of 3 manifests ok, 1 failed." in result.stdout
        assert "HTTP 401" in result.output
        assert owned(server, GLOBEX) == []
        assert owned(server, ACME) == sorted(SUPPORT + SALES)
        assert state_numbers(folder, "acme-support") == SUPPORT
        assert state_numbers(folder, "acme-sales") == SALES
        assert "wrong-token-9999" not in result.output


def test_json_and_markdown_of_several_manifests(tmp_path: Path) -> None:
    repository(tmp_path)
    (tmp_path / "accounts" / "broken.yaml").write_text("version: 1\naccount: [\n", "utf-8")
    with sandbox() as server:
        data_run = run(server, tmp_path, "plan", "-f", "accounts", "--format", "json")
        assert data_run.code == 1
        data = json.loads(data_run.stdout)
        assert list(Draft202012Validator(schema("plan")).iter_errors(data)) == []
        assert data["format_version"] == 1
        entries = {entry["path"]: entry for entry in data["manifests"]}
        assert entries["accounts/broken.yaml"]["plan"] is None
        assert "accounts/broken.yaml:" in entries["accounts/broken.yaml"]["error"]
        assert entries["accounts/globex.yaml"]["account"] == GLOBEX
        assert entries["accounts/globex.yaml"]["plan"]["summary"]["purchase"] == 3
        assert data["totals"]["purchase"] == 9 and data["totals"]["failed"] == 1
        one = run(server, tmp_path, "plan", "-f", "accounts/globex.yaml", "--format", "json")
        assert json.loads(one.stdout)["format"] == "exoplan-plan"  # one: as it always was
        text = run(server, tmp_path, "plan", "-f", "accounts", "--format", "markdown").stdout
        assert text.count("<!-- exoplan-plan -->") == 1
        assert "| Manifest | Account | Purchase | Update | Release | Monthly change |" in text
        assert text.count("<details><summary>") == 4
        assert text.count("</details>") == 4
        assert "| `accounts/broken.yaml` | ? | **failed** |" in text


def test_a_saved_plan_is_refused_whole_when_one_state_moved(tmp_path: Path) -> None:
    folder = repository(tmp_path)
    with sandbox() as server:
        planned = run(server, tmp_path, "plan", "-f", "accounts", "--out", "plan.json")
        assert planned.code == 0, planned.output
        moved = run(
            server, tmp_path, "apply", "-f", "accounts/globex.yaml", "--auto-approve", *FAST
        )
        assert moved.code == 0, moved.output
        before = sorted(server.purchases)
        refused = run(server, tmp_path, "apply", "plan.json", "--auto-approve", *FAST)
        assert refused.code == 1
        assert "none was applied" in refused.stderr
        assert "accounts/globex.yaml: plan.json: the plan is stale" in refused.stderr
        assert sorted(server.purchases) == before
        assert not (folder / "acme-support.state.json").exists()


def test_a_saved_plan_of_several_manifests_applies_them_all(tmp_path: Path) -> None:
    repository(tmp_path)
    with sandbox() as server:
        assert run(server, tmp_path, "plan", "-f", "accounts", "--out", "plan.json").code == 0
        applied = run(server, tmp_path, "apply", "plan.json", "--auto-approve", *FAST)
        assert applied.code == 0, applied.output
        assert owned(server, ACME) == sorted(SUPPORT + SALES)
        assert owned(server, GLOBEX) == sorted(HELPDESK)


def test_state_file_with_several_manifests_is_a_usage_error(tmp_path: Path) -> None:
    repository(tmp_path)
    result = exoplan(None, tmp_path, "plan", "-f", "accounts", "--state", "one.json")
    assert result.code == 1
    assert "--state names one state, but several manifests were given" in result.stderr


def test_sigterm_saves_every_accounts_progress(tmp_path: Path) -> None:
    folder = tmp_path / "accounts"
    folder.mkdir()
    # Enough work that neither account can finish while the other is still starting.
    acme, globex = numbers(40, 1), numbers(40, 51)
    manifest(folder, "acme.yaml", ACME, acme)
    manifest(folder, "globex.yaml", GLOBEX, globex)
    with sandbox(latency_ms=150) as server:
        process = start_exoplan(
            None,
            tmp_path,
            "apply",
            "-f",
            "accounts",
            "--auto-approve",
            "--parallelism",
            "1",
            *FAST,
            env=env(server),
        )
        wait_for(lambda: len(server.owned(ACME)) >= 2 and len(server.owned(GLOBEX)) >= 2)
        process.send_signal(signal.SIGTERM)
        result = finish(process)
        assert result.code == 143, result.output
        for stem, account in (("acme", ACME), ("globex", GLOBEX)):
            bought = owned(server, account)
            assert 2 <= len(bought) < 40
            assert state_numbers(folder, stem) == bought
        again = run(server, tmp_path, "apply", "-f", "accounts", "--auto-approve", *FAST)
        assert again.code == 0, again.output
        assert dict(server.purchases) == dict.fromkeys(acme + globex, 1)


def test_pools_of_one_account_never_pick_the_same_number(tmp_path: Path) -> None:
    folder = tmp_path / "accounts"
    folder.mkdir()
    pool = {"count": 2, "country": "IN", "type": "Landline", "voice_flow": "support-ivr"}
    manifest(folder, "a.yaml", ACME, [], pools={"desk": pool})
    manifest(folder, "b.yaml", ACME, [], pools={"desk": pool})
    with sandbox() as server:
        result = run(server, tmp_path, "plan", "-f", "accounts", "--refresh", "--json", *FAST)
        assert result.code == 0, result.output
        picked = [
            action["number"]
            for entry in json.loads(result.stdout)["manifests"]
            for action in entry["plan"]["actions"]
        ]
        assert len(picked) == 4 and len(set(picked)) == 4


def test_validate_names_a_number_shared_by_two_manifests_of_one_account(tmp_path: Path) -> None:
    folder = repository(tmp_path)
    manifest(folder, "acme-sales.yml", ACME, [*SALES, SUPPORT[0]])
    result = exoplan(None, tmp_path, "validate", "-f", "accounts")
    assert result.code == 1
    assert "is also listed in accounts/acme-sales.yml:" in result.stderr


def test_refresh_and_import_over_several_manifests(tmp_path: Path) -> None:
    folder = repository(tmp_path)
    with sandbox() as server:
        for account, wanted in ((ACME, [SUPPORT[0], SALES[0]]), (GLOBEX, [HELPDESK[0]])):
            key_env, token_env, key, token = CREDENTIALS[account]
            for e164 in wanted:
                url = f"{server.url}/v2_beta/Accounts/{account}/IncomingPhoneNumbers"
                assert fetch("POST", url, data={"PhoneNumber": e164}, auth=(key, token)).ok
        imported = run(server, tmp_path, "import", "-f", "accounts", SUPPORT[0], HELPDESK[0], *FAST)
        assert imported.code == 0, imported.output
        assert state_numbers(folder, "acme-support") == [SUPPORT[0]]
        assert state_numbers(folder, "globex") == [HELPDESK[0]]
        assert not (folder / "acme-sales.state.json").exists()
        assert "Total: 3 of 3 manifests imported, 0 failed." in imported.stdout
        nowhere = run(server, tmp_path, "import", "-f", "accounts", "+918030249999", *FAST)
        assert nowhere.code == 1 and "is listed in none of the manifests" in nowhere.stderr
        refreshed = run(
            server, tmp_path, "refresh", "-f", "accounts", *FAST, globex1="bad-token-42"
        )
        assert refreshed.code == 1, refreshed.output
        assert "accounts/acme-support.yaml: refreshed" in refreshed.stdout
        assert "accounts/globex.yaml: failed" in refreshed.stdout


def test_apply_fills_pools_of_one_account_with_distinct_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "accounts"
    folder.mkdir()
    pool = {"count": 2, "country": "IN", "type": "Landline", "voice_flow": "support-ivr"}
    manifest(folder, "a.yaml", ACME, [], pools={"desk": pool})
    manifest(folder, "b.yaml", ACME, [], pools={"desk": pool})
    with sandbox() as server:
        result = run(server, tmp_path, "apply", "-f", "accounts", "--auto-approve", *FAST)
        assert result.code == 0, result.output
        assert len(server.purchases) == 4 and set(server.purchases.values()) == {1}
        assert len(set(state_numbers(folder, "a")) | set(state_numbers(folder, "b"))) == 4


def test_target_picks_the_manifest_that_knows_the_number(tmp_path: Path) -> None:
    repository(tmp_path)
    result = exoplan(None, tmp_path, "plan", "-f", "accounts", "--target", HELPDESK[0])
    assert result.code == 0, result.output
    assert "Total: 3 manifests, 1 to purchase, 0 to update, 0 to release." in result.stdout
    assert result.stdout.count("(--target names none of its numbers)") == 2
    typo = exoplan(None, tmp_path, "plan", "-f", "accounts", "--target", "+918030249999")
    assert typo.code == 1 and typo.stdout == ""
    assert "--target +918030249999: no manifest given lists it" in typo.stderr
