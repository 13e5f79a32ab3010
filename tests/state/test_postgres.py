"""reconciler.state.postgres against a real server: tables on first write, compare-and-swap
saves with every version kept, the advisory lock and its holder row, journal rows, and
errors that name host, database and state but never the password."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from typing import Any

import psycopg
import pytest

from reconciler.apply.transaction import StateTransaction
from reconciler.errors import StateError
from reconciler.model import State
from reconciler.state.backends import open_store
from reconciler.state.location import parse_pg_url
from reconciler.state.postgres import PostgresStore
from tests.support.postgres import PASSWORD, PgServer, unique_name
from tests.support.run import exoplan_env

ONE, TWO = "+918030240001", "+918030240002"


def store_of(pg: PgServer, name: str, **url: Any) -> PostgresStore:
    store = open_store(pg.url(name, **url))
    assert isinstance(store, PostgresStore)
    return store


def saved(pg: PgServer, name: str, *numbers: str) -> State:
    """A state ``name`` written once by a transaction, holding ``numbers``."""
    with StateTransaction(store_of(pg, name), "test") as tx:
        tx.state.account_sid = "acme1"
        for number in numbers:
            tx.state.numbers[number] = {"sid": "sid" + number[-2:], "phone_number": number}
        tx.save()
        return tx.state


def rows(pg: PgServer, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg.conninfo()) as conn:
        return conn.execute(query, params).fetchall()


def test_read_of_a_state_never_written_is_empty_and_creates_nothing(pg: PgServer) -> None:
    schema = "fresh_" + unique_name("s").replace("-", "_")
    reading = store_of(pg, unique_name(), schema=schema).read()
    assert not reading.state.exists and not reading.journal_left
    assert rows(pg, "SELECT 1 FROM pg_namespace WHERE nspname = %s", schema) == []


def test_first_write_creates_the_tables_and_a_version_per_save(pg: PgServer) -> None:
    name = unique_name()
    state = saved(pg, name, ONE)
    assert state.serial == 1 and state.lineage
    with StateTransaction(store_of(pg, name), "exoplan state rm") as tx:
        del tx.state.numbers[ONE]
        tx.save()
    reading = store_of(pg, name).read()
    assert reading.state.serial == 2 and reading.state.lineage == state.lineage
    assert reading.state.numbers == {}
    versions = rows(
        pg,
        "SELECT serial, written_by->>'command' FROM exoplan.state_versions "
        "WHERE name = %s ORDER BY serial",
        name,
    )
    assert versions == [(1, "test"), (2, "exoplan state rm")]
    assert [v.serial for v in store_of(pg, name).history()] == [1, 2]


def test_a_compare_and_swap_conflict_writes_nothing(pg: PgServer) -> None:
    name = unique_name()
    saved(pg, name, ONE)
    first, second = store_of(pg, name), store_of(pg, name)
    mine, theirs = first.load(), second.load()
    theirs.numbers[TWO] = {"sid": "x"}
    second.save(theirs)
    mine.numbers.clear()
    with pytest.raises(StateError, match="changed since it was read") as caught:
        first.save(mine)
    assert mine.serial == 1  # the failed save did not move the serial
    assert PASSWORD not in str(caught.value)
    current = store_of(pg, name).read().state
    assert current.serial == 2 and TWO in current.numbers and ONE in current.numbers
    count = rows(pg, "SELECT count(*) FROM exoplan.state_versions WHERE name = %s", name)
    assert count == [(2,)]
    for store in (first, second):
        store.close()


def test_two_first_writes_of_one_name_conflict(pg: PgServer) -> None:
    name = unique_name()
    first, second = store_of(pg, name), store_of(pg, name)
    first.lock("a", 0).acquire()  # creates the tables
    one, two = first.load(), second.load()
    first.save(one)
    with pytest.raises(StateError, match="changed since it was read"):
        second.save(two)
    first.close()
    second.close()


def test_a_second_writer_is_told_who_holds_the_lock(pg: PgServer) -> None:
    name = unique_name()
    with StateTransaction(store_of(pg, name), "exoplan apply"):
        with pytest.raises(StateError) as caught:
            with StateTransaction(store_of(pg, name), "exoplan refresh"):
                pass
    message = str(caught.value)
    assert "is locked by pid" in message and "running 'exoplan apply'" in message
    assert f"name={name}" in message and "127.0.0.1" in message and PASSWORD not in message
    with StateTransaction(store_of(pg, name), "exoplan refresh"):
        pass  # released at the end of the first


def test_locks_of_other_states_do_not_block(pg: PgServer) -> None:
    with StateTransaction(store_of(pg, unique_name()), "exoplan apply"):
        with StateTransaction(store_of(pg, unique_name()), "exoplan apply"):
            pass


def test_lock_timeout_waits_for_the_holder(pg: PgServer) -> None:
    name = unique_name()
    holder = store_of(pg, name)
    holder.lock("exoplan apply", 0).acquire()
    started = time.monotonic()
    with pytest.raises(StateError, match="after waiting 0.5s") as caught:
        store_of(pg, name).lock("exoplan apply", 0.5).acquire()
    assert "pass a longer --lock-timeout" in str(caught.value)
    assert "--lock-timeout SECONDS" not in str(caught.value)
    assert time.monotonic() - started >= 0.5
    holder.close()  # the session ends: the server frees the lock
    waiter = store_of(pg, name)
    waiter.lock("exoplan apply", 5).acquire()
    waiter.close()


def test_a_killed_holder_leaves_no_lock(pg: PgServer) -> None:
    name = unique_name()
    url = pg.url(name)
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from reconciler.state.backends import open_store
        store = open_store({url!r})
        store.lock("exoplan apply", 0).acquire()
        print("locked", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=exoplan_env(), capture_output=True, text=True, timeout=30
    )
    assert done.stdout == "locked\n" and done.returncode == -9
    store = store_of(pg, name)
    store.lock("exoplan apply", 5).acquire()  # the stale holder row does not matter
    holder = rows(pg, "SELECT holder FROM exoplan.locks WHERE name = %s", name)[0][0]
    assert holder["command"] == "exoplan apply" and holder["pid"] == os.getpid()
    store.close()


def test_journal_records_are_rows_grouped_like_the_file_journal(pg: PgServer) -> None:
    name = unique_name()
    store = store_of(pg, name)
    store.lock("exoplan apply", 0).acquire()
    journal = store.journal()
    journal.open("lineage-x", 3)
    intent = {"action": "purchase", "number": ONE, "sid": None, "params": {}, "protect": False}
    journal.write({**intent, "op": "intent"})
    journal.write({**intent, "op": "done", "record": {"sid": "s1"}})
    journal.write({**intent, "number": TWO, "op": "intent"})
    contents = store.read_journal()
    assert contents is not None
    assert contents.id == journal.id and contents.count == 4 and contents.base_serial == 3
    assert [r["number"] for r in contents.done] == [ONE]
    assert [r["number"] for r in contents.pending] == [TWO]
    assert store_of(pg, name).read().journal_left
    journal.remove()
    assert store.read_journal() is None
    store.close()


def test_the_password_is_in_no_row_and_no_state_path(pg: PgServer) -> None:
    name = unique_name()
    state = saved(pg, name, ONE)
    assert PASSWORD not in state.path and "Pw-" not in state.path
    for table in ("states", "state_versions", "locks", "journal"):
        dump = json.dumps(rows(pg, f"SELECT * FROM exoplan.{table}"), default=str)
        assert PASSWORD not in dump, table


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"secret": "wrong-" + PASSWORD}, "password authentication failed"),
        ({"user": "nobody"}, "password authentication failed"),
    ],
)
def test_connection_errors_name_the_place_never_the_password(
    pg: PgServer, change: dict[str, str], expected: str
) -> None:
    name = unique_name()
    with pytest.raises(StateError) as caught:
        store_of(pg, name, **change).read()
    message = str(caught.value)
    assert expected in message and "cannot connect" in message
    assert f"127.0.0.1:{pg.port}/exoplan?name={name}" in message
    assert PASSWORD not in message and "wrong-" not in message


def test_an_unreachable_server_is_one_clear_error() -> None:
    url = "postgresql://u:hunter2@127.0.0.1:1/db?name=prod"
    with pytest.raises(StateError) as caught:
        open_store(url).read()
    message = str(caught.value)
    assert message.startswith("postgresql://u@127.0.0.1:1/db?name=prod&schema=exoplan: cannot")
    assert "hunter2" not in message


def test_url_forms() -> None:
    location = parse_pg_url(
        "postgres://ci:p%40ss@db.example:6543/ops?name=prod&schema=team&sslmode=require"
    )
    assert (location.host, location.port, location.dbname) == ("db.example", 6543, "ops")
    assert (location.user, location.password, location.name) == ("ci", "p@ss", "prod")
    assert location.schema == "team"
    assert location.where == (
        "postgresql://ci@db.example:6543/ops?name=prod&schema=team&sslmode=require"
    )
    assert location.conninfo()["sslmode"] == "require"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://h/db", "needs ?name=STATE"),
        ("postgresql://h/?name=x", "names no database"),
        ("postgresql://h/db?name=x&schema=a;drop", "not a plain SQL identifier"),
        ("s3://bucket/key", "scheme 's3' are not supported"),
        ("postgresql://h:port/db?name=x", "not valid"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(StateError, match=re.escape(message)):
        open_store(url)
