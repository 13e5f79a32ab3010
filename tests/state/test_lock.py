"""reconciler.state.lock: an exclusive lock that names its holder; a dead holder's is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import StateError
from reconciler.state.lock import StateLock, describe_holder, read_lock


def holder(path: Path) -> dict[str, Any]:
    data = read_lock(str(path) + ".lock")
    assert data is not None
    return data


def test_the_lock_file_names_its_holder(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    with StateLock(str(state), "exoplan apply"):
        data = holder(state)
        assert data["pid"] == os.getpid()
        assert data["host"] == socket.gethostname()
        assert data["command"] == "exoplan apply"
        assert time.strptime(data["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert not (tmp_path / "s.json.lock").exists()


def test_a_second_lock_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    with StateLock(state, "exoplan apply -f numbers.yaml"):
        started = time.monotonic()
        with pytest.raises(StateError) as raised:
            StateLock(state, "exoplan refresh").acquire()
        assert time.monotonic() - started < 0.5
    message = str(raised.value)
    assert message.startswith(
        f"{state} is locked by pid {os.getpid()} on {socket.gethostname()} since "
    )
    assert "running 'exoplan apply -f numbers.yaml'" in message
    assert f"`exoplan force-unlock --state {state}`" in message
    assert "after waiting" not in message


def test_with_a_timeout_a_second_lock_waits_then_fails(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    with StateLock(state, "exoplan apply"):
        started = time.monotonic()
        with pytest.raises(StateError) as raised:
            StateLock(state, "exoplan apply", timeout=0.3).acquire()
        waited = time.monotonic() - started
    assert 0.3 <= waited < 1.0
    assert "after waiting 0.3s" in str(raised.value)
    assert f"pid {os.getpid()}" in str(raised.value)


def test_with_a_timeout_a_second_lock_gets_it_once_released(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    first = StateLock(state, "exoplan apply")
    first.acquire()
    timer = threading.Timer(0.2, first.release)
    timer.start()
    try:
        with StateLock(state, "exoplan refresh", timeout=1.0):
            assert holder(tmp_path / "s.json")["command"] == "exoplan refresh"
    finally:
        timer.join()
    assert not os.path.exists(state + ".lock")


def test_release_removes_only_its_own_lock(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    lock = StateLock(state, "exoplan apply")
    lock.acquire()
    # Someone force-unlocked and another process took the lock meanwhile.
    other = {"id": "someone-else", "pid": 4242, "host": "ci-7", "time": "t", "command": "x"}
    Path(state + ".lock").write_text(json.dumps(other))
    lock.release()
    assert json.loads(Path(state + ".lock").read_text()) == other


def test_release_without_a_lock_file_is_harmless(tmp_path: Path) -> None:
    lock = StateLock(str(tmp_path / "s.json"), "exoplan apply")
    lock.release()
    assert os.listdir(tmp_path) == []


def test_a_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    with pytest.raises(RuntimeError), StateLock(state, "exoplan apply"):
        raise RuntimeError("boom")
    assert not os.path.exists(state + ".lock")


def test_a_failed_acquire_leaves_the_holders_lock(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    with StateLock(state, "exoplan apply"):
        before = Path(state + ".lock").read_bytes()
        with pytest.raises(StateError), StateLock(state, "exoplan refresh"):
            pass  # pragma: no cover - never entered
        assert Path(state + ".lock").read_bytes() == before


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]"])
def test_an_unreadable_lock_is_still_a_lock(tmp_path: Path, content: str) -> None:
    state = str(tmp_path / "s.json")
    Path(state + ".lock").write_text(content)
    with pytest.raises(StateError) as raised:
        StateLock(state, "exoplan apply").acquire()
    assert str(raised.value).startswith(f"{state} is locked by another exoplan process.")
    assert Path(state + ".lock").read_text() == content


def test_describe_holder_tolerates_missing_details() -> None:
    assert describe_holder({"pid": 1}) == "pid 1 on ? since ? running '?'"


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def _write_lock(path: Path, pid: int, host: str) -> None:
    holder = {
        "id": "dead",
        "pid": pid,
        "host": host,
        "time": "2026-01-01T00:00:00Z",
        "command": "exoplan apply",
    }
    Path(str(path) + ".lock").write_text(json.dumps(holder), encoding="utf-8")


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "numbers.state.json"
    pid = _dead_pid()
    _write_lock(state, pid, socket.gethostname())
    with (
        caplog.at_level("WARNING", logger="exoplan"),
        StateLock(str(state), "exoplan apply") as lock,
    ):
        assert read_lock(lock.path)["id"] == lock.token  # type: ignore[index]
    assert f"removed the stale lock of pid {pid} on {socket.gethostname()}" in caplog.text
    assert not Path(lock.path).exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["live process", "other host"])
def test_a_lock_is_kept_unless_its_holder_is_known_dead(tmp_path: Path, where: str) -> None:
    state = tmp_path / "numbers.state.json"
    if where == "live process":
        _write_lock(state, os.getpid(), socket.gethostname())
    else:
        _write_lock(state, _dead_pid(), "another-host")
    with pytest.raises(StateError, match="is locked by pid"):
        StateLock(str(state), "exoplan apply").acquire()
    assert read_lock(str(state) + ".lock")["id"] == "dead"  # type: ignore[index]
