"""reconciler.apply.transaction: every writer settles first; a journal is folded once;
unknown purchases are settled by one listing; 401/403 and a stop start nothing new."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.executor import Stop
from reconciler.apply.transaction import StateTransaction
from reconciler.errors import ApiNotSent, ApiOutcomeUnknown, ApiStatusError, StateError
from reconciler.exotel.client import Purchased
from reconciler.model import Action, ActionKind, Plan
from reconciler.state.file import load_state
from reconciler.state.journal import Journal, journal_path, read_journal

ONE, TWO, THREE = "+918030240001", "+918030240002", "+918030240003"


def record(number: str, sid: str) -> dict[str, Any]:
    return {"sid": sid, "phone_number": number, "friendly_name": None}


class FakeClient:
    """Buys what it is asked; ``unknown``, ``refuse`` and ``auth`` numbers misbehave."""

    def __init__(self) -> None:
        self.owned: dict[str, dict[str, Any]] = {}
        self.unknown: set[str] = set()
        self.commit_unknown = True
        self.refuse: set[str] = set()
        self.auth_status: int | None = None
        self.listing_fails = False
        self.sent: list[str] = []
        self.stopped = threading.Event()

    def stop_sending(self) -> None:
        self.stopped.set()

    def purchase(self, number: str, params: dict[str, str]) -> Any:
        if self.stopped.is_set():
            raise ApiNotSent("not sent")
        self.sent.append(number)
        if self.auth_status:
            raise ApiStatusError("Unauthorized", status=self.auth_status)
        if number in self.refuse:
            raise ApiStatusError("not available", status=400)
        if number in self.unknown:
            if self.commit_unknown:
                self.owned[number] = record(number, "sid-" + number[-1])
            raise ApiOutcomeUnknown("timed out", status=None)
        self.owned[number] = record(number, "sid-" + number[-1])
        return Purchased(self.owned[number])

    def update(self, sid: str, params: dict[str, str]) -> dict[str, Any]:
        raise AssertionError("not used")

    def release(self, sid: str) -> None:
        raise AssertionError("not used")

    def get_number(self, sid: str) -> dict[str, Any]:
        for item in self.owned.values():
            if item["sid"] == sid:
                return item
        raise ApiStatusError("not found", status=404)

    def owned_index(self) -> dict[str, dict[str, Any]]:
        if self.listing_fails:
            raise ApiStatusError("boom", status=503)
        return dict(self.owned)


def plan_buying(state_path: Path, *numbers: str) -> Plan:
    actions = tuple(Action(ActionKind.PURCHASE, n) for n in numbers)
    return Plan(actions, "acme1", "mumbai", "numbers.yaml", "0" * 64, str(state_path), None, 0)


def apply(path: Path, client: FakeClient, *numbers: str, stop: Stop | None = None) -> Any:
    with StateTransaction(str(path), "test") as tx:
        return tx.apply(plan_buying(path, *numbers), client, 1, stop=stop)


def test_a_journal_is_folded_once_even_when_another_writer_saved_in_between(
    tmp_path: Path,
) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    apply(path, client, ONE)
    # An apply that was killed after buying TWO: its journal is all that knows.
    journal = Journal(journal_path(str(path)))
    state = load_state(str(path))
    journal.open(state.lineage, state.serial)
    journal.write({"op": "intent", "action": "purchase", "number": TWO, "params": {}})
    done = {"op": "done", "action": "purchase", "number": TWO, "params": {}}
    journal.write({**done, "record": record(TWO, "sid-2")})
    journal.close()
    # Another writer (state rm) settles it first: TWO is recorded, ONE removed.
    with StateTransaction(str(path), "state rm") as tx:
        tx.settle(lambda: client)  # type: ignore[arg-type, return-value]
        del tx.state.numbers[ONE]
        tx.save()
    assert sorted(load_state(str(path)).numbers) == [TWO]
    assert read_journal(journal_path(str(path))) is None
    # And nothing brings ONE back or folds TWO's journal again.
    with StateTransaction(str(path), "apply") as tx:
        tx.settle(lambda: client)  # type: ignore[arg-type, return-value]
    assert sorted(load_state(str(path)).numbers) == [TWO]


def test_a_journal_left_after_its_save_is_removed_unread(tmp_path: Path) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    apply(path, client, ONE)
    folded = load_state(str(path))
    # A crash between the save and removing the journal: the same journal id is marked.
    journal = Journal(journal_path(str(path)))
    journal.open(None, 0)
    journal.write({"op": "intent", "action": "purchase", "number": THREE, "params": {}})
    journal.write(
        {"op": "done", "action": "purchase", "number": THREE, "record": record(THREE, "s3")}
    )
    journal.close()
    state = folded
    state.journal_id, state.journal_folded = journal.id, journal.count
    from reconciler.state.file import save_state

    save_state(state)
    with StateTransaction(str(path), "state rm") as tx:
        tx.settle(lambda: client)  # type: ignore[arg-type, return-value]
        serial = tx.state.serial
    assert read_journal(journal_path(str(path))) is None
    assert THREE not in load_state(str(path)).numbers  # not folded a second time
    assert load_state(str(path)).serial == serial


def test_an_unknown_purchase_is_settled_by_one_listing(tmp_path: Path) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    client.unknown = {TWO}
    result = apply(path, client, ONE, TWO)
    assert not result.failed
    assert sorted(load_state(str(path)).numbers) == [ONE, TWO]
    assert read_journal(journal_path(str(path))) is None


def test_an_unknown_purchase_that_did_not_happen_is_refused_not_recorded(
    tmp_path: Path,
) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    client.unknown, client.commit_unknown = {TWO}, False
    result = apply(path, client, ONE, TWO)
    assert result.failed and not result.unsettled
    assert sorted(load_state(str(path)).numbers) == [ONE]


def test_an_unknown_purchase_that_cannot_be_settled_keeps_the_journal(tmp_path: Path) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    client.unknown, client.listing_fails = {TWO}, True
    result = apply(path, client, ONE, TWO)
    assert result.unsettled == (TWO,) and result.failed
    assert sorted(load_state(str(path)).numbers) == [ONE]
    contents = read_journal(journal_path(str(path)))
    assert contents is not None and [r["number"] for r in contents.pending] == [TWO]
    # A later writer that cannot read the account changes nothing and says why.
    before = path.read_bytes()
    with pytest.raises(StateError, match="outcome is unknown"):
        with StateTransaction(str(path), "refresh") as tx:
            tx.settle(lambda: client)  # type: ignore[arg-type, return-value]
    assert path.read_bytes() == before
    # Once the account answers, the purchase is recorded and the journal goes.
    client.listing_fails = False
    with StateTransaction(str(path), "refresh") as tx:
        tx.settle(lambda: client)  # type: ignore[arg-type, return-value]
    assert sorted(load_state(str(path)).numbers) == [ONE, TWO]
    assert read_journal(journal_path(str(path))) is None


@pytest.mark.parametrize("status", [401, 403])
def test_an_authentication_failure_starts_nothing_more(tmp_path: Path, status: int) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    client.auth_status = status
    result = apply(path, client, ONE, TWO, THREE)
    assert client.sent == [ONE]
    assert len(result.not_started) == 2
    assert f"HTTP {status}" in result.stopped


def test_a_stop_starts_nothing_new_and_saves_what_was_done(tmp_path: Path) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    stop = Stop()
    original = client.purchase

    def purchase_then_stop(number: str, params: dict[str, str]) -> Any:
        bought = original(number, params)
        stop.set("stopped by SIGTERM")
        return bought

    client.purchase = purchase_then_stop  # type: ignore[method-assign]
    result = apply(path, client, ONE, TWO, THREE, stop=stop)
    assert client.sent == [ONE]
    assert {a.number for a in result.not_started} == {TWO, THREE}
    assert sorted(load_state(str(path)).numbers) == [ONE]
    assert read_journal(journal_path(str(path))) is None


def test_the_state_records_the_last_journal_folded(tmp_path: Path) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    apply(path, client, ONE)
    data = json.loads(path.read_text())
    assert set(data["last_journal"]) == {"id", "folded"}
    assert data["last_journal"]["folded"] == 3  # begin, intent, done


def test_a_full_disk_while_journalling_sends_nothing_unannounced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, client = tmp_path / "s.json", FakeClient()
    apply(path, client, ONE)
    before = path.read_bytes()
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the begin record lands; the first intent does not
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StateError, match="No space left on device"):
        apply(path, client, TWO, THREE)
    assert client.sent == [ONE]  # no request without its intent on disk
    assert path.read_bytes() == before
