"""``exoplan apply`` end to end: the real command in a subprocess against the sandbox."""

from __future__ import annotations

import hashlib
import json
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from reconciler.sandbox.server import Sandbox
from tests.support.project import (
    ACCOUNT,
    JOURNAL,
    LINEAGE,
    LOCK,
    LOCKED_ERROR,
    STATE,
    hold_lock,
    journal_record,
    number,
    read_state,
    write_journal,
    write_manifest,
    write_state,
)
from tests.support.records import record
from tests.support.run import (
    FAST,
    Result,
    Runner,
    exoplan,
    plain,
    run_on_terminal,
    start_exoplan,
    wait_for,
)
from tests.support.sandbox import (
    COLLECTION,
    assert_no_secrets,
    new_sandbox,
    outside,
    owned_sids,
)

#: apply without client-side pacing: the sandbox is local and the tests want speed.
APPLY = ("apply", *FAST)
#: The flows of the tests that read app ids back (the other manifests use the shared FLOWS).
OWN_FLOWS = {"support-ivr": 123456, "sales-ivr": 223344, "order-sms": 323232}
FOUR = [number(i) for i in range(1, 5)]
RUN_AGAIN = "Fix the cause and run `exoplan apply` again: it retries only what is still to do."

Exo = Callable[..., Result]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with new_sandbox() as running:
        yield running


