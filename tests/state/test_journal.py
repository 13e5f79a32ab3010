"""reconciler.state.journal: the write-ahead journal of an apply, written and read back."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import StateError
from reconciler.state.journal import Journal, JournalContents, journal_path, read_journal
from tests.support.project import LINEAGE, journal_lines, journal_record, write_journal


def test_the_journal_lives_beside_the_state() -> None:
    assert journal_path("prod/numbers.state.json") == "prod/numbers.state.json.journal"


def test_open_starts_with_the_base_state_and_each_record_is_one_json_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json.journal"
    journal = Journal(str(path))
    journal.open(LINEAGE, 7)
    journal.write(journal_record("intent", params={"FriendlyName": "Café line"}))
    journal.close()
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert "Café line" in text  # stored as UTF-8, not \u escapes
    assert journal.id is not None and len(journal.id) == 32
    assert journal_lines(path) == [
        {"op": "begin", "id": journal.id, "lineage": LINEAGE, "serial": 7, "seq": 1},
        {**journal_record("intent", params={"FriendlyName": "Café line"}), "seq": 2},
    ]


def test_every_record_is_on_disk_before_write_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j"
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(len(path.read_text(encoding="utf-8").splitlines()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    journal = Journal(str(path))
    journal.open(None, 0)
    journal.write(journal_record("intent"))
    journal.write(journal_record("done", record={"sid": "S1"}))
    journal.close()
    assert synced == [1, 2, 3]  # flushed and fsynced once per record, in order


def test_open_appends_to_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "j"
    write_journal(path, [{"op": "begin", "lineage": None, "serial": 0}])
    journal = Journal(str(path))
    journal.open(LINEAGE, 1)
    journal.close()
    assert [r["serial"] for r in journal_lines(path)] == [0, 1]


def test_writes_from_many_threads_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = Journal(str(path))
    journal.open(LINEAGE, 1)

    def worker(i: int) -> None:
        for j in range(25):
            journal.write(
                journal_record("intent", number=f"+9180302{i:02d}{j:03d}", params={"x": "y" * 500})
            )

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    journal.close()
    records = journal_lines(path)  # every line parses
    assert len(records) == 1 + 8 * 25
    assert len({r.get("number") for r in records[1:]}) == 8 * 25


def test_remove_deletes_the_file_and_may_be_repeated(tmp_path: Path) -> None:
    path = tmp_path / "j"
    journal = Journal(str(path))
    journal.open(LINEAGE, 1)
    journal.remove()
    assert not path.exists()
    journal.remove()
    Journal(str(tmp_path / "never-opened")).remove()


def test_no_journal_reads_as_none(tmp_path: Path) -> None:
    assert read_journal(str(tmp_path / "missing.journal")) is None


def test_an_empty_journal_has_nothing_in_it(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.write_bytes(b"")
    assert read_journal(str(path)) == JournalContents()


@pytest.mark.parametrize(
    ("records", "done", "pending"),
    [
        ([journal_record("intent")], [], ["+918030240001"]),
        (
            [journal_record("intent"), journal_record("done", record={"sid": "S1"})],
            ["+918030240001"],
            [],
        ),
        ([journal_record("intent"), journal_record("failed", error="HTTP 402")], [], []),
        (
            [
                journal_record("intent", "+918030240001"),
                journal_record("intent", "+918030240002"),
                journal_record("done", "+918030240002"),
            ],
            ["+918030240002"],
            ["+918030240001"],
        ),
        # the same number updated, then released: two separate actions
        (
            [
                journal_record("intent", kind="update"),
                journal_record("done", kind="update"),
                journal_record("intent", kind="release"),
            ],
            ["+918030240001"],
            ["+918030240001"],
        ),
    ],
    ids=["intent-only", "done", "failed", "mixed", "per-action-kind"],
)
def test_records_are_grouped_into_done_and_pending(
    tmp_path: Path, records: list[dict[str, Any]], done: list[str], pending: list[str]
) -> None:
    path = tmp_path / "j"
    write_journal(path, [{"op": "begin", "lineage": LINEAGE, "serial": 3}, *records])
    contents = read_journal(str(path))
    assert contents is not None
    assert (contents.base_lineage, contents.base_serial) == (LINEAGE, 3)
    assert [r["number"] for r in contents.done] == done
    assert [r["number"] for r in contents.pending] == pending


def test_a_done_record_keeps_what_exotel_answered(tmp_path: Path) -> None:
    path = tmp_path / "j"
    answer = {"sid": "S1", "rental_price": "499.000000", "currency": "INR"}
    write_journal(
        path,
        [
            journal_record("intent"),
            journal_record("done", record=answer, params={"FriendlyName": "x"}),
        ],
    )
    contents = read_journal(str(path))
    assert contents is not None
    assert contents.done[0]["record"] == answer
    assert contents.done[0]["params"] == {"FriendlyName": "x"}


def test_only_the_first_begin_counts(tmp_path: Path) -> None:
    path = tmp_path / "j"
    write_journal(
        path,
        [
            {"op": "begin", "lineage": LINEAGE, "serial": 3},
            {"op": "begin", "lineage": "x", "serial": 9},
        ],
    )
    contents = read_journal(str(path))
    assert contents is not None
    assert (contents.base_lineage, contents.base_serial) == (LINEAGE, 3)


def test_a_last_record_torn_by_a_crash_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j"
    intact = json.dumps(journal_record("intent", "+918030240001")) + "\n"
    torn = json.dumps(journal_record("intent", "+918030240002"))[:40]
    path.write_text(intact + torn, encoding="utf-8")
    contents = read_journal(str(path))
    assert contents is not None
    # the torn intent was never fully written, so its request was never sent
    assert [r["number"] for r in contents.pending] == ["+918030240001"]


def test_a_damaged_record_before_the_end_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.write_text(
        json.dumps(journal_record("intent"))
        + "\n{not json\n"
        + json.dumps(journal_record("done"))
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(StateError) as raised:
        read_journal(str(path))
    assert str(raised.value) == (
        f"{path}:2: the apply journal is damaged; keep it, and check the account's numbers "
        "by hand before removing it"
    )


def test_an_unreadable_journal_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "j"
    path.mkdir()
    with pytest.raises(StateError) as raised:
        read_journal(str(path))
    assert str(raised.value).startswith(f"{path}: the apply journal is not a regular file (")


@pytest.mark.parametrize("last", [False, True], ids=["within", "last-line"])
@pytest.mark.parametrize("word", ["NaN", "Infinity", "1e999"])
def test_a_number_that_is_not_finite_is_an_error_naming_the_line(
    tmp_path: Path, word: str, last: bool
) -> None:
    # A whole record holding one was not torn by a crash but written by someone else:
    # refused wherever it is, the last line too, never folded into the state as null.
    path = tmp_path / "j"
    done = journal_record("done", record={"sid": "S1", "rental_price": "R"})
    bad = json.dumps(done).replace('"R"', word)
    lines = [json.dumps(journal_record("intent")), bad]
    if not last:
        lines.append(json.dumps(journal_record("intent", "+918030240002")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StateError) as raised:
        read_journal(str(path))
    assert str(raised.value) == (
        f"{path}:2: the apply journal is damaged ({word} at record/rental_price is not a "
        "finite number); keep it, and check the account's numbers by hand before removing it"
    )
