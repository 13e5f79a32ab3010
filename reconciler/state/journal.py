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
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import StateError
from reconciler.manifest import strictjson
from reconciler.manifest.bounded import RefusedFile, read_bounded
from reconciler.records import JournalRecord as JournalRecord  # the records it keeps
from reconciler.state.serialise import MAX_SERIAL, MAX_STATE_BYTES

_OUTCOMES = ("done", "failed", "unknown")


@dataclass
class JournalContents:
    """What a journal file says, grouped for folding and recovery."""

    id: str | None = None
    base_lineage: str | None = None
    base_serial: int | None = None
    count: int = 0
    done: list[JournalRecord] = field(default_factory=list)
    pending: list[JournalRecord] = field(default_factory=list)


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
        import uuid  # a journal is opened by apply only: plan need not import it

        self.id = uuid.uuid4().hex
        self._handle = self._append()
        self.write({"op": "begin", "id": self.id, "lineage": lineage, "serial": serial})

    def reopen(self, contents: JournalContents) -> None:
        """Append to an existing journal (settling it writes the outcomes it learns)."""
        self.id, self.count = contents.id, contents.count
        try:
            _drop_torn_tail(self.path)
        except OSError as exc:
            raise self._failure(exc) from None
        self._handle = self._append()

    def _append(self) -> Any:
        try:
            return open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise self._failure(exc) from None

    def write(self, record: JournalRecord) -> None:
        """Append one record and fsync it; StateError when the disk refuses (full, gone):
        the request it announces must then not be sent."""
        with self._lock:
            self.count += 1
            line = json.dumps({**record, "seq": self.count}, sort_keys=True, ensure_ascii=False)
            try:
                self._handle.write(line + "\n")
                self._handle.flush()
                os.fsync(self._handle.fileno())
            except OSError as exc:
                raise self._failure(exc) from None

    def _failure(self, exc: OSError) -> StateError:
        return StateError(
            f"{self.path}: could not write the apply journal ({exc.strerror or exc}); no "
            "further request is sent, and the next exoplan command settles what was done. "
            "Free some space (or fix the folder's permissions) and run it again"
        )

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            try:
                handle.close()
            except OSError:
                pass  # every record was fsynced as written; a failed one was reported

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
        lines = read_bounded(path, MAX_STATE_BYTES).decode("utf-8").splitlines()
    except FileNotFoundError:
        return None
    except RefusedFile as exc:
        raise StateError(f"{path}: the apply journal {exc}; {_KEEP}") from None
    except UnicodeDecodeError:
        raise StateError(f"{path}: the apply journal is not UTF-8 text; {_KEEP}") from None
    except OSError as exc:
        raise StateError(
            f"{path}: cannot read the apply journal ({exc.strerror}); {_KEEP}"
        ) from None
    return group_records(_records(lines, path))


_KEEP = "keep it, and check the account's numbers by hand before removing it"


def _records(lines: list[str], path: str) -> list[JournalRecord]:
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            record = strictjson.loads(line)
        except strictjson.NonFiniteNumber as exc:  # a whole line, never torn: not ours
            raise StateError(
                f"{path}:{number}: the apply journal is damaged ({exc}); {_KEEP}"
            ) from None
        except (ValueError, RecursionError):
            if number == len(lines):
                break  # a record torn by a crash mid-write: it was never acted on
            raise StateError(f"{path}:{number}: the apply journal is damaged; {_KEEP}") from None
        if not well_formed(record):
            raise StateError(f"{path}:{number}: not an apply journal record; {_KEEP}")
        records.append(record)
    return records


def well_formed(record: Any) -> bool:
    """A record of the shape this module writes; anything else is not acted on."""
    if not isinstance(record, dict) or "seq" in record and not _whole(record["seq"]):
        return False
    if record.get("op") == "begin":
        return (
            _text_or_none(record.get("id"))
            and _text_or_none(record.get("lineage"))
            and (record.get("serial") is None or _whole(record.get("serial")))
        )
    return (
        record.get("op") in ("intent", *_OUTCOMES)
        and record.get("action") in ("purchase", "update", "quarantine", "release")
        and isinstance(record.get("number"), str)
        and _E164.fullmatch(record["number"]) is not None
        and _text_or_none(record.get("sid"))
        and _form(record.get("params"))
        and isinstance(record.get("protect", False), bool)
        and isinstance(record.get("record", {}), dict)
        and isinstance(record.get("marks", {}), dict)
    )


_E164 = re.compile(r"\+[1-9][0-9]{4,15}")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_SERIAL


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _form(params: Any) -> bool:
    if params is None:
        return True
    return isinstance(params, dict) and all(isinstance(v, str) for v in params.values())


def group_records(records: list[JournalRecord]) -> JournalContents:
    """Journal records, in order, grouped into what was confirmed and what is pending."""
    contents = JournalContents(count=len(records))
    open_intents: dict[tuple[str, str], JournalRecord] = {}
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
    open_intents: dict[tuple[str, str], JournalRecord],
    record: JournalRecord,
    contents: JournalContents,
) -> None:
    """An outcome closes its intent; an unknown purchase stays open until settled."""
    key = (record["action"], record["number"])
    if record["op"] == "unknown" and record["action"] == "purchase":
        return
    open_intents.pop(key, None)
    if record["op"] == "done":
        contents.done.append(record)
