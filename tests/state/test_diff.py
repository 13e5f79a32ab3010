"""reconciler.state.diff: two states -> their differences, sorted by path."""

from __future__ import annotations

from reconciler.model import State
from reconciler.reports import StateDelta
from reconciler.state.diff import diff_states

LINEAGE = "0b7a3f1e-5c2d-4e8f-9a6b-1c2d3e4f5a6b"
ONE, TWO = "+918030240001", "+918030240002"


def state(serial: int, numbers: dict[str, dict[str, object]], lineage: str = LINEAGE) -> State:
    return State(f"s{serial}.json", lineage, serial, "acme1", numbers)


def test_the_serial_alone_is_no_difference() -> None:
    found = diff_states(state(6, {ONE: {"sid": "a"}}), state(9, {ONE: {"sid": "a"}}))
    assert found.deltas == ()
    assert (found.before.serial, found.after.serial) == (6, 9)


def test_changes_additions_and_removals_by_path() -> None:
    before = state(1, {ONE: {"sid": "a", "protect": False}, TWO: {"sid": "b"}})
    after = state(2, {ONE: {"sid": "a", "protect": 1, "friendly_name": "X"}})
    assert diff_states(before, after).deltas == (
        StateDelta(("numbers", ONE, "friendly_name"), "added", None, "X"),
        StateDelta(("numbers", ONE, "protect"), "changed", False, 1),  # a type change too
        StateDelta(("numbers", TWO), "removed", {"sid": "b"}, None),
    )


def test_another_lineage_is_a_difference() -> None:
    other = "11111111-2222-4333-8444-555555555555"
    (delta,) = diff_states(state(1, {}), state(1, {}, other)).deltas
    assert delta == StateDelta(("lineage",), "changed", LINEAGE, other)
