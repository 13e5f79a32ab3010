"""The PostgreSQL store: one state per name in the tables of one schema (psycopg 3).

``states`` holds the current version (compare-and-swap on ``serial``), ``state_versions``
every version ever saved, ``locks`` who holds the lock (for the message), ``journal`` the
apply journal, one committed row per record. The lock itself is a session-level
``pg_try_advisory_lock`` on a key derived from (schema, name), taken on the one
dedicated connection a command holds from start to end, so the server frees it when the
holder's session ends however it ends. Readers (plan) run one SELECT and take no lock.

Every psycopg error becomes one StateError naming host, database and state (the URL
without its password); the password never reaches a message, a log or a row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timezone
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.types.json import Jsonb

from reconciler.errors import StateError
from reconciler.model import State
from reconciler.state.journal import JournalContents, JournalRecord, group_records, well_formed
from reconciler.state.location import PgLocation
from reconciler.state.lock import describe_holder, waited
from reconciler.state.serialise import state_from_data, to_data
from reconciler.state.store import JournalWriter, Lock, Reading, Version

TABLES = ("states", "state_versions", "locks", "journal")
#: The tables, created on first write (``{schema}`` is the URL's schema, default exoplan).
DDL = """\
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.states (
    name text PRIMARY KEY, lineage text NOT NULL, serial bigint NOT NULL,
    data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS {schema}.state_versions (
    name text NOT NULL, serial bigint NOT NULL, data jsonb NOT NULL,
    written_at timestamptz NOT NULL, written_by jsonb NOT NULL);
CREATE INDEX IF NOT EXISTS state_versions_name_serial ON {schema}.state_versions (name, serial);
CREATE TABLE IF NOT EXISTS {schema}.locks (
    name text PRIMARY KEY, holder jsonb NOT NULL, taken_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS {schema}.journal (
    name text NOT NULL, apply_id text NOT NULL, seq integer NOT NULL, record jsonb NOT NULL,
    PRIMARY KEY (name, apply_id, seq));
"""
_CONNECT_TIMEOUT = 10
_MISSING = (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName)


def advisory_key(schema: str, name: str) -> int:
    """The lock key of one state: 64 bits of sha256(schema, name), as a signed bigint."""
    digest = hashlib.sha256(f"exoplan\0{schema}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore:
    """One state (``name``) in one schema; one connection, opened when first needed."""

    def __init__(self, location: PgLocation) -> None:
        self.location = location
        self.where = location.where
        self.journal_where = f"{self.where} (table {location.schema}.journal)"
        self.command = "exoplan"
        self._conn: psycopg.Connection[Any] | None = None
        self._guard = threading.RLock()

    # -- connection and errors ------------------------------------------------------

    def _table(self, table: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.location.schema), sql.Identifier(table))

    def connection(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            with self.errors("cannot connect"):
                conninfo = make_conninfo(
                    "",
                    connect_timeout=_CONNECT_TIMEOUT,
                    application_name="exoplan",
                    **self.location.conninfo(),
                )
                self._conn = psycopg.connect(conninfo, autocommit=True)
        return self._conn

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn psycopg's errors into one StateError line that never shows the password."""
        try:
            yield
        except psycopg.Error as exc:
            raise StateError(f"{self.where}: {doing}: {self._reason(exc)}") from None

    def _reason(self, exc: psycopg.Error) -> str:
        text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        text = self.location.explained(text or type(exc).__name__)
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            text += " (grant the role the rights the README's 'Team state' section lists)"
        return text

    def execute(self, query: sql.SQL | sql.Composed, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement (committed at once: the connection is in autocommit mode)."""
        with self._guard:
            cursor = self.connection().execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        with self._guard:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- reading --------------------------------------------------------------------

    def read(self) -> Reading:
        """One SELECT, no lock: the state and whether a journal is left (plan, list)."""
        query = sql.SQL(
            "SELECT s.data, EXISTS (SELECT 1 FROM {journal} j WHERE j.name = %(name)s) "
            "FROM (SELECT 1) AS one LEFT JOIN {states} s ON s.name = %(name)s"
        ).format(journal=self._table("journal"), states=self._table("states"))
        try:
            with self.errors("cannot read the state"):
                try:
                    rows = self.execute(query, {"name": self.location.name})
                except _MISSING:
                    return Reading(State(path=self.where), False, self.journal_where)
        finally:
            self.close()
        data, journal_left = rows[0]
        return Reading(self._state(data), bool(journal_left), self.journal_where)

    def load(self) -> State:
        """The state, read on the locked connection (an absent table is an empty state)."""
        query = sql.SQL("SELECT data FROM {} WHERE name = %s").format(self._table("states"))
        with self.errors("cannot read the state"):
            rows = self.execute(query, [self.location.name])
        return self._state(rows[0][0] if rows else None)

    def _state(self, data: Any) -> State:
        return State(path=self.where) if data is None else state_from_data(data, self.where)

    # -- the lock -------------------------------------------------------------------

    def lock(self, command: str, timeout: float) -> Lock:
        self.command = command
        return AdvisoryLock(self, command, timeout)

    def ensure_tables(self) -> None:
        """Create the schema and tables unless they all exist (then no CREATE right is needed)."""
        schema = self.location.schema
        query = sql.SQL(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = %s AND tablename = ANY(%s)"
        )
        with self.errors(f"cannot create the tables in schema {schema}"):
            if self.execute(query, [schema, list(TABLES)])[0][0] == len(TABLES):
                return
            with self._guard, self.connection().transaction():
                # Two first writers of one schema must not race on CREATE TABLE.
                self.execute(
                    sql.SQL("SELECT pg_advisory_xact_lock(%s)"), [advisory_key(schema, "")]
                )
                ddl = DDL.format(schema=sql.Identifier(schema).as_string(self.connection()))
                self.connection().execute(ddl.encode())

    def holder(self) -> dict[str, Any] | None:
        query = sql.SQL("SELECT holder FROM {} WHERE name = %s").format(self._table("locks"))
        try:
            rows = self.execute(query, [self.location.name])
        except psycopg.Error:
            return None
        return rows[0][0] if rows and isinstance(rows[0][0], dict) else None

    # -- writing --------------------------------------------------------------------

    def save(self, state: State) -> None:
        """Serial + 1, compare-and-swap on the serial read, with its version row."""
        previous = state.serial
        if state.lineage is None:
            state.lineage = str(uuid.uuid4())
        state.serial += 1
        try:
            self._swap(state, previous)
        except BaseException:
            state.serial = previous
            raise

    def put(self, state: State, replacing: State) -> None:
        """Write ``state`` as it is, lineage and serial kept, over ``replacing`` (migrate)."""
        self._swap(
            dataclasses.replace(state, path=self.where), replacing.serial if replacing.exists else 0
        )

    def _swap(self, state: State, expected: int) -> None:
        data = Jsonb(to_data(state))
        name, states = self.location.name, self._table("states")
        if expected == 0:
            query = sql.SQL(
                "INSERT INTO {} (name, lineage, serial, data, updated_at) "
                "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (name) DO NOTHING"
            ).format(states)
            params: list[Any] = [name, state.lineage, state.serial, data]
        else:
            query = sql.SQL(
                "UPDATE {} SET serial = %s, data = %s, updated_at = now() "
                "WHERE name = %s AND serial = %s AND lineage = %s"
            ).format(states)
            params = [state.serial, data, name, expected, state.lineage]
        with self.errors("cannot save the state"), self._guard:
            with self.connection().transaction():
                if self.connection().execute(query, params).rowcount != 1:
                    raise StateError(self._conflict(expected))
                self.connection().execute(self._version_query(), [self._writer(), name])

    def _version_query(self) -> sql.Composed:
        return sql.SQL(
            "INSERT INTO {} (name, serial, data, written_at, written_by) "
            "SELECT name, serial, data, updated_at, %s FROM {} WHERE name = %s"
        ).format(self._table("state_versions"), self._table("states"))

    def _writer(self) -> Jsonb:
        return Jsonb({"command": self.command, "host": socket.gethostname(), "pid": os.getpid()})

    def _conflict(self, expected: int) -> str:
        return (
            f"{self.where}: the state changed since it was read (serial {expected} is no longer "
            "current): something wrote it without exoplan's lock. Nothing was written; run the "
            "command again to plan against the current state"
        )

    # -- the journal and history ----------------------------------------------------

    def read_journal(self) -> JournalContents | None:
        query = sql.SQL("SELECT record FROM {} WHERE name = %s ORDER BY apply_id, seq").format(
            self._table("journal")
        )
        with self.errors("cannot read the apply journal"):
            rows = self.execute(query, [self.location.name])
        if not rows:
            return None
        records = [row[0] for row in rows]
        if not all(well_formed(record) for record in records):
            raise StateError(
                f"{self.journal_where}: holds rows that are not apply journal records; keep "
                "them, and check the account's numbers by hand before deleting them"
            )
        return group_records(records)

    def journal(self) -> JournalWriter:
        return TableJournal(self)

    def history(self) -> list[Version]:
        rows = self._versions("serial, written_at, written_by", "", [])
        return [_version(serial, at, by) for serial, at, by in rows]

    def version(self, serial: int) -> State | None:
        """The kept version with ``serial`` (the last written, should two share it)."""
        rows = self._versions("data", " AND serial = %s", [serial])
        return self._state(rows[-1][0]) if rows else None

    def _versions(self, columns: str, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
        query = sql.SQL(
            "SELECT "
            + columns
            + " FROM {} WHERE name = %s"
            + where
            + " ORDER BY serial, written_at"
        ).format(self._table("state_versions"))
        try:
            with self.errors("cannot read the state's history"):
                try:
                    return self.execute(query, [self.location.name, *params])
                except _MISSING:
                    return []
        finally:
            self.close()


def _version(serial: int, at: Any, by: Any) -> Version:
    by = by if isinstance(by, dict) else {}
    when = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if at is not None else "-"
    return Version(int(serial), when, str(by.get("command", "-")), str(by.get("host", "-")))


class AdvisoryLock:
    """``pg_try_advisory_lock`` on the store's connection, plus the holder row."""

    def __init__(self, store: PostgresStore, command: str, timeout: float) -> None:
        self.store = store
        self.command = command
        self.timeout = timeout
        self.key = advisory_key(store.location.schema, store.location.name)
        self._held = False

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        query = sql.SQL("SELECT pg_try_advisory_lock(%s)")
        with self.store.errors("cannot take the state lock"):
            while not self.store.execute(query, [self.key])[0][0]:
                if time.monotonic() >= deadline:
                    raise StateError(self._held_message())
                time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))
            self._held = True
        self.store.ensure_tables()
        with self.store.errors("cannot record the lock holder"):
            self.store.execute(self._holder_query(), [self.store.location.name, self._holder()])

    def _holder_query(self) -> sql.Composed:
        return sql.SQL(
            "INSERT INTO {} (name, holder, taken_at) VALUES (%s, %s, now()) ON CONFLICT (name) "
            "DO UPDATE SET holder = EXCLUDED.holder, taken_at = EXCLUDED.taken_at"
        ).format(self.store._table("locks"))

    def _holder(self) -> Jsonb:
        return Jsonb(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "command": self.command,
            }
        )

    def _held_message(self) -> str:
        holder = self.store.holder()
        for _ in range(10):  # a holder that has just locked writes its row next
            if holder is not None:
                break
            time.sleep(0.05)
            holder = self.store.holder()
        who = describe_holder(holder) if holder else "another exoplan process"
        return (
            f"{self.store.where} is locked by {who}{waited(self.timeout)}; the server "
            "releases the lock when that process's session ends, however it ends"
        )

    def release(self) -> None:
        """Delete the holder row and unlock; a broken connection has released it already."""
        if not self._held:
            return
        self._held = False
        delete = sql.SQL("DELETE FROM {} WHERE name = %s").format(self.store._table("locks"))
        try:
            self.store.execute(delete, [self.store.location.name])
            self.store.execute(sql.SQL("SELECT pg_advisory_unlock(%s)"), [self.key])
        except psycopg.Error:
            pass  # the session is gone, and its lock with it
        finally:
            self.store.close()


