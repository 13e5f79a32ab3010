"""The write-ahead journal of an apply: ``<state>.journal``, one JSON record per line.

The intent to change a number is written (and fsynced) before its API call, the
outcome after. At the end of an apply the journal is folded into the state and
removed; if a crash leaves it behind, the next run reconciles it first. Records:

``begin``   the lineage and serial of the state the apply started from
``intent``  an action is about to be sent (kind, number, sid, params, protect)
``done``    Exotel confirmed it; ``record`` holds what Exotel answered
``failed``  Exotel refused it; nothing changed for that number
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import StateError


@dataclass
class JournalContents:
    """What a journal file says, grouped for folding and recovery."""

    base_lineage: str | None = None
    base_serial: int | None = None
    done: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)


def journal_path(state_path: str) -> str:
    return state_path + ".journal"


class Journal:
    """Append-only, fsync per record, safe to call from several worker threads."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._handle: Any = None

    def open(self, lineage: str | None, serial: int) -> None:
        self._handle = open(self.path, "a", encoding="utf-8")
        self.write({"op": "begin", "lineage": lineage, "serial": serial})

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        with self._lock:
            self._handle.write(line)
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


def read_journal(path: str) -> JournalContents | None:
    """The contents of the journal at ``path``, or None when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"{path}: cannot read the apply journal ({exc.strerror})") from None
    return _group(_records(lines, path))


def _records(lines: list[str], path: str) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except ValueError:
            if number == len(lines):
                break  # a record torn by a crash mid-write: it was never acted on
            raise StateError(
                f"{path}:{number}: the apply journal is damaged; keep it, and check the "
                "account's numbers by hand before removing it"
            ) from None
    return records


def _group(records: list[dict[str, Any]]) -> JournalContents:
    contents = JournalContents()
    open_intents: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        op = record.get("op")
        if op == "begin" and contents.base_serial is None:
            contents.base_lineage = record.get("lineage")
            contents.base_serial = record.get("serial")
        elif op == "intent":
            open_intents[(record["action"], record["number"])] = record
        elif op in ("done", "failed"):
            open_intents.pop((record["action"], record["number"]), None)
            if op == "done":
                contents.done.append(record)
    contents.pending = list(open_intents.values())
    return contents
