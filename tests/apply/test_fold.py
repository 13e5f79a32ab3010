"""reconciler.apply.fold: folding what Exotel answered into the in-memory state."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.apply.fold import adopt, fold
from reconciler.model import ActionKind, State

NUMBER = "+918030240001"
VOICE = "http://my.exotel.com/acme1/exoml/start_voice/123456"
VOICE_BACK = "https://my.exotel.in/acme1/exoml/start_voice/123456"
ANSWER = {
    "sid": "9eeafc8ab479a386dc95f854f9d7cd8a",
    "phone_number": "+91XXXX30240",
    "friendly_name": "08030240001",
    "capabilities": {"voice": True, "sms": True},
    "country": "IN",
    "rental_price": "499.000000",
    "currency": "INR",
}


def state_with(**entries: dict[str, Any]) -> State:
    return State(
        path="s.json", lineage="L", serial=1, numbers={k: dict(v) for k, v in entries.items()}
    )


def test_a_purchase_stores_every_field_of_exotels_answer() -> None:
    state = State(path="s.json")
    fold(state, ActionKind.PURCHASE, NUMBER, ANSWER, {}, protect=False)
    entry = state.numbers[NUMBER]
    assert entry == {**ANSWER, "phone_number": NUMBER, "protect": False}
    assert (entry["sid"], entry["rental_price"], entry["currency"]) == (
        "9eeafc8ab479a386dc95f854f9d7cd8a",
        "499.000000",
        "INR",
    )


@pytest.mark.parametrize(
    ("param", "key"),
    [("FriendlyName", "friendly_name"), ("VoiceUrl", "voice_url"), ("SMSUrl", "sms_url")],
)
def test_a_field_that_was_sent_but_not_echoed_is_recorded_as_sent(param: str, key: str) -> None:
    state = State(path="s.json")
    answer = {k: v for k, v in ANSWER.items() if k != key}
    fold(state, ActionKind.PURCHASE, NUMBER, answer, {param: "sent value"}, protect=False)
    assert state.numbers[NUMBER][key] == "sent value"


def test_what_exotel_echoes_wins_over_what_was_sent() -> None:
    state = State(path="s.json")
    fold(
        state,
        ActionKind.PURCHASE,
        NUMBER,
        {**ANSWER, "voice_url": VOICE_BACK},
        {"VoiceUrl": VOICE},
        False,
    )
    assert state.numbers[NUMBER]["voice_url"] == VOICE_BACK


def test_the_state_key_and_phone_number_are_the_e164_number() -> None:
    state = State(path="s.json")
    fold(state, ActionKind.PURCHASE, NUMBER, ANSWER, {}, protect=True)
    assert list(state.numbers) == [NUMBER]
    assert state.numbers[NUMBER]["phone_number"] == NUMBER  # not Exotel's "+91XXXX30240"
    assert state.numbers[NUMBER]["protect"] is True


def test_a_purchase_replaces_a_stale_entry() -> None:
    state = state_with(**{NUMBER: {"sid": "OLD", "stale": "yes"}})
    fold(state, ActionKind.PURCHASE, NUMBER, ANSWER, {}, protect=False)
    assert "stale" not in state.numbers[NUMBER]
    assert state.numbers[NUMBER]["sid"] == ANSWER["sid"]


def test_an_update_merges_the_answer_over_the_entry() -> None:
    state = state_with(**{NUMBER: {"sid": "S1", "rental_price": "499.000000", "voice_url": None}})
    answer = {"sid": "S1", "voice_url": VOICE_BACK, "friendly_name": "Sales"}
    fold(state, ActionKind.UPDATE, NUMBER, answer, {"VoiceUrl": VOICE}, protect=False)
    assert state.numbers[NUMBER] == {
        "sid": "S1",
        "rental_price": "499.000000",
        "voice_url": VOICE_BACK,
        "friendly_name": "Sales",
        "phone_number": NUMBER,
        "protect": False,
    }


@pytest.mark.parametrize("protect", [True, False])
def test_a_protect_only_update_changes_only_the_flag(protect: bool) -> None:
    before = {
        "sid": "S1",
        "friendly_name": "Support",
        "protect": not protect,
        "phone_number": NUMBER,
    }
    state = state_with(**{NUMBER: before})
    fold(state, ActionKind.UPDATE, NUMBER, {}, {}, protect=protect)
    assert state.numbers[NUMBER] == {**before, "protect": protect}


def test_a_release_removes_the_entry_and_leaves_the_others() -> None:
    state = state_with(**{NUMBER: {"sid": "S1"}, "+918030240002": {"sid": "S2"}})
    fold(state, ActionKind.RELEASE, NUMBER, {}, {}, protect=False)
    assert list(state.numbers) == ["+918030240002"]
    assert state.releasing == {NUMBER: {"sid": "S1"}}  # Exotel may still list it a while


def test_releasing_a_number_the_state_does_not_have_is_no_error() -> None:
    state = state_with()
    fold(state, ActionKind.RELEASE, NUMBER, {}, {}, protect=False)
    assert state.numbers == {} and state.releasing == {}


@pytest.mark.parametrize("protect", [True, False])
def test_adopt_takes_the_record_as_it_is(protect: bool) -> None:
    state = state_with(**{NUMBER: {"old": 1}})
    adopt(state, NUMBER, ANSWER, protect=protect)
    assert state.numbers[NUMBER] == {**ANSWER, "phone_number": NUMBER, "protect": protect}


def test_fold_does_not_share_the_answer_with_the_state() -> None:
    state = State(path="s.json")
    answer = dict(ANSWER)
    fold(state, ActionKind.PURCHASE, NUMBER, answer, {}, protect=False)
    answer["sid"] = "changed later"
    assert state.numbers[NUMBER]["sid"] == ANSWER["sid"]