class TableJournal:
    """The apply journal as rows of the ``journal`` table, each committed before ``write``
    returns; safe to call from several worker threads."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.where = store.journal_where
        self.id: str | None = None
        self.count = 0
        self._lock = threading.Lock()

    def open(self, lineage: str | None, serial: int) -> None:
        self.id = uuid.uuid4().hex
        self.write({"op": "begin", "id": self.id, "lineage": lineage, "serial": serial})

    def reopen(self, contents: JournalContents) -> None:
        self.id, self.count = contents.id, contents.count

    def write(self, record: JournalRecord) -> None:
        query = sql.SQL("INSERT INTO {} (name, apply_id, seq, record) VALUES (%s, %s, %s, %s)")
        with self._lock:
            self.count += 1
            data = Jsonb({**record, "seq": self.count})
            with self.store.errors("cannot write the apply journal"):
                self.store.execute(
                    query.format(self.store._table("journal")),
                    [self.store.location.name, self.id or "", self.count, data],
                )

    def close(self) -> None:
        """Every row is committed already."""

    def remove(self) -> None:
        query = sql.SQL("DELETE FROM {} WHERE name = %s").format(self.store._table("journal"))
        with self.store.errors("cannot remove the settled apply journal"):
            self.store.execute(query, [self.store.location.name])
