"""Folding what Exotel answered into the state: one function per action kind.

Used by apply (confirmed outcomes), by journal recovery, and by refresh/import.
Pure: works on the in-memory State only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import ActionKind, State

# Form field sent -> state key, for answers that do not echo what was set
# (Exotel's purchase answer has no voice_url, for one).
_ECHO = (("FriendlyName", "friendly_name"), ("VoiceUrl", "voice_url"), ("SMSUrl", "sms_url"))


def fold(
    state: State,
    kind: ActionKind,
    number: str,
    record: dict[str, Any],
    params: dict[str, str],
    protect: bool,
    marks: Mapping[str, Any] | None = None,
) -> None:
    """Record in ``state`` that ``kind`` happened to ``number``; ``marks`` are exoplan's
    own fields to set on the entry (None removes one)."""
    if kind is ActionKind.RELEASE:
        released = state.numbers.pop(number, None)
        if released is not None:  # Exotel may list it a while yet: import must not re-adopt it
            state.releasing[number] = {"sid": released.get("sid")}
        return
    changes_entry = kind in (ActionKind.UPDATE, ActionKind.QUARANTINE)
    base = state.numbers.get(number, {}) if changes_entry else {}
    entry = {**base, **record}
    for param, key in _ECHO:
        if param in params and key not in record:
            entry[key] = params[param]
    for key, value in (marks or {}).items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    entry["phone_number"] = number
    entry["protect"] = protect
    state.numbers[number] = entry


def adopt(state: State, number: str, record: dict[str, Any], protect: bool = False) -> None:
    """Take an owned number's record into the state as it is (import, recovery)."""
    entry = {**record, "phone_number": number, "protect": protect}
    state.numbers[number] = entry
