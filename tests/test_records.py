"""reconciler.records: a number's record has one list of text fields, which both the
answers' cleaning and the state's checks read (a field added there is held by both)."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import StateError
from reconciler.exotel.answers import clean_record
from reconciler.records import TEXT_FIELDS, NumberRecord
from reconciler.state.serialise import parse_state, state_json, to_data
from tests.support.project import LINEAGE


def document(entry: object) -> bytes:
    numbers = {"+918030240001": entry}
    data = {"format": "exoplan-state", "version": 1, "lineage": LINEAGE, "serial": 1}
    return json.dumps({**data, "account_sid": "acme1", "numbers": numbers}).encode()


def test_the_record_declares_every_text_field() -> None:
    assert set(TEXT_FIELDS) <= set(NumberRecord.__annotations__)


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_an_answer_is_cleaned_to_text_in_every_text_field(field: str) -> None:
    cleaned = clean_record({field: 42, "capabilities": {"voice": True}})
    assert cleaned.get(field) == "42"
    assert clean_record({field: {"odd": 1}}).get(field, "kept") is None


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_state_entry_without_text_in_a_text_field_is_refused(field: str) -> None:
    with pytest.raises(StateError, match=f"{field} must be a string or null"):
        parse_state(document({field: 42}), "numbers.state.json")


def test_a_cleaned_record_is_kept_by_the_state_as_it_came() -> None:
    record = clean_record({"sid": "S1", "phone_number": "+918030240001", "date_created": "x"})
    state = parse_state(document({**record, "protect": False}), "numbers.state.json")
    assert state.numbers["+918030240001"] == {**record, "protect": False}
    assert parse_state(state_json(to_data(state)), "again").numbers == state.numbers
