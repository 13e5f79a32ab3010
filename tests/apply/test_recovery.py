"""reconciler.apply.recovery: settling the journal an interrupted apply left behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.recovery import fold_done, nothing_left, settle_pending
from reconciler.errors import ApiStatusError
from reconciler.model import State
from reconciler.state.journal import JournalContents, read_journal
from tests.support.project import LINEAGE, journal_record

A, B, C = "+918030240001", "+918030240002", "+918030240003"
VOICE = "http://my.exotel.com/acme1/exoml/start_voice/123456"


class FakeReader:
    """The read side of the API client: an owned listing and per-sid lookups."""

    def __init__(
        self,
        owned: dict[str, dict[str, Any]] | None = None,
        errors: dict[str, int] | None = None,
    ) -> None:
        self.owned = owned or {}
        self.errors = errors or {}
        self.calls: list[tuple[str, str]] = []

    def owned_index(self) -> dict[str, dict[str, Any]]:
        self.calls.append(("owned_index", ""))
        return {number: dict(record) for number, record in self.owned.items()}

    def get_number(self, sid: str) -> dict[str, Any]:
        self.calls.append(("get_number", sid))
        if sid in self.errors:
            status = self.errors[sid]
            raise ApiStatusError(
                "ExoPhone not found", method="GET", path=f"/x/{sid}", status=status
            )
        for record in self.owned.values():
            if record["sid"] == sid:
                return dict(record)
        raise AssertionError(f"unexpected sid {sid}")


def state_with(**entries: dict[str, Any]) -> State:
    return State(path="s.json", lineage=LINEAGE, serial=7, numbers=dict(entries))


@pytest.mark.parametrize(
    ("base", "state", "folded"),
    [
        ((LINEAGE, 7), (LINEAGE, 8), True),  # crashed after saving, before removing
        ((LINEAGE, 7), (LINEAGE, 7), False),  # crashed before saving
        ((LINEAGE, 7), ("another", 9), False),  # a different state file
        ((None, 0), (None, 0), False),  # first apply, nothing saved yet
        ((None, None), (LINEAGE, 8), False),  # no begin record: cannot tell
    ],
)
def test_a_journal_without_an_id_is_judged_by_the_serial(
    base: tuple[str | None, int | None], state: tuple[str | None, int], folded: bool
) -> None:
    """Journals written before journals had ids: the old rule, kept for them only."""
    contents = JournalContents(base_lineage=base[0], base_serial=base[1], count=3)
    assert nothing_left(contents, State(path="s", lineage=state[0], serial=state[1])) is folded


@pytest.mark.parametrize(
    ("marked", "folded", "left"),
    [
        ("j1", 3, True),  # the state holds all of journal j1: crashed before removing it
        ("j1", 2, False),  # a record was added after the save (a settled purchase)
        ("j0", 3, False),  # the state folded another journal: this one is new
        (None, 0, False),  # never folded any journal (a first apply)
    ],
)
def test_a_journal_with_an_id_is_folded_exactly_once(
    marked: str | None, folded: int, left: bool
) -> None:
    contents = JournalContents(id="j1", base_lineage=LINEAGE, base_serial=7, count=3)
    # Serials moving (other writers saving in between) decide nothing.
    state = State(path="s", lineage=LINEAGE, serial=99, journal_id=marked, journal_folded=folded)
    assert nothing_left(contents, state) is left


def test_confirmed_outcomes_are_folded_without_asking_exotel() -> None:
    state = state_with(**{B: {"sid": "SB", "friendly_name": "Old"}, C: {"sid": "SC"}})
    contents = JournalContents(
        done=[
            journal_record(
                "done",
                A,
                record={"sid": "SA", "rental_price": "499.000000"},
                params={"VoiceUrl": VOICE},
                protect=True,
            ),
            journal_record("done", B, "update", record={"friendly_name": "New"}, sid="SB"),
            journal_record("done", C, "release", sid="SC"),
        ]
    )
    messages = fold_done(contents, state)
    assert messages == [
        f"recorded purchase of {A} from the interrupted apply",
        f"recorded update of {B} from the interrupted apply",
        f"recorded release of {C} from the interrupted apply",
    ]
    assert state.numbers == {
        A: {
            "sid": "SA",
            "rental_price": "499.000000",
            "voice_url": VOICE,
            "phone_number": A,
            "protect": True,
        },
        B: {"sid": "SB", "friendly_name": "New", "phone_number": B, "protect": False},
    }


def test_a_pending_purchase_the_account_owns_is_adopted() -> None:
    found = {"sid": "SA", "phone_number": A, "rental_price": "499.000000", "currency": "INR"}
    reader = FakeReader(owned={A: found})
    state = state_with()
    pending = [journal_record("intent", A, params={"FriendlyName": "Support"}, protect=True)]
    messages = settle_pending(JournalContents(pending=pending), state, reader)
    assert messages == [f"{A} was bought by the interrupted apply (sid SA): recorded"]
    assert state.numbers[A] == {**found, "friendly_name": "Support", "protect": True}


def test_a_pending_purchase_the_account_does_not_own_is_left_to_the_plan() -> None:
    state = state_with()
    messages = settle_pending(
        JournalContents(pending=[journal_record("intent", A)]), state, FakeReader()
    )
    assert messages == [f"{A} was not bought by the interrupted apply; the plan will buy it"]
    assert state.numbers == {}


def test_the_account_is_listed_once_for_all_pending_purchases() -> None:
    reader = FakeReader(owned={A: {"sid": "SA", "phone_number": A}})
    pending = [
        journal_record("intent", A),
        journal_record("intent", B),
        journal_record("intent", C),
    ]
    settle_pending(JournalContents(pending=pending), state_with(), reader)
    assert reader.calls == [("owned_index", "")]


def test_nothing_is_listed_without_pending_purchases() -> None:
    reader = FakeReader(owned={A: {"sid": "SA", "phone_number": A, "friendly_name": "x"}})
    pending = [journal_record("intent", A, "update", sid="SA")]
    settle_pending(JournalContents(pending=pending), state_with(**{A: {"sid": "SA"}}), reader)
    assert reader.calls == [("get_number", "SA")]


def test_a_pending_update_is_read_back_from_exotel() -> None:
    live = {
        "sid": "SA",
        "phone_number": A,
        "voice_url": "https://my.exotel.in/acme1/exoml/start_voice/9",
    }
    state = state_with(**{A: {"sid": "SA", "rental_price": "499.000000", "voice_url": None}})
    pending = [
        journal_record("intent", A, "update", sid="SA", params={"VoiceUrl": VOICE}, protect=True)
    ]
    messages = settle_pending(JournalContents(pending=pending), state, FakeReader(owned={A: live}))
    assert messages == [f"{A}: read back from Exotel after the interrupted update"]
    # what Exotel has now, not what was sent: the update may not have happened
    assert state.numbers[A] == {
        "sid": "SA",
        "rental_price": "499.000000",
        "voice_url": live["voice_url"],
        "phone_number": A,
        "protect": True,
    }


def test_a_pending_release_of_a_number_still_owned_stays_in_the_state() -> None:
    entry = {"sid": "SA", "phone_number": A}
    state = state_with(**{A: dict(entry)})
    pending = [journal_record("intent", A, "release", sid="SA")]
    messages = settle_pending(JournalContents(pending=pending), state, FakeReader(owned={A: entry}))
    assert messages == [
        f"{A} was not released by the interrupted apply; the plan will show it again"
    ]
    assert state.numbers == {A: entry}


@pytest.mark.parametrize("kind", ["update", "release"])
def test_a_pending_action_on_a_number_exotel_no_longer_has_removes_it(kind: str) -> None:
    state = state_with(**{A: {"sid": "SA"}, B: {"sid": "SB"}})
    pending = [journal_record("intent", A, kind, sid="SA")]
    messages = settle_pending(
        JournalContents(pending=pending), state, FakeReader(errors={"SA": 404})
    )
    assert messages == [f"{A} is no longer owned by the account: removed from the state"]
    assert list(state.numbers) == [B]


def test_another_error_while_reading_back_stops_recovery() -> None:
    state = state_with(**{A: {"sid": "SA"}})
    pending = [journal_record("intent", A, "update", sid="SA")]
    with pytest.raises(ApiStatusError) as raised:
        settle_pending(JournalContents(pending=pending), state, FakeReader(errors={"SA": 503}))
    assert raised.value.status == 503
    assert state.numbers == {A: {"sid": "SA"}}


@pytest.mark.parametrize("kind", ["update", "release"])
def test_a_pending_action_without_a_sid_asks_for_a_refresh(kind: str) -> None:
    reader = FakeReader()
    state = state_with(**{A: {"friendly_name": "x"}})
    messages = settle_pending(
        JournalContents(pending=[journal_record("intent", A, kind)]), state, reader
    )
    assert messages == [f"{A}: no sid to check; run `exoplan refresh`"]
    assert reader.calls == []
    assert state.numbers == {A: {"friendly_name": "x"}}


def test_a_quarantine_in_an_interrupted_journal_is_folded_with_its_marks(tmp_path: Path) -> None:
    path = tmp_path / "s.json.journal"
    marks = {"quarantined_at": "2026-11-27", "quarantine_previous": {"voice_url": VOICE}}
    done = {
        "action": "quarantine",
        "number": A,
        "sid": "SA",
        "params": {"VoiceUrl": "http://my.exotel.com/acme1/exoml/start_voice/999"},
        "protect": False,
        "marks": marks,
    }
    lines = [{"op": "begin", "id": "j1", "lineage": LINEAGE, "serial": 7}]
    lines += [{**done, "op": "intent"}, {**done, "op": "done", "record": {"sid": "SA"}}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    contents = read_journal(str(path))
    assert contents is not None and contents.pending == []
    state = state_with(**{A: {"sid": "SA", "voice_url": VOICE}})
    assert fold_done(contents, state) == [f"recorded quarantine of {A} from the interrupted apply"]
    assert state.numbers[A]["quarantined_at"] == "2026-11-27"
    assert state.numbers[A]["voice_url"].endswith("/999")
