"""reconciler.apply.migrate: the destination is written through its own transaction
(its lock held from the read to the write), lineage and serial kept."""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.migrate import Migrated, migrate
from reconciler.model import State
from reconciler.state.file import load_state, new_state, save_state
from reconciler.state.store import FileStore, Lock


class Recorded(FileStore):
    """The file store, saying in ``calls`` what was asked of it and of its lock."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.calls: list[str] = []

    def lock(self, command: str, timeout: float) -> Lock:
        inner, calls = super().lock(command, timeout), self.calls

        class Held:
            def acquire(self) -> None:
                calls.append("acquire")
                inner.acquire()

            def release(self) -> None:
                calls.append("release")
                inner.release()

        return Held()

    def load(self) -> State:
        self.calls.append("load")
        return super().load()

    def put(self, state: State, replacing: State) -> None:
        self.calls.append("put")
        super().put(state, replacing)

    def close(self) -> None:
        self.calls.append("close")


def test_the_destination_is_written_under_its_lock_lineage_and_serial_kept(
    tmp_path: Path,
) -> None:
    source = new_state(str(tmp_path / "a.state.json"), "acme1")
    save_state(source)
    save_state(source)
    dest = Recorded(str(tmp_path / "b.state.json"))
    state, done = migrate(FileStore(source.path), dest, "exoplan state migrate")
    assert done is Migrated.COPIED
    assert dest.calls[:4] == ["acquire", "load", "put", "release"]
    copied = load_state(dest.path)
    assert (copied.lineage, copied.serial) == (source.lineage, 2) == (state.lineage, state.serial)
    again = Recorded(dest.path)
    assert migrate(FileStore(source.path), again, "x")[1] is Migrated.ALREADY_THERE
    assert "put" not in again.calls and again.calls[:3] == ["acquire", "load", "release"]