@pytest.fixture
def exo(run_exoplan: Runner, sandbox: Sandbox) -> Exo:
    """Run exoplan in tmp_path against ``sandbox`` (or with the ``env`` given)."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return run_exoplan(*args, env=sandbox.env() if env is None else env)

    return run


@pytest.fixture
def owning() -> Iterator[Sandbox]:
    """A sandbox whose account owns +918030240001 (SID1) and +918030240009 (SID9)."""
    seed = [{"sid": "SID1", "phone_number": number(1)}, {"sid": "SID9", "phone_number": number(9)}]
    with new_sandbox(seed) as running:
        yield running


def keep_one_release_one(folder: Path, protect: bool = False) -> bytes:
    """The manifest keeps +918030240001; the state also has +918030240009: a release."""
    write_manifest(folder, [number(1)])
    entries = {number(1): {"sid": "SID1"}, number(9): {"sid": "SID9", "protect": protect}}
    return write_state(folder / STATE, entries, account_sid=ACCOUNT)


# -- asking before changing anything ---------------------------------------------------


def test_without_a_terminal_apply_refuses_to_ask_and_changes_nothing(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, FOUR[:3])
    result = exo("apply", "--rate-limit", "30")
    assert result.code == 1
    assert result.stderr == (
        "error: apply needs a 'yes', but standard input is not a terminal: review the plan "
        "and re-run with --auto-approve (none of its changes were made)\n"
    )
    assert "Plan: 3 to purchase, 0 to update, 0 to release. 0 unchanged." in result.stdout
    assert result.stdout.endswith(
        "This plan needs 3 API call(s); at 30 writes/minute that takes about 6 s.\n"
    )
    assert sandbox.request_log == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml"]


def test_on_a_terminal_yes_applies_with_each_result_kept_on_screen(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    write_manifest(tmp_path, FOUR[:3])
    result = run_on_terminal(tmp_path, *APPLY, sandbox=sandbox, answer="yes\n")
    shown = plain(result.stdout)
    assert result.code == 0, shown
    estimate = shown.index("This plan needs 3 API call(s); no client-side write rate limit is set.")
    assert estimate < shown.index("Apply these changes? Only 'yes' will be accepted: ")
    kept = r"\[{}/3\] purchase \+9180302400\d\d: purchased \(sid "
    for done_count in (1, 2, 3):  # each result stays in the scrollback
        assert re.search(kept.format(done_count), shown), shown
    assert "Apply finished: 3 purchased, 0 adopted, 0 updated, 0 released, 0 failed." in shown
    assert sandbox.purchases == Counter(FOUR[:3])
    assert sorted(read_state(tmp_path)["numbers"]) == FOUR[:3]
    assert_no_secrets(sandbox, tmp_path, [result.stdout])


@pytest.mark.parametrize("answer", ["no\n", "y\n", "YES\n", "\n", "\x04"])
def test_on_a_terminal_anything_but_yes_cancels(
    tmp_path: Path, sandbox: Sandbox, answer: str
) -> None:
    write_manifest(tmp_path, FOUR[:2])
    result = run_on_terminal(tmp_path, *APPLY, sandbox=sandbox, answer=answer)
    shown = plain(result.stdout)
    assert result.code == 1, shown
    assert shown.rstrip().endswith("error: apply cancelled; none of the plan's changes were made")
    assert sandbox.request_log == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml"]


# -- applying --------------------------------------------------------------------------


def test_apply_stores_exotels_answer_and_then_plans_no_changes(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    support = {
        "number": number(1),
        "friendly_name": "Support line",
        "voice_flow": "support-ivr",
        "sms_flow": "order-sms",
        "protect": True,
    }
    write_manifest(tmp_path, [support, number(2), "08030240003"], flows=OWN_FLOWS)
    result = exo(*APPLY, "--auto-approve")
    assert result.code == 0, result.stderr
    assert (
        "Apply finished: 3 purchased, 0 adopted, 0 updated, 0 released, 0 failed." in result.stdout
    )
    state = read_state(tmp_path)
    assert (state["account_sid"], state["serial"]) == (ACCOUNT, 1)
    owned = {record["phone_number"]: record for record in sandbox.owned()}
    assert sorted(state["numbers"]) == sorted(owned) == [number(1), number(2), number(3)]
    for phone, entry in state["numbers"].items():
        for field in ("sid", "rental_price", "currency", "capabilities", "country"):
            assert entry[field] == owned[phone][field], (phone, field)
        assert (entry["rental_price"], entry["currency"]) == ("499.000000", "INR")
    first = state["numbers"][number(1)]
    assert first["friendly_name"] == "Support line"
    # The purchase answer has no flow URLs (as documented): the state holds those sent.
    assert first["voice_url"] == f"http://my.exotel.com/{ACCOUNT}/exoml/start_voice/123456"
    assert first["sms_url"] == f"http://my.exotel.com/{ACCOUNT}/exoml/start_sms/323232"
    assert first["protect"] is True
    assert sandbox.purchases == Counter([number(1), number(2), number(3)])
    again = exo("plan", "--detailed-exitcode")
    assert (again.code, again.stdout) == (0, "No changes. 3 numbers match the manifest.\n")
    assert exo("refresh", *FAST).code == 0  # flows as Exotel lists them, after a refresh
    first = read_state(tmp_path)["numbers"][number(1)]
    assert first["voice_url"] == f"https://my.exotel.in/{ACCOUNT}/exoml/start_voice/123456"
    assert first["sms_url"] == f"https://my.exotel.in/{ACCOUNT}/exoml/start_sms/323232"
    assert (first["rental_price"], first["currency"]) == ("499.000000", "INR")


def test_without_a_terminal_each_finished_action_prints_one_line(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, FOUR)
    result = exo(*APPLY, "--auto-approve")
    assert result.code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    found = [
        re.fullmatch(r"\[(\d)/4\] purchase (\+\d+): purchased \(sid (\w+)\)", x) for x in lines
    ]
    assert all(found), lines
    assert [int(m[1]) for m in found if m] == [1, 2, 3, 4]
    assert {m[2]: m[3] for m in found if m} == owned_sids(sandbox)
    assert "\r" not in result.stdout and "\x1b" not in result.stdout


def test_changing_a_flow_updates_it_and_exotels_url_form_is_no_change(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    entries: list[dict[str, object]] = [
        {"number": number(1), "friendly_name": "Support", "voice_flow": "support-ivr"},
        {"number": number(2)},
    ]
    write_manifest(tmp_path, entries, flows=OWN_FLOWS)
    assert exo(*APPLY, "--auto-approve").code == 0
    entries[0]["voice_flow"] = "sales-ivr"
    write_manifest(tmp_path, entries, flows=OWN_FLOWS)
    before = len(sandbox.request_log)
    result = exo(*APPLY, "--auto-approve")
    assert result.code == 0, result.stderr
    assert "voice_flow: support-ivr (app 123456) -> sales-ivr (app 223344)" in result.stdout
    assert (
        "Apply finished: 0 purchased, 0 adopted, 1 updated, 0 released, 0 failed." in result.stdout
    )
    sid = owned_sids(sandbox)[number(1)]
    assert sandbox.request_log[before:] == [("PUT", f"{COLLECTION}/{sid}", 200)]
    entry = read_state(tmp_path)["numbers"][number(1)]
    # Exotel answers with another host and scheme than exoplan sent: same app id
    assert entry["voice_url"] == f"https://my.exotel.in/{ACCOUNT}/exoml/start_voice/223344"
    assert entry["friendly_name"] == "Support"
    again = exo("plan", "--detailed-exitcode")
    assert (again.code, again.stdout) == (0, "No changes. 2 numbers match the manifest.\n")


def test_a_protect_only_change_needs_no_api_call(tmp_path: Path, owning: Sandbox, exo: Exo) -> None:
    write_manifest(tmp_path, [{"number": number(1), "protect": True}])
    write_state(tmp_path / STATE, {number(1): {"sid": "SID1"}}, account_sid=ACCOUNT)
    result = exo(*APPLY, "--auto-approve", env=owning.env())
    assert result.code == 0, result.stderr
    assert "This plan needs 0 API call(s)" in result.stdout
    assert f"[1/1] update {number(1)}: protect flag recorded" in result.stdout
    assert owning.request_log == []
    assert read_state(tmp_path)["numbers"][number(1)]["protect"] is True


def test_a_number_the_account_already_owns_is_adopted_not_bought_again(
    tmp_path: Path, owning: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, [number(1), number(2)])  # the account owns 1, the state is empty
    result = exo(*APPLY, "--auto-approve", env=owning.env())
    assert result.code == 0, result.stderr
    assert (
        f"purchase {number(1)}: adopted: the account already owned it (sid SID1)" in result.stdout
    )
    assert (
        "Apply finished: 1 purchased, 1 adopted, 0 updated, 0 released, 0 failed." in result.stdout
    )
    assert owning.purchases == Counter([number(2)])
    assert read_state(tmp_path)["numbers"][number(1)]["sid"] == "SID1"


def test_a_purchase_whose_answer_was_lost_is_adopted_not_bought_twice(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, FOUR[:3])
    sandbox.drop_after_commit_next(1)  # bought, then the connection drops unanswered
    result = exo(*APPLY, "--auto-approve", "--parallelism", "1")
    assert result.code == 0, result.stderr
    sid = owned_sids(sandbox)[number(1)]
    assert (
        f"purchase {number(1)}: adopted: the account already owned it (sid {sid})" in result.stdout
    )
    assert sandbox.purchases == Counter(FOUR[:3])
    assert read_state(tmp_path)["numbers"][number(1)]["sid"] == sid


def test_many_lost_purchase_answers_are_settled_by_one_listing(tmp_path: Path) -> None:
    wanted = [number(i) for i in range(1, 13)]
    write_manifest(tmp_path, wanted)
    seed = [record(f"+9180302409{i:02d}", f"OWN{i}") for i in range(60)]  # two pages more
    with new_sandbox(seed, drop_rate=0.5, rng_seed=4) as sandbox:
        result = exoplan(sandbox, tmp_path, *APPLY, "--auto-approve", "--parallelism", "3")
        lost = sandbox.requests_by_status[0]
        listings = sandbox.pages_served[0]
        assert result.code == 0, result.stderr
        assert lost >= 2 and listings == 1
        assert f"{12 - lost} purchased, {lost} adopted, 0 updated" in result.stdout
        assert sandbox.purchases == Counter(wanted)  # each bought once
        assert sorted(read_state(tmp_path)["numbers"]) == sorted(wanted)


# -- releases --------------------------------------------------------------------------


def test_a_release_is_refused_without_allow_release_before_any_request(
    tmp_path: Path, owning: Sandbox, exo: Exo
) -> None:
    before = keep_one_release_one(tmp_path)
    result = exo(*APPLY, "--auto-approve", env=owning.env())
    assert result.code == 1
    assert result.stderr == (
        f"error: the plan releases 1 number(s) ({number(9)}); a released number is gone for "
        "good. Nothing was changed. Re-run with --allow-release if that is what you want\n"
    )
    assert owning.request_log == []
    assert (tmp_path / STATE).read_bytes() == before
    assert not (tmp_path / LOCK).exists()


def test_allow_release_releases_and_records_it(tmp_path: Path, owning: Sandbox, exo: Exo) -> None:
    keep_one_release_one(tmp_path)
    result = exo(*APPLY, "--auto-approve", "--allow-release", env=owning.env())
    assert result.code == 0, result.stderr
    assert f"[1/1] release {number(9)}: released" in result.stdout
    assert (
        "Apply finished: 0 purchased, 0 adopted, 0 updated, 1 released, 0 failed." in result.stdout
    )
    calls = f"/v1/Accounts/{ACCOUNT}/Calls"  # the usage guard asks first
    assert owning.request_log == [("GET", calls, 200), ("DELETE", f"{COLLECTION}/SID9", 202)]
    assert list(owned_sids(owning)) == [number(1)]
    assert list(read_state(tmp_path)["numbers"]) == [number(1)]
    assert exo("plan", "--detailed-exitcode", env=owning.env()).code == 0


def test_releasing_a_number_already_gone_from_the_account_succeeds(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    keep_one_release_one(tmp_path)  # the sandbox owns neither number
    result = exo(*APPLY, "--auto-approve", "--allow-release")
    assert result.code == 0, result.stderr
    assert f"[1/1] release {number(9)}: already gone from the account" in result.stdout
    assert list(read_state(tmp_path)["numbers"]) == [number(1)]


@pytest.mark.parametrize("flags", [(), ("--allow-release",)])
def test_a_protected_number_is_never_released(
    tmp_path: Path, owning: Sandbox, exo: Exo, flags: tuple[str, ...]
) -> None:
    before = keep_one_release_one(tmp_path, protect=True)
    result = exo(*APPLY, "--auto-approve", *flags, env=owning.env())
    assert result.code == 1
    assert result.stderr == (
        f"error: numbers.yaml no longer lists protected number(s) {number(9)}, so the plan "
        "would release them. Put them back; to release one on purpose, first set protect: "
        "false on its entry and apply, then remove it.\n"
    )
    assert owning.request_log == []
    assert (tmp_path / STATE).read_bytes() == before


def test_a_saved_plan_never_releases_a_number_the_state_protects(
    tmp_path: Path, owning: Sandbox, exo: Exo
) -> None:
    keep_one_release_one(tmp_path)
    env = owning.env()
    assert exo("plan", "--out", "p.json", env=env).code == 0
    # Protected by hand after the review, serial unchanged: the plan is not stale.
    data = read_state(tmp_path)
    data["numbers"][number(9)]["protect"] = True
    (tmp_path / STATE).write_text(json.dumps(data), encoding="utf-8")
    result = exo(*APPLY, "p.json", "--auto-approve", "--allow-release", env=env)
    assert result.code == 1
    assert result.stderr == (
        f"error: refusing to release protected number(s) {number(9)}: their state entries "
        "have protect: true. Set protect: false in the manifest and apply first\n"
    )
    assert owning.request_log == []


# -- saved plans -----------------------------------------------------------------------


def test_a_saved_plan_is_applied_exactly(tmp_path: Path, sandbox: Sandbox, exo: Exo) -> None:
    write_manifest(tmp_path, FOUR[:2])
    assert exo("plan", "--out", "p.json").code == 0
    result = exo(*APPLY, "p.json", "--auto-approve")
    assert result.code == 0, result.stderr
    assert "Plan: 2 to purchase, 0 to update, 0 to release. 0 unchanged." in result.stdout
    assert sandbox.purchases == Counter(FOUR[:2])
    assert sorted(read_state(tmp_path)["numbers"]) == FOUR[:2]
    write_manifest(tmp_path, FOUR)
    later = exo("plan", "--detailed-exitcode")
    assert later.code == 2
    assert f"  + purchase {number(3)}" in later.stdout


def test_a_saved_plan_whose_manifest_changed_after_it_was_made_is_refused(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, FOUR[:2])
    assert exo("plan", "--out", "p.json").code == 0
    then = hashlib.sha256((tmp_path / "numbers.yaml").read_bytes()).hexdigest()
    write_manifest(tmp_path, FOUR)  # the manifest moves on after the review
    now = hashlib.sha256((tmp_path / "numbers.yaml").read_bytes()).hexdigest()
    result = exo(*APPLY, "p.json", "--auto-approve")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: p.json: numbers.yaml changed after the plan was made (sha256 {then[:12]} "
        f"then, {now[:12]} now). Nothing was sent. Make a new plan with `exoplan plan -f "
        "numbers.yaml --out p.json` and review it\n"
    )
    assert sandbox.request_log == [] and not (tmp_path / STATE).exists()


def test_a_stale_saved_plan_is_refused(tmp_path: Path, sandbox: Sandbox, exo: Exo) -> None:
    write_manifest(tmp_path, FOUR[:2])
    assert exo("plan", "--out", "p.json").code == 0
    assert exo(*APPLY, "--auto-approve").code == 0  # the state moves on: serial 1
    state, requests_before = (tmp_path / STATE).read_bytes(), len(sandbox.request_log)
    result = exo(*APPLY, "p.json", "--auto-approve")
    assert result.code == 1
    assert result.stderr.startswith(
        "error: p.json: the plan is stale: it was made against state serial 0"
    )
    assert f"but {STATE} is now at serial 1 " in result.stderr
    assert result.stderr.endswith(
        f"Make a new plan with `exoplan plan -f numbers.yaml --state {STATE} --out p.json` "
        "and review it again\n"
    )
    assert sandbox.request_log[requests_before:] == []
    assert (tmp_path / STATE).read_bytes() == state
    assert sandbox.purchases == Counter(FOUR[:2])


def test_the_stale_plan_hint_names_the_manifest_and_state_the_plan_was_made_from(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, FOUR[:2], "team a.yaml")
    made_from = ("-f", "team a.yaml", "--state", "a.state.json")
    assert exo("plan", *made_from, "--out", "p.json").code == 0
    assert exo(*APPLY, *made_from, "--auto-approve").code == 0  # the state moves on
    # apply finds the state as plan does (here: --state), never from the plan file ...
    result = exo(*APPLY, "p.json", "--state", "a.state.json", "--auto-approve")
    assert result.code == 1
    assert result.stderr.endswith(
        "Make a new plan with `exoplan plan -f 'team a.yaml' --state a.state.json "
        "--out p.json` and review it again\n"
    )
    # ... so without it, the state beside the plan's manifest is not the plan's, and the
    # refusal says so.
    elsewhere = exo(*APPLY, "p.json", "--auto-approve")
    assert elsewhere.code == 1
    assert elsewhere.stderr.startswith(
        "error: p.json was made against the state a.state.json, but this apply uses "
        "team a.state.json "
    )
    assert "(plan was given -f 'team a.yaml' --state a.state.json)" in elsewhere.stderr


# -- environment and lock --------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [("EXOTEL_API_KEY", None), ("EXOTEL_API_TOKEN", None), ("EXOTEL_API_KEY", "  ")],
)
def test_a_missing_credential_is_named_and_nothing_is_done(
    tmp_path: Path, sandbox: Sandbox, exo: Exo, variable: str, value: str | None
) -> None:
    write_manifest(tmp_path, FOUR[:2])
    env = sandbox.env()
    del env[variable]
    if value is not None:
        env[variable] = value
    result = exo(*APPLY, "--auto-approve", env=env)
    assert result.code == 1
    assert result.stderr == (
        f"error: {variable} is not set; export the API key and token from Exotel's dashboard "
        "(Settings > API Settings)\n"
    )
    assert sandbox.request_log == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numbers.yaml"]


def test_a_held_lock_stops_apply_naming_the_holder(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, FOUR[:2])
    hold_lock(tmp_path)
    result = exo(*APPLY, "--auto-approve")
    assert result.code == 1
    assert result.stderr == LOCKED_ERROR


# -- a partial failure, run again, with -v: one scenario, several checks ----------------


class Scenario(NamedTuple):
    sandbox: Sandbox
    folder: Path
    failed: Result
    state_after_failure: dict[str, object]
    requests_of_failed_run: int
    rerun: Result
    final_plan: Result


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """Four purchases; Exotel rate-limits the first beyond the client's five retries
    (about 5 s of Retry-After); then apply runs again, and plan is saved."""
    folder = tmp_path_factory.mktemp("partial")
    write_manifest(folder, FOUR)
    with new_sandbox() as sandbox:
        sandbox.throttle_next(6, retry_after=1)
        failed = exoplan(sandbox, folder, *APPLY, "-v", "--auto-approve", "--parallelism", "1")
        state_after_failure = read_state(folder)
        requests_of_failed_run = len(sandbox.request_log)
        rerun = exoplan(sandbox, folder, *APPLY, "-v", "--auto-approve")
        final_plan = exoplan(sandbox, folder, "plan", "--detailed-exitcode", "--out", "final.json")
        yield Scenario(
            sandbox, folder, failed, state_after_failure, requests_of_failed_run, rerun, final_plan
        )


@pytest.mark.slow  # the scenario waits out Exotel's Retry-After
def test_a_failed_action_does_not_stop_the_others(partial: Scenario) -> None:
    failed = partial.failed
    assert failed.code == 1
    assert (
        "Apply finished: 3 purchased, 0 adopted, 0 updated, 0 released, 1 failed." in failed.stdout
    )
    error = (
        f"POST {COLLECTION} HTTP 429 [RATE_LIMIT_EXCEEDED]: Rate limit exceeded. "
        "Try again in 1 seconds."
    )
    assert f"[1/4] purchase {number(1)} failed: {error}\n" in failed.stdout
    assert failed.stderr.endswith(
        "These actions failed; everything else was applied and recorded:\n"
        f"  purchase {number(1)} (failed): {error}\n{RUN_AGAIN}\n"
    )


@pytest.mark.slow  # the scenario waits out Exotel's Retry-After
def test_what_succeeded_before_a_failure_is_in_the_state(partial: Scenario) -> None:
    numbers = partial.state_after_failure["numbers"]
    assert isinstance(numbers, dict)
    assert sorted(numbers) == FOUR[1:]
    assert all(entry["sid"] for entry in numbers.values())


@pytest.mark.slow  # the scenario waits out Exotel's Retry-After
def test_running_again_finishes_the_rest_and_buys_each_number_once(partial: Scenario) -> None:
    rerun = partial.rerun
    assert rerun.code == 0, rerun.stderr
    assert "Plan: 1 to purchase, 0 to update, 0 to release. 3 unchanged." in rerun.stdout
    assert (
        "Apply finished: 1 purchased, 0 adopted, 0 updated, 0 released, 0 failed." in rerun.stdout
    )
    assert partial.sandbox.purchases == Counter(FOUR)
    state = read_state(partial.folder)
    assert {n: e["sid"] for n, e in state["numbers"].items()} == owned_sids(partial.sandbox)
    assert partial.final_plan.code == 0
    assert partial.final_plan.stdout == "No changes. 4 numbers match the manifest.\n"


@pytest.mark.slow  # the scenario waits out Exotel's Retry-After
def test_verbose_logs_each_request_and_its_status(partial: Scenario) -> None:
    logged = re.findall(r"^(POST|GET|PUT|DELETE) (\S+) -> (\d+) \(", partial.failed.stderr, re.M)
    seen = partial.sandbox.request_log[: partial.requests_of_failed_run]
    assert sorted(logged) == sorted((m, p, str(s)) for m, p, s in seen)
    assert ("POST", COLLECTION, "429") in logged and ("POST", COLLECTION, "200") in logged
    assert f"POST {COLLECTION} -> 200 (" in partial.rerun.stderr


@pytest.mark.slow  # the scenario waits out Exotel's Retry-After
def test_credentials_appear_in_no_output_and_no_file(partial: Scenario) -> None:
    outputs = [
        text
        for result in (partial.failed, partial.rerun, partial.final_plan)
        for text in (result.stdout, result.stderr)
    ]
    files = assert_no_secrets(partial.sandbox, partial.folder, outputs)
    names = {path.name for path in files}
    assert {STATE, f"{STATE}.backup", "final.json", "numbers.yaml"} <= names


# -- crashes ---------------------------------------------------------------------------


def test_the_journal_of_a_crashed_apply_is_settled_first(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    lost, never_sent, confirmed = number(1), number(2), number(3)
    write_manifest(
        tmp_path,
        [
            {"number": lost, "friendly_name": "Answer lost"},
            never_sent,
            {"number": confirmed, "protect": True},
        ],
    )
    write_state(tmp_path / STATE, {}, account_sid=ACCOUNT)  # serial 7
    # Before the crash: Exotel confirmed one purchase, bought another whose answer never
    # came back, and a third request never left.
    answer = outside(sandbox, "POST", confirmed)
    lost_sid = outside(sandbox, "POST", lost, FriendlyName="Answer lost")["sid"]
    write_journal(
        tmp_path / JOURNAL,
        [
            {"op": "begin", "lineage": LINEAGE, "serial": 7},
            journal_record("intent", confirmed, protect=True),
            journal_record("done", confirmed, protect=True, record=answer, detail="purchased"),
            journal_record("intent", lost, params={"FriendlyName": "Answer lost"}),
            journal_record("intent", never_sent),
        ],
    )
    before = len(sandbox.request_log)
    result = exo(*APPLY, "--auto-approve")
    assert result.code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"Found the journal of an interrupted apply ({JOURNAL}); settling it first.",
        f"  recorded purchase of {confirmed} from the interrupted apply",
        f"  {lost} was bought by the interrupted apply (sid {lost_sid}): recorded",
        f"  {never_sent} was not bought by the interrupted apply; the plan will buy it",
    ]
    assert "Plan: 1 to purchase, 0 to update, 0 to release. 2 unchanged." in result.stdout
    # one listing to settle the unconfirmed purchases, one POST for the missing number
    assert sandbox.request_log[before:] == [("GET", COLLECTION, 200), ("POST", COLLECTION, 200)]
    assert sandbox.purchases == Counter([lost, never_sent, confirmed])
    numbers = read_state(tmp_path)["numbers"]
    assert {n: e["sid"] for n, e in numbers.items()} == owned_sids(sandbox)
    assert numbers[confirmed]["protect"] is True
    assert numbers[confirmed]["rental_price"] == answer["rental_price"]
    assert not (tmp_path / JOURNAL).exists()
    assert exo("plan", "--detailed-exitcode").code == 0


def test_a_journal_already_folded_into_the_state_is_just_removed(
    tmp_path: Path, sandbox: Sandbox, exo: Exo
) -> None:
    write_manifest(tmp_path, [number(1)])
    answer = outside(sandbox, "POST", number(1))
    write_state(tmp_path / STATE, {number(1): {"sid": answer["sid"]}}, serial=8)
    # crashed after saving serial 8, before removing the journal of the apply from 7
    write_journal(
        tmp_path / JOURNAL,
        [
            {"op": "begin", "lineage": LINEAGE, "serial": 7},
            journal_record("intent", number(1)),
            journal_record("done", number(1)),
        ],
    )
    before = len(sandbox.request_log)
    result = exo(*APPLY, "--auto-approve")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == "No changes. 1 number matches the manifest.\n"
    assert sandbox.request_log[before:] == []
    assert not (tmp_path / JOURNAL).exists()
    assert read_state(tmp_path)["serial"] == 8


def _journal_has_an_intent(folder: Path) -> bool:
    try:
        return '"op": "intent"' in (folder / JOURNAL).read_text(encoding="utf-8")
    except FileNotFoundError:
        return False


KILL_AT: dict[str, Callable[[Path, Sandbox], bool]] = {
    "first-intent-journalled": lambda folder, sandbox: _journal_has_an_intent(folder),
    "after-1-purchase": lambda folder, sandbox: sum(sandbox.purchases.values()) >= 1,
    "after-3-purchases": lambda folder, sandbox: sum(sandbox.purchases.values()) >= 3,
}


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(KILL_AT))
def test_sigkill_then_apply_again_buys_every_number_exactly_once(
    tmp_path: Path, moment: str
) -> None:
    wanted = [number(i) for i in range(1, 7)]
    write_manifest(tmp_path, wanted)
    with new_sandbox(latency_ms=100) as sandbox:
        apply = (*APPLY, "--auto-approve", "--parallelism", "1")
        proc = start_exoplan(sandbox, tmp_path, *apply)
        try:
            wait_for(lambda: KILL_AT[moment](tmp_path, sandbox) or proc.poll() is not None)
            proc.send_signal(signal.SIGKILL)
        finally:
            killed_out, killed_err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "apply finished before it could be killed"
        assert (tmp_path / JOURNAL).exists()
        assert_no_secrets(sandbox, tmp_path, [killed_out, killed_err])  # journal included
        warned = exoplan(sandbox, tmp_path, "plan")
        assert f"warning: {JOURNAL} is left from an interrupted apply" in warned.stderr
        # SIGKILL leaves the lock file behind, naming the dead process, but not the lock:
        # the OS released it with the process, so running apply again just takes it.
        assert json.loads((tmp_path / LOCK).read_text(encoding="utf-8"))["pid"] == proc.pid

        rerun = exoplan(sandbox, tmp_path, *apply)
        assert rerun.code == 0, rerun.stderr
        assert "settling it first" in rerun.stderr
        assert sandbox.purchases == Counter(wanted)
        numbers = read_state(tmp_path)["numbers"]
        assert {n: e["sid"] for n, e in numbers.items()} == owned_sids(sandbox)
        assert sorted(numbers) == wanted
        assert not (tmp_path / JOURNAL).exists()
        final = exoplan(sandbox, tmp_path, "plan", "--detailed-exitcode")
        assert (final.code, final.stdout) == (0, "No changes. 6 numbers match the manifest.\n")
        assert_no_secrets(sandbox, tmp_path, [rerun.stdout, rerun.stderr, final.stdout])
