"""The write-ahead journal of an apply: for the file store ``<state>.journal``, one JSON
record per line (the PostgreSQL store keeps the same records as rows).

The intent to change a number is written (and fsynced) before its API call, the
outcome after. At the end of an apply the journal is folded into the state and
removed; if a crash leaves it behind, the next command that writes the state settles
it first. Records (each numbered by ``seq``, from 1):

``begin``    the journal's ``id`` and the lineage and serial of the state it started from
``intent``   an action is about to be sent (kind, number, sid, params, protect)
``done``     Exotel confirmed it; ``record`` holds what Exotel answered
``failed``   Exotel refused it, or it was never sent; nothing changed for that number
``unknown``  sent, but whether it happened cannot be told; a purchase stays pending
             until a listing of the account settles it, an update or release is left to
             the next plan (which shows it again if it did not happen)

The state records the id of the journal folded into it and how many of its records
(``last_journal``), so a journal is folded exactly once whatever runs in between.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import StateError

_OUTCOMES = ("done", "failed", "unknown")


@dataclass
class JournalContents:
    """What a journal file says, grouped for folding and recovery."""

    id: str | None = None
    base_lineage: str | None = None
    base_serial: int | None = None
    count: int = 0
    done: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)


def journal_path(state_path: str) -> str:
    return state_path + ".journal"


class Journal:
    """Append-only, fsync per record, safe to call from several worker threads."""

    def __init__(self, path: str) -> None:
        self.path = self.where = path
        self.id: str | None = None
        self.count = 0
        self._lock = threading.Lock()
        self._handle: Any = None

    def open(self, lineage: str | None, serial: int) -> None:
        """Start a new journal with a fresh id."""
        self.id = uuid.uuid4().hex
        self._handle = open(self.path, "a", encoding="utf-8")
        self.write({"op": "begin", "id": self.id, "lineage": lineage, "serial": serial})

    def reopen(self, contents: JournalContents) -> None:
        """Append to an existing journal (settling it writes the outcomes it learns)."""
        self.id, self.count = contents.id, contents.count
        _drop_torn_tail(self.path)
        self._handle = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.count += 1
            line = json.dumps({**record, "seq": self.count}, sort_keys=True, ensure_ascii=False)
            self._handle.write(line + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def remove(self) -> None:
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _drop_torn_tail(path: str) -> None:
    """Cut a last record torn by a crash mid-write, so appended records start a line."""
    with open(path, "rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):
            handle.truncate(data.rfind(b"\n") + 1)


def read_journal(path: str) -> JournalContents | None:
    """The contents of the journal at ``path``, or None when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: cannot read the apply journal ({exc}); {_KEEP}") from None
    return group_records(_records(lines, path))


_KEEP = "keep it, and check the account's numbers by hand before removing it"


def _records(lines: list[str], path: str) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines):
                break  # a record torn by a crash mid-write: it was never acted on
            raise StateError(f"{path}:{number}: the apply journal is damaged; {_KEEP}") from None
        if not well_formed(record):
            raise StateError(f"{path}:{number}: not an apply journal record; {_KEEP}")
        records.append(record)
    return records


def well_formed(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("op"), str):
        return False
    if record["op"] == "begin":
        return True
    return record.get("action") in ("purchase", "update", "release") and isinstance(
        record.get("number"), str
    )


def group_records(records: list[dict[str, Any]]) -> JournalContents:
    """Journal records, in order, grouped into what was confirmed and what is pending."""
    contents = JournalContents(count=len(records))
    open_intents: dict[tuple[str, str], dict[str, Any]] = {}
    for seq, record in enumerate(records, start=1):
        record.setdefault("seq", seq)
        op = record["op"]
        if op == "begin" and contents.base_serial is None:
            contents.id = record.get("id") if isinstance(record.get("id"), str) else None
            contents.base_lineage = record.get("lineage")
            contents.base_serial = record.get("serial")
        elif op == "intent":
            open_intents[(record["action"], record["number"])] = record
        elif op in _OUTCOMES:
            _close(open_intents, record, contents)
    contents.pending = list(open_intents.values())
    return contents


def _close(
    open_intents: dict[tuple[str, str], dict[str, Any]],
    record: dict[str, Any],
    contents: JournalContents,
) -> None:
    """An outcome closes its intent; an unknown purchase stays open until settled."""
    key = (record["action"], record["number"])
    if record["op"] == "unknown" and record["action"] == "purchase":
        return
    open_intents.pop(key, None)
    if record["op"] == "done":
        contents.done.append(record)
