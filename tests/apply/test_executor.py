"""reconciler.apply.executor: executing a plan's actions against a (fake) API client."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.executor import PURCHASE_TRIES, Stop, execute
from reconciler.errors import ApiConnectionError, ApiError, ApiOutcomeUnknown, ApiStatusError
from reconciler.exotel.client import Purchased
from reconciler.model import Action, Outcome
from reconciler.state.journal import Journal, read_journal
from tests.support.plans import action
from tests.support.project import journal_lines

A, B, C, D = "+918030240001", "+918030240002", "+918030240003", "+918030240004"
VOICE = "http://my.exotel.com/acme1/exoml/start_voice/123456"
VOICE_BACK = "https://my.exotel.in/acme1/exoml/start_voice/123456"


def status_error(status: int, message: str, method: str = "POST") -> ApiStatusError:
    path = "/v2_beta/Accounts/acme1/IncomingPhoneNumbers"
    return ApiStatusError(message, method=method, path=path, status=status)


class FakeClient:
    """Exotel as apply sees it. Before answering, it checks that the intent of the call
    is already in the journal on disk and that its outcome is not."""

    def __init__(self, journal: Path, *, owned: dict[str, dict[str, Any]] | None = None) -> None:
        self.journal = journal
        self.owned = owned or {}  # numbers the account already has: purchase adopts them
        self.errors: dict[tuple[str, str], Exception] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.hook: Any = None

    def _called(self, kind: str, key: str, params: dict[str, str]) -> None:
        field = "number" if kind == "purchase" else "sid"
        ops = [(r["op"], r.get("action"), r.get(field)) for r in journal_lines(self.journal)]
        assert ("intent", kind, key) in ops, f"{kind} {key} was sent before its intent"
        since = ops[len(ops) - ops[::-1].index(("intent", kind, key)) :]  # after the last
        assert ("done", kind, key) not in since and ("failed", kind, key) not in since
        with self.lock:
            self.calls.append((kind, key, dict(params)))
        if self.hook is not None:
            self.hook(kind, key)
        error = self.errors.get((kind, key))
        if error is not None:
            raise error

    def purchase(self, phone_number: str, params: dict[str, str]) -> Purchased:
        self._called("purchase", phone_number, params)
        if phone_number in self.owned:
            raise status_error(409, f"ExoPhone {phone_number} is already owned by this account")
        sid = "SID" + phone_number[-4:]
        return Purchased(
            {
                "sid": sid,
                "phone_number": phone_number,
                "rental_price": "499.000000",
                "currency": "INR",
            }
        )

    def owned_index(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            self.calls.append(("owned_index", "", {}))
        error = self.errors.get(("owned_index", ""))
        if error is not None:
            raise error
        return {number: dict(record) for number, record in self.owned.items()}

    def update(self, sid: str, params: dict[str, str]) -> dict[str, Any]:
        self._called("update", sid, params)
        return {"sid": sid, "voice_url": VOICE_BACK}

    def release(self, sid: str) -> None:
        self._called("release", sid, {})

    def get_number(self, sid: str) -> dict[str, Any]:
        with self.lock:
            self.calls.append(("get_number", sid, {}))
        error = self.errors.get(("get_number", sid))
        if error is not None:
            raise error
        return {"sid": sid, "voice_url": VOICE_BACK, "number_type": "Landline"}


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    opened = Journal(str(tmp_path / "numbers.state.json.journal"))
    opened.open("L", 3)
    return opened


@pytest.fixture
def client(journal: Journal) -> FakeClient:
    return FakeClient(Path(journal.path))


def run(
    actions: list[Action], client: FakeClient, journal: Journal, parallelism: int = 4
) -> dict[str, Outcome]:
    result = execute(tuple(actions), client, journal, parallelism)
    journal.close()
    return {outcome.action.number: outcome for outcome in result.outcomes}


def test_a_purchase_sends_the_params_and_keeps_exotels_answer(
    client: FakeClient, journal: Journal
) -> None:
    params = {"FriendlyName": "Support", "VoiceUrl": VOICE}
    outcome = run([action("purchase", A, params=params, protect=True)], client, journal)[A]
    assert outcome.ok and not outcome.error
    assert outcome.detail == "purchased (sid SID0001)"
    assert outcome.record == {
        "sid": "SID0001",
        "phone_number": A,
        "rental_price": "499.000000",
        "currency": "INR",
    }
    assert client.calls == [("purchase", A, params)]


def test_the_journal_holds_intent_then_outcome(client: FakeClient, journal: Journal) -> None:
    params = {"FriendlyName": "Support"}
    run([action("purchase", A, params=params, protect=True)], client, journal)
    begin, intent, done = journal_lines(Path(journal.path))
    assert begin == {"op": "begin", "id": journal.id, "lineage": "L", "serial": 3, "seq": 1}
    assert intent == {
        "op": "intent",
        "action": "purchase",
        "number": A,
        "sid": None,
        "params": params,
        "protect": True,
        "seq": 2,
    }
    assert done == {
        **intent,
        "op": "done",
        "seq": 3,
        "detail": "purchased (sid SID0001)",
        "record": {
            "sid": "SID0001",
            "phone_number": A,
            "rental_price": "499.000000",
            "currency": "INR",
        },
    }


def test_a_refused_action_is_journalled_as_failed(client: FakeClient, journal: Journal) -> None:
    client.errors[("purchase", A)] = status_error(402, "Insufficient balance")
    outcome = run([action("purchase", A)], client, journal)[A]
    assert not outcome.ok
    message = "POST /v2_beta/Accounts/acme1/IncomingPhoneNumbers HTTP 402: Insufficient balance"
    assert outcome.error == message
    assert journal_lines(Path(journal.path))[-1] == {
        "op": "failed",
        "action": "purchase",
        "number": A,
        "sid": None,
        "params": {},
        "protect": False,
        "error": message,
        "seq": 3,
    }


def test_an_adopted_purchase_is_completed_from_the_numbers_details(journal: Journal) -> None:
    client = FakeClient(
        Path(journal.path), owned={A: {"sid": "S9", "phone_number": A, "friendly_name": "x"}}
    )
    outcome = run([action("purchase", A)], client, journal)[A]
    assert outcome.ok
    assert outcome.detail == "adopted: the account already owned it (sid S9)"
    assert outcome.record == {
        "sid": "S9",
        "phone_number": A,
        "friendly_name": "x",
        "voice_url": VOICE_BACK,
        "number_type": "Landline",
    }
    assert client.calls[-1] == ("get_number", "S9", {})


class SettingClient(FakeClient):
    """Records updates without the journal check (an adoption's update follows its
    purchase intent, not an update intent of its own)."""

    def update(self, sid: str, params: dict[str, str]) -> dict[str, Any]:
        self.calls.append(("update", sid, dict(params)))
        return {"sid": sid, "friendly_name": params.get("FriendlyName", "x")}


def test_an_adopted_number_not_as_the_manifest_says_is_updated(journal: Journal) -> None:
    owned = {A: {"sid": "S9", "phone_number": A, "friendly_name": "Old"}}
    client = SettingClient(Path(journal.path), owned=owned)
    params = {"FriendlyName": "Support", "VoiceUrl": VOICE_BACK}
    outcome = run([action("purchase", A, params=params)], client, journal)[A]
    assert outcome.ok and outcome.adopted
    assert outcome.detail.endswith("; updated to match the manifest")
    # Only what differs is sent: the flow already points at the same app.
    assert client.calls[-1] == ("update", "S9", {"FriendlyName": "Support"})
    assert outcome.record is not None and outcome.record["friendly_name"] == "Support"


def test_an_adopted_number_already_as_the_manifest_says_is_left_alone(journal: Journal) -> None:
    owned = {A: {"sid": "S9", "phone_number": A, "friendly_name": "Support"}}
    client = SettingClient(Path(journal.path), owned=owned)
    params = {"FriendlyName": "Support", "VoiceUrl": VOICE_BACK}
    outcome = run([action("purchase", A, params=params)], client, journal)[A]
    assert outcome.ok and outcome.detail == "adopted: the account already owned it (sid S9)"
    assert [call[0] for call in client.calls] == ["purchase", "owned_index", "get_number"]


def test_an_adopted_purchase_keeps_the_listing_when_details_fail(journal: Journal) -> None:
    client = FakeClient(Path(journal.path), owned={A: {"sid": "S9", "phone_number": A}})
    client.errors[("get_number", "S9")] = ApiConnectionError("timed out", method="GET", path="/x")
    outcome = run([action("purchase", A)], client, journal)[A]
    assert outcome.ok
    assert outcome.record == {"sid": "S9", "phone_number": A}


def test_an_update_sends_only_the_changed_fields(client: FakeClient, journal: Journal) -> None:
    update = action("update", A, params={"VoiceUrl": VOICE}, sid="S0001")
    outcome = run([update], client, journal)[A]
    assert outcome.ok and outcome.detail == "updated"
    assert outcome.record == {"sid": "S0001", "voice_url": VOICE_BACK}
    assert client.calls == [("update", "S0001", {"VoiceUrl": VOICE})]


def test_a_protect_only_update_makes_no_api_call(client: FakeClient, journal: Journal) -> None:
    outcome = run([action("update", A, sid="S0001", protect=True)], client, journal)[A]
    assert outcome.ok and outcome.detail == "protect flag recorded"
    assert outcome.record == {}
    assert client.calls == []
    assert [r["op"] for r in journal_lines(Path(journal.path))] == ["begin", "intent", "done"]


@pytest.mark.parametrize("kind", ["update", "release"])
def test_an_action_without_a_sid_fails_without_a_call(
    kind: str, client: FakeClient, journal: Journal
) -> None:
    params = {"FriendlyName": "x"} if kind == "update" else {}
    outcome = run([action(kind, A, params=params)], client, journal)[A]
    assert not outcome.ok
    assert outcome.error == f"the state has no ExoPhone sid for {A}; run `exoplan refresh` first"
    assert client.calls == []


def test_a_release(client: FakeClient, journal: Journal) -> None:
    outcome = run([action("release", A, sid="S0001")], client, journal)[A]
    assert outcome.ok and outcome.detail == "released"
    assert client.calls == [("release", "S0001", {})]


def test_releasing_a_number_already_gone_is_success(client: FakeClient, journal: Journal) -> None:
    client.errors[("release", "S0001")] = status_error(404, "ExoPhone S0001 not found", "DELETE")
    outcome = run([action("release", A, sid="S0001")], client, journal)[A]
    assert outcome.ok and outcome.detail == "already gone from the account"


@pytest.mark.parametrize("status", [400, 409, 503])
def test_a_release_refused_otherwise_fails(
    status: int, client: FakeClient, journal: Journal
) -> None:
    client.errors[("release", "S0001")] = status_error(status, "No", "DELETE")
    outcome = run([action("release", A, sid="S0001")], client, journal)[A]
    assert not outcome.ok
    assert f"HTTP {status}: No" in outcome.error


def test_one_failing_action_does_not_stop_the_others(client: FakeClient, journal: Journal) -> None:
    client.errors[("purchase", B)] = ApiConnectionError(
        "timed out (api.in.exotel.com)", method="POST", path="/x"
    )
    actions = [
        action("purchase", A),
        action("purchase", B),
        action("update", C, params={"FriendlyName": "x"}, sid="S0003"),
        action("release", D, sid="S0004"),
    ]
    outcomes = run(actions, client, journal, parallelism=1)
    assert {n: o.ok for n, o in outcomes.items()} == {A: True, B: False, C: True, D: True}
    assert outcomes[B].error == "POST /x: timed out (api.in.exotel.com)"
    assert [c[0] for c in client.calls] == ["purchase", "purchase", "update", "release"]
    ops = [(r["op"], r.get("number")) for r in journal_lines(Path(journal.path))]
    assert ("failed", B) in ops
    assert [n for op, n in ops if op == "done"] == [A, C, D]


def test_each_outcome_is_reported_as_it_completes(client: FakeClient, journal: Journal) -> None:
    seen: list[str] = []
    actions = tuple(action("purchase", n) for n in (A, B, C))
    result = execute(
        actions, client, journal, 2, lambda outcome: seen.append(outcome.action.number)
    )
    assert sorted(seen) == [A, B, C]
    assert seen == [o.action.number for o in result.outcomes]


def test_parallelism_runs_that_many_actions_at_once(client: FakeClient, journal: Journal) -> None:
    barrier = threading.Barrier(3, timeout=5)  # breaks unless three calls overlap
    client.hook = lambda kind, key: barrier.wait()
    outcomes = run([action("purchase", n) for n in (A, B, C)], client, journal, parallelism=3)
    assert all(o.ok for o in outcomes.values())


def test_parallelism_one_sends_one_at_a_time_in_plan_order(
    client: FakeClient, journal: Journal
) -> None:
    in_flight, most = [0], [0]
    guard = threading.Lock()

    def hook(kind: str, key: str) -> None:
        with guard:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.01)
        with guard:
            in_flight[0] -= 1

    client.hook = hook
    run([action("purchase", n) for n in (A, B, C, D)], client, journal, parallelism=1)
    assert most[0] == 1
    assert [c[1] for c in client.calls] == [A, B, C, D]


def test_an_interrupt_stops_the_actions_not_yet_started(
    client: FakeClient, journal: Journal
) -> None:
    def interrupt(outcome: Outcome) -> None:
        raise KeyboardInterrupt

    actions = tuple(action("purchase", f"+9180302400{i:02d}") for i in range(1, 11))
    with pytest.raises(KeyboardInterrupt):
        execute(actions, client, journal, 1, interrupt)
    # the first finished and at most one more had started: Ctrl-C must not buy the rest
    assert len(client.calls) <= 2


def test_a_bug_in_the_client_is_not_reported_as_a_failed_action(
    client: FakeClient, journal: Journal
) -> None:
    client.errors[("purchase", A)] = KeyError("sid")
    with pytest.raises(KeyError):
        execute((action("purchase", A),), client, journal, 1)


def test_an_api_error_message_reaches_the_outcome_unchanged(
    client: FakeClient, journal: Journal
) -> None:
    error = ApiError("Exotel said no", method="POST", path="/p", status=400, code="BAD")
    client.errors[("purchase", A)] = error
    assert (
        run([action("purchase", A)], client, journal)[A].error
        == "POST /p HTTP 400 [BAD]: Exotel said no"
    )


# -- purchases only the account can settle: one listing for all of them ----------------


class LosingClient(FakeClient):
    """Loses answers: a number in ``lost`` is bought, then its answer never comes; one in
    ``failing`` gets a 503 (not bought) that many times before it is bought."""

    def __init__(self, journal: Path, **options: Any) -> None:
        super().__init__(journal, **options)
        self.lost: set[str] = set()
        self.failing: dict[str, int] = {}

    def purchase(self, phone_number: str, params: dict[str, str]) -> Purchased:
        if phone_number in self.lost:
            self._called("purchase", phone_number, params)
            self.owned[phone_number] = {
                "sid": "L" + phone_number[-4:],
                "phone_number": phone_number,
            }
            raise ApiOutcomeUnknown("timed out", method="POST", path="/p")
        if self.failing.get(phone_number, 0) > 0:
            self._called("purchase", phone_number, params)
            self.failing[phone_number] -= 1
            raise ApiOutcomeUnknown("Service unavailable", method="POST", path="/p", status=503)
        return super().purchase(phone_number, params)


NUMBERS = [f"+9180302401{i:02d}" for i in range(40)]


def listings(client: FakeClient) -> int:
    return sum(1 for call in client.calls if call[0] == "owned_index")


def test_many_lost_answers_are_settled_by_one_listing(journal: Journal) -> None:
    client = LosingClient(Path(journal.path))
    client.lost = set(NUMBERS[::4])  # 10 of 40 answers lost, the purchases made
    result = execute(tuple(action("purchase", n) for n in NUMBERS), client, journal, 4)
    journal.close()
    assert listings(client) == 1
    assert all(o.ok for o in result.outcomes) and len(result.outcomes) == 40
    adopted = {o.action.number for o in result.outcomes if o.adopted}
    assert adopted == client.lost
    assert sum(1 for call in client.calls if call[0] == "purchase") == 40  # none sent twice
    assert read_journal(journal.path).pending == []  # type: ignore[union-attr]


def test_the_listing_waits_until_every_other_action_is_done(journal: Journal) -> None:
    client = LosingClient(Path(journal.path))
    client.lost = {NUMBERS[0], NUMBERS[5]}
    execute(tuple(action("purchase", n) for n in NUMBERS[:10]), client, journal, 2)
    kinds = [call[0] for call in client.calls]
    assert kinds.index("owned_index") > max(i for i, k in enumerate(kinds) if k == "purchase")


def test_a_purchase_not_bought_after_a_5xx_is_sent_again_after_the_listing(
    journal: Journal,
) -> None:
    client = LosingClient(Path(journal.path))
    client.failing = {A: 1, B: 2}
    result = execute((action("purchase", A), action("purchase", B)), client, journal, 2)
    journal.close()
    assert {o.action.number: o.detail for o in result.outcomes} == {
        A: "purchased (sid SID0001)",
        B: "purchased (sid SID0002)",
    }
    assert [c[0] for c in client.calls].count("purchase") == 5
    assert listings(client) == 2  # one per round, each for every purchase still open
    ops = [(r["op"], r["number"]) for r in journal_lines(Path(journal.path))[1:]]
    # each send has its intent; each listing that did not show B closed that one
    b_ops = [op for op, number in ops if number == B]
    assert b_ops == ["intent", "unknown", "failed"] * 2 + ["intent", "done"]
    assert read_journal(journal.path).pending == []  # type: ignore[union-attr]


def test_a_purchase_is_sent_at_most_as_often_as_the_client_retries(journal: Journal) -> None:
    client = LosingClient(Path(journal.path))
    client.failing = {A: 100}
    outcome = run([action("purchase", A)], client, journal)[A]
    assert not outcome.ok and not outcome.unknown
    assert outcome.error.endswith("the account does not own it: not bought")
    assert [c[0] for c in client.calls].count("purchase") == PURCHASE_TRIES


def test_an_answer_about_another_number_not_listed_is_not_sent_again(journal: Journal) -> None:
    client = FakeClient(Path(journal.path))
    client.errors[("purchase", A)] = ApiOutcomeUnknown("another number", status=200)
    outcome = run([action("purchase", A)], client, journal)[A]
    assert not outcome.ok and "not bought" in outcome.error
    assert [c[0] for c in client.calls] == ["purchase", "owned_index"]


def test_an_answer_about_another_number_listed_is_confirmed(journal: Journal) -> None:
    client = FakeClient(Path(journal.path))
    client.errors[("purchase", A)] = ApiOutcomeUnknown("another number", status=200)
    client.owned = {}
    original = client.owned_index

    def bought_meanwhile() -> dict[str, dict[str, Any]]:
        client.owned[A] = {"sid": "S1", "phone_number": A}
        return original()

    client.owned_index = bought_meanwhile  # type: ignore[method-assign]
    outcome = run([action("purchase", A)], client, journal)[A]
    assert outcome.ok and not outcome.adopted
    assert outcome.detail == "purchased (confirmed by listing the account, sid S1)"


def test_a_conflict_for_a_number_the_account_does_not_own_fails_as_exotel_said(
    journal: Journal,
) -> None:
    client = FakeClient(Path(journal.path))
    client.errors[("purchase", A)] = status_error(409, "Number not available")
    outcome = run([action("purchase", A)], client, journal)[A]
    assert not outcome.ok and not outcome.unknown
    assert outcome.error.endswith("HTTP 409: Number not available")
    assert listings(client) == 1


def test_when_the_listing_fails_the_purchases_stay_unknown(journal: Journal) -> None:
    client = LosingClient(Path(journal.path))
    client.lost = {A, B}
    client.errors[("owned_index", "")] = status_error(503, "down", "GET")
    result = execute((action("purchase", A), action("purchase", B)), client, journal, 2)
    journal.close()
    assert sorted(result.unsettled) == [A, B] and result.failed
    assert all(o.unknown and "checking failed" in o.error for o in result.outcomes)
    contents = read_journal(journal.path)
    assert contents is not None and sorted(r["number"] for r in contents.pending) == [A, B]


def test_a_stop_leaves_the_lost_purchases_unknown_without_listing(journal: Journal) -> None:
    client = LosingClient(Path(journal.path))
    client.lost = {A}
    stop = Stop()
    client.hook = lambda kind, key: stop.set("stopped by SIGINT")
    result = execute((action("purchase", A),), client, journal, 1, stop=stop)
    assert result.unsettled == (A,) and listings(client) == 0


def test_a_pool_purchase_refused_as_already_owned_fails_and_adopts_nothing(
    journal: Journal,
) -> None:
    owned = {A: {"sid": "S9", "phone_number": A, "voice_url": "another team's flow"}}
    client = SettingClient(Path(journal.path), owned=owned)
    pinned = dataclasses.replace(
        action("purchase", A, params={"VoiceUrl": VOICE}), marks={"pool": "blr", "pool_index": 1}
    )
    outcome = run([pinned], client, journal)[A]
    assert not outcome.ok and not outcome.adopted and not outcome.unknown
    assert "already owned" in outcome.error and "pool blr" in outcome.error
    assert [call[0] for call in client.calls] == ["purchase"]  # no listing, no update
    assert [line["op"] for line in journal_lines(Path(journal.path))][-1] == "failed"
