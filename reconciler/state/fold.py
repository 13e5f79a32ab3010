"""Folding what Exotel answered into the state: one function per action kind.

Used by apply (confirmed outcomes), by journal recovery, and by refresh/import.
Pure: works on the in-memory State only.
"""

from __future__ import annotations

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
) -> None:
    """Record in ``state`` that ``kind`` happened to ``number``."""
    if kind is ActionKind.RELEASE:
        state.numbers.pop(number, None)
        return
    base = state.numbers.get(number, {}) if kind is ActionKind.UPDATE else {}
    entry = {**base, **record}
    for param, key in _ECHO:
        if param in params and key not in record:
            entry[key] = params[param]
    entry["phone_number"] = number
    entry["protect"] = protect
    state.numbers[number] = entry


def adopt(state: State, number: str, record: dict[str, Any], protect: bool = False) -> None:
    """Take an owned number's record into the state as it is (import, recovery)."""
    entry = {**record, "phone_number": number, "protect": protect}
    state.numbers[number] = entry
