"""reconciler.state.lock: an OS lock that names its holder and dies with its process."""

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
from reconciler.state.lock import StateLock, describe_holder, is_locked, read_lock, remove_lock


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
        with pytest.raises(StateError) as raised:
            StateLock(state, "exoplan refresh").acquire()
    message = str(raised.value)
    assert message.startswith(
        f"{state} is locked by pid {os.getpid()} on {socket.gethostname()} since "
    )
    assert "running 'exoplan apply -f numbers.yaml'" in message
    assert "the lock is released when that process ends" in message
    assert "after waiting" not in message
    assert "Wait for it to finish (or pass --lock-timeout SECONDS)" in message


def test_with_a_timeout_a_second_lock_waits_then_fails(tmp_path: Path) -> None:
    state = str(tmp_path / "s.json")
    with StateLock(state, "exoplan apply"):
        started = time.monotonic()
        with pytest.raises(StateError) as raised:
            StateLock(state, "exoplan apply", timeout=0.3).acquire()
        waited = time.monotonic() - started
    assert waited >= 0.3
    assert "after waiting 0.3s" in str(raised.value)
    assert f"pid {os.getpid()}" in str(raised.value)
    # --lock-timeout was given: the advice is a longer one, not the flag itself.
    assert "pass a longer --lock-timeout" in str(raised.value)
    assert "--lock-timeout SECONDS" not in str(raised.value)


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
    # Someone force-unlocked, and another process took a new lock meanwhile.
    remove_lock(state)
    with StateLock(state, "exoplan refresh"):
        lock.release()
        assert holder(tmp_path / "s.json")["command"] == "exoplan refresh"


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


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", "{" * 100_000])
def test_a_lock_file_nobody_holds_is_no_lock(tmp_path: Path, content: str) -> None:
    state = str(tmp_path / "s.json")
    Path(state + ".lock").write_text(content)
    with StateLock(state, "exoplan apply"):
        assert holder(tmp_path / "s.json")["command"] == "exoplan apply"
    assert not os.path.exists(state + ".lock")


def test_describe_holder_tolerates_missing_details() -> None:
    assert describe_holder({"pid": 1}) == "pid 1 on ? since ? running '?'"


HOLD = (
    "import sys, time\n"
    "from reconciler.state.lock import StateLock\n"
    "StateLock(sys.argv[1], 'exoplan apply').acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def _holder_process(state: Path) -> subprocess.Popen[str]:
    """Another process that takes the lock and keeps it until killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    return process


def test_a_lock_held_by_another_process_is_refused_naming_it(tmp_path: Path) -> None:
    state = tmp_path / "numbers.state.json"
    process = _holder_process(state)
    try:
        with pytest.raises(StateError, match=f"is locked by pid {process.pid} on "):
            StateLock(str(state), "exoplan refresh").acquire()
        assert is_locked(str(state))
    finally:
        process.kill()
        process.wait()


def test_a_killed_holders_lock_is_free_at_once(tmp_path: Path) -> None:
    state = tmp_path / "numbers.state.json"
    process = _holder_process(state)
    process.kill()
    process.wait()
    assert Path(str(state) + ".lock").exists()  # SIGKILL leaves the file behind
    assert not is_locked(str(state))
    with StateLock(str(state), "exoplan apply"):  # without a timeout: taken, or an error
        assert holder(state)["pid"] == os.getpid()


@pytest.mark.parametrize("host", ["this host", "another-host"])
def test_a_leftover_lock_file_is_taken_without_guessing_from_its_pid(
    tmp_path: Path, host: str
) -> None:
    """Whatever pid and host the file names (even a live pid of ours), only the OS lock counts."""
    state = tmp_path / "numbers.state.json"
    name = socket.gethostname() if host == "this host" else host
    leftover = {"pid": os.getpid(), "host": name, "time": "t", "command": "exoplan apply"}
    Path(str(state) + ".lock").write_text(json.dumps(leftover))
    with StateLock(str(state), "exoplan refresh"):
        assert holder(state)["command"] == "exoplan refresh"
