"""reconciler.state.store: the file store behind the Store protocol, and the choice of
store by location (the manifest's state.url, relative to the manifest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.apply.transaction import StateTransaction
from reconciler.errors import StateError
from reconciler.manifest.load import load_manifest
from reconciler.state.backends import open_store
from reconciler.state.store import FileStore
from tests.support.project import numbers, write_manifest, write_state


def test_a_path_is_a_file_store_and_reads_like_the_file(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    write_state(path, numbers(2), serial=4)
    store = open_store(str(path))
    assert isinstance(store, FileStore)
    reading = store.read()
    assert reading.state.serial == 4 and sorted(reading.state.numbers) == numbers(2)
    assert not reading.journal_left and reading.journal_where == str(path) + ".journal"


def test_file_history_is_the_backup_and_the_current_file(tmp_path: Path) -> None:
    path = tmp_path / "numbers.state.json"
    assert open_store(str(path)).history() == []
    write_state(path, numbers(1), serial=4)
    with StateTransaction(str(path), "exoplan state rm") as tx:
        tx.state.numbers.clear()
        tx.save()
    versions = open_store(str(path)).history()
    assert [v.serial for v in versions] == [4, 5]
    assert all(v.command == "-" and v.written_at.endswith("Z") for v in versions)


def test_the_manifest_state_url_is_relative_to_the_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "phones"
    folder.mkdir()
    text = write_manifest(folder, numbers(1)).read_text(encoding="utf-8")
    (folder / "numbers.yaml").write_text(text + "state:\n  url: states/prod.json\n")
    manifest = load_manifest(str(folder / "numbers.yaml"))
    assert manifest.state_url == str(folder / "states" / "prod.json")


@pytest.mark.parametrize("side", [".lock", ".backup", ".journal"])
def test_a_symlinked_side_file_is_refused_naming_it_and_never_written_through(
    tmp_path: Path, side: str
) -> None:
    path = tmp_path / "numbers.state.json"
    write_state(path, numbers(1))
    before = path.read_bytes()
    outside = tmp_path / "elsewhere" / "precious.txt"
    outside.parent.mkdir()
    outside.write_text("keep me\n", encoding="utf-8")
    link = tmp_path / f"numbers.state.json{side}"
    link.symlink_to(outside)
    store = open_store(str(path))
    with pytest.raises(StateError) as raised:
        with StateTransaction(store, "exoplan test", 0.0) as tx:
            tx.state.numbers.clear()
            tx.save()
    message = str(raised.value)
    assert message.startswith(f"{link} is a symbolic link") and "remove it" in message
    assert outside.read_text(encoding="utf-8") == "keep me\n"
    assert link.is_symlink() and path.read_bytes() == before
