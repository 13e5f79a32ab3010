"""The Store protocol: where the state, its lock, its journal and its kept versions live.

Two stores implement it: :class:`FileStore` (the JSON file with its flock, journal and
``.backup`` beside it; the default) and ``postgres.PostgresStore`` (tables in a
PostgreSQL schema; imported only when a ``postgresql://`` location is used).
:func:`open_store` picks one by the location. Writers reach a store only through
``reconciler.apply.transaction.StateTransaction``; readers (plan, ``state list``) call :meth:`Store.read`.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from typing import Protocol

from reconciler.errors import StateError
from reconciler.model import State
from reconciler.records import JournalRecord
from reconciler.state.file import backup_path, load_state, refuse_link, save_state, write_state
from reconciler.state.journal import Journal, JournalContents, journal_path, read_journal
from reconciler.state.lock import StateLock

INSTALL_HINT = "pip install 'exoplan[postgres]'"


@dataclass(frozen=True)
class Reading:
    """What a reader sees: the state, and whether an interrupted apply left a journal."""

    state: State
    journal_left: bool
    journal_where: str


@dataclass(frozen=True)
class Version:
    """One kept version of the state (``state history``)."""

    serial: int
    written_at: str
    command: str
    host: str


class Lock(Protocol):
    """Held from the first read to the last write of one command; dies with its holder."""

    def acquire(self) -> None: ...
    def release(self) -> None: ...


class JournalWriter(Protocol):
    """The apply journal: every record durable before ``write`` returns."""

    id: str | None
    count: int
    where: str

    def open(self, lineage: str | None, serial: int) -> None: ...
    def reopen(self, contents: JournalContents) -> None: ...
    def write(self, record: JournalRecord) -> None: ...
    def close(self) -> None: ...
    def remove(self) -> None: ...


class Store(Protocol):
    """One state's home. ``where`` names it in messages and never holds a password."""

    where: str
    journal_where: str

    def read(self) -> Reading: ...
    def lock(self, command: str, timeout: float) -> Lock: ...
    def load(self) -> State: ...
    def save(self, state: State) -> None: ...
    def put(self, state: State, replacing: State) -> None: ...
    def read_journal(self) -> JournalContents | None: ...
    def journal(self) -> JournalWriter: ...
    def history(self) -> list[Version]: ...
    def version(self, serial: int) -> State | None: ...
    def close(self) -> None: ...


class FileStore:
    """The JSON state file, ``.lock``, ``.journal`` and ``.backup`` side by side."""

    def __init__(self, path: str) -> None:
        self.path = self.where = path
        self.journal_where = journal_path(path)

    def read(self) -> Reading:
        left = os.path.exists(self.journal_where)
        return Reading(load_state(self.path), left, self.journal_where)

    def lock(self, command: str, timeout: float) -> Lock:
        """The lock, once the files beside the state are known not to be links."""
        refuse_link(backup_path(self.path), "backup")
        refuse_link(self.journal_where, "apply journal")
        return StateLock(self.path, command, timeout)

    def load(self) -> State:
        return load_state(self.path)

    def save(self, state: State) -> None:
        save_state(state)

    def put(self, state: State, replacing: State) -> None:
        """Write ``state`` as it is (lineage and serial kept): ``state migrate``."""
        write_state(dataclasses.replace(state, path=self.path))

    def read_journal(self) -> JournalContents | None:
        return read_journal(self.journal_where)

    def journal(self) -> JournalWriter:
        return Journal(self.journal_where)

    def history(self) -> list[Version]:
        """The file keeps two versions: the current one and ``.backup``."""
        versions = []
        for path in (backup_path(self.path), self.path):
            try:
                state, written = load_state(path), os.stat(path).st_mtime
            except (StateError, OSError):
                continue
            if state.exists:
                when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(written))
                versions.append(Version(state.serial, when, "-", "-"))
        return versions

    def version(self, serial: int) -> State | None:
        """The current state or its ``.backup``, whichever has ``serial``; else None."""
        for path in (self.path, self.path + ".backup"):
            if os.path.lexists(path):
                state = load_state(path)
                if state.exists and state.serial == serial:
                    return state
        return None

    def close(self) -> None:
        """Nothing is held between commands."""
