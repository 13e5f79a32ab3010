"""Folding what Exotel answered into the state: one function per action kind.

Used by apply (confirmed outcomes), by journal recovery, and by refresh/import.
Pure: works on the in-memory State only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from reconciler.model import ActionKind, State
from reconciler.records import ECHOED, NumberRecord


def fold(
    state: State,
    kind: ActionKind,
    number: str,
    record: NumberRecord,
    params: dict[str, str],
    protect: bool,
    marks: Mapping[str, object] | None = None,
) -> None:
    """Record in ``state`` that ``kind`` happened to ``number``; ``marks`` are exoplan's
    own fields to set on the entry (None removes one)."""
    if kind is ActionKind.RELEASE:
        released = state.numbers.pop(number, None)
        if released is not None:  # Exotel may list it a while yet: import must not re-adopt it
            state.releasing[number] = {"sid": released.get("sid")}
        return
    changes_entry = kind in (ActionKind.UPDATE, ActionKind.QUARANTINE)
    base: NumberRecord = state.numbers.get(number, {}) if changes_entry else {}
    entry: NumberRecord = {**base, **record}
    # What the answer does not echo was set as sent (Exotel's purchase answer has no
    # voice_url, for one).
    for param, key in ECHOED:
        if param in params and key not in record:
            entry[key] = params[param]
    own = cast(dict[str, object], entry)  # exoplan's own fields, named by the action
    for mark, value in (marks or {}).items():
        if value is None:
            own.pop(mark, None)
        else:
            own[mark] = value
    entry["phone_number"] = number
    entry["protect"] = protect
    state.numbers[number] = entry


def adopt(state: State, number: str, record: NumberRecord, protect: bool = False) -> None:
    """Take an owned number's record into the state as it is (import, recovery)."""
    entry: NumberRecord = {**record}
    entry["phone_number"], entry["protect"] = number, protect
    state.numbers[number] = entry
