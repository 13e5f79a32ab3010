"""The state document, which every store keeps: its format (``to_data`` /
``state_from_data``), its checks, and its text (``parse_state`` / ``state_json``).

The file store writes the text to a file, the PostgreSQL store the document to a jsonb
column; both read it back through the same checks, so a damaged state is refused with
the same words wherever it lives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypedDict

from reconciler.errors import StateError, shorten
from reconciler.manifest import strictjson
from reconciler.model import State
from reconciler.records import TEXT_FIELDS, NumberRecord, Releasing

FORMAT = "exoplan-state"
VERSION = 1
_RESTORE = "restore it from its .backup or from version control; exoplan never repairs it"

#: The largest state, journal read: millions of numbers, not a runaway file.
MAX_STATE_BYTES = 1 << 30
#: The largest serial: far beyond any number of writes, within every JSON reader's range.
MAX_SERIAL = 2**53


class JournalMark(TypedDict):
    """Which apply journal was last folded into the state, and how many of its records."""

    id: str
    folded: int


class _Document(TypedDict):
    format: str
    version: int
    lineage: str | None
    serial: int
    account_sid: str | None
    numbers: dict[str, NumberRecord]


class StateDocument(_Document, total=False):
    """The state document as every store keeps it (keys written sorted)."""

    last_journal: JournalMark
    releasing: dict[str, Releasing]


def parse_state(raw: bytes, path: str) -> State:
    """Turn the bytes of a state file into a State, or raise StateError naming ``path``."""
    try:
        data = strictjson.loads(raw)
    except strictjson.NonFiniteNumber as exc:
        raise StateError(f"{path}: the state file is damaged ({exc}); {_RESTORE}") from None
    except UnicodeDecodeError:
        raise StateError(f"{path}: the state file is not UTF-8 text; {_RESTORE}") from None
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise StateError(
            f"{where}: the state file is not valid JSON ({exc.msg}); {_RESTORE}"
        ) from None
    except (ValueError, RecursionError) as exc:  # a number too long, nesting too deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else shorten(str(exc))
        raise StateError(f"{path}: the state file is not readable ({reason}); {_RESTORE}") from None
    return state_from_data(data, path)


def state_from_data(data: Any, path: str) -> State:
    """A parsed state document -> State, or StateError naming ``path`` (any store)."""
    _check_format(data, path)
    return State(
        path=path,
        lineage=data["lineage"],
        serial=data["serial"],
        account_sid=data.get("account_sid"),
        numbers=data["numbers"],
        journal_id=(data.get("last_journal") or {}).get("id"),
        journal_folded=(data.get("last_journal") or {}).get("folded", 0),
        releasing=dict(data.get("releasing") or {}),
    )


def _check_format(data: Any, path: str) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f'{path}: not an exoplan state file (no "format": "{FORMAT}"); {_RESTORE}')
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):  # JSON true == 1 in Python
        raise StateError(
            f"{path}: state format version {shorten(repr(version))} is not supported "
            f"(this exoplan reads version {VERSION}); upgrade exoplan or restore the file"
        )
    problems = _shape_problems(data)
    if problems:
        raise StateError(f"{path}: the state file is damaged ({'; '.join(problems)}); {_RESTORE}")


def _shape_problems(data: Mapping[str, Any]) -> list[str]:
    problems = []
    if not isinstance(data.get("lineage"), str) or not data["lineage"]:
        problems.append("lineage must be a non-empty string")
    serial = data.get("serial")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        problems.append("serial must be a whole number >= 0")
    elif serial >= MAX_SERIAL:
        problems.append(f"serial must be below {MAX_SERIAL}")
    numbers = data.get("numbers")
    if not isinstance(numbers, dict):
        problems.append("numbers must be an object keyed by E.164 number")
    else:
        problems += _entry_problems(numbers)
    if not isinstance(data.get("account_sid"), (str, type(None))):
        problems.append("account_sid must be a string")
    if not _journal_mark_ok(data.get("last_journal")):
        problems.append('last_journal must be {"id": string, "folded": whole number}')
    return problems


def _journal_mark_ok(mark: Any) -> bool:
    if mark is None:
        return True
    if not isinstance(mark, dict) or not isinstance(mark.get("id"), str):
        return False
    folded = mark.get("folded")
    return isinstance(folded, int) and not isinstance(folded, bool) and 0 <= folded < MAX_SERIAL


_E164 = re.compile(r"\+[1-9][0-9]{4,15}")
_TEXT_TYPES = frozenset({str, type(None)})  # JSON gives these exactly, never subclasses


def _entry_problems(numbers: Mapping[str, Any]) -> list[str]:
    """The first entry that planning could not read, if any (keys, field types)."""
    is_e164, text = _E164.fullmatch, _TEXT_TYPES
    for key, entry in numbers.items():
        if not is_e164(key):
            return [f"key {shorten(repr(key))} is not a number in E.164 form"]
        if entry.__class__ is not dict:
            return [f"the entry of {key} must be an object"]
        get = entry.get
        wrong = next((f for f in TEXT_FIELDS if get(f).__class__ not in text), None)
        if wrong is not None:
            return [f"{key}: {wrong} must be a string or null"]
        if get("protect", False).__class__ is not bool:
            return [f"{key}: protect must be true or false"]
    return []


def to_data(state: State) -> StateDocument:
    data = _core_data(state)
    if state.journal_id is not None:
        data["last_journal"] = {"id": state.journal_id, "folded": state.journal_folded}
    if state.releasing:
        data["releasing"] = state.releasing
    return data


def _core_data(state: State) -> StateDocument:
    return {
        "format": FORMAT,
        "version": VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "account_sid": state.account_sid,
        "numbers": state.numbers,
    }


def state_json(data: StateDocument) -> bytes:
    """The state document as UTF-8 JSON text: keys sorted, indented by two, one newline.

    orjson writes a large state many times faster than ``json`` (``benchmarks/plan_bench.py``
    times the state write), with the same text for what a state holds (strings, booleans, null, integers, nested
    mappings). What orjson refuses (an integer beyond 64 bits, a key that is not a
    string) goes through ``json``, as before. A state holds no float that is not finite
    (answers are checked before they reach it; JSON has no spelling for one). orjson is
    imported here, by writers only: reading commands such as plan never load it.
    """
    import orjson

    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError:
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
        return text.encode("utf-8") + b"\n"
