"""The state lock: ``<state>.lock``, created exclusively, holding who took it and since when.

A second writer fails at once naming the holder, or waits up to ``--lock-timeout``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from typing import Any

from reconciler.errors import StateError
from reconciler.state.file import remove_quietly

_log = logging.getLogger("exoplan")


def lock_path(state_path: str) -> str:
    return state_path + ".lock"


def remove_lock(state_path: str) -> None:
    """Remove the lock whatever holds it (``force-unlock``, after the user said yes)."""
    remove_quietly(lock_path(state_path))


class StateLock:
    """``<state>.lock``, created exclusively and holding who took it.

    A second writer fails at once naming the holder, or waits up to ``timeout``
    seconds. Only the holder's own lock is removed on release.
    """

    def __init__(self, state_path: str, command: str, timeout: float = 0.0) -> None:
        self.path = lock_path(state_path)
        self.state_path = state_path
        self.command = command
        self.timeout = timeout
        self.token = uuid.uuid4().hex

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self._try_create():
            if self._take_over_if_stale() or not os.path.exists(self.path):
                continue  # removed (or moved aside by another taker) since we tried
            if time.monotonic() >= deadline:
                raise StateError(self._held_message())
            time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))

    def _take_over_if_stale(self) -> bool:
        """Remove a lock whose holder died on this host (a killed apply); True if removed.

        The lock is first moved aside under a name of our own, so that of two
        processes finding the same stale lock only one removes it; a fresh lock moved
        aside by mistake is put back.
        """
        holder = read_lock(self.path)
        if holder is None or not _holder_is_dead(holder):
            return False
        aside = f"{self.path}.stale-{self.token}"
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return True  # someone else removed it first: try again
        moved = read_lock(aside)
        if moved is None or moved.get("id") != holder.get("id"):
            try:
                os.link(aside, self.path)
            except FileExistsError:
                pass
        remove_quietly(aside)
        if moved is not None and moved.get("id") == holder.get("id"):
            _log.warning(
                "note: removed the stale lock of %s (no longer running)", describe_holder(holder)
            )
        return True

    def _try_create(self) -> bool:
        """Create the lock complete or not at all: written aside, then linked into place."""
        holder = {
            "id": self.token,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": self.command,
        }
        draft = f"{self.path}.new-{self.token}"
        try:
            with open(draft, "w", encoding="utf-8") as handle:
                json.dump(holder, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(draft, self.path)  # fails if a lock exists: never half-written
        except FileExistsError:
            return False
        except OSError as exc:
            raise StateError(f"{self.path}: cannot create the lock ({exc.strerror})") from None
        finally:
            remove_quietly(draft)
        return True

    def _held_message(self) -> str:
        holder = read_lock(self.path)
        who = describe_holder(holder) if holder else "another exoplan process"
        waited = f" after waiting {self.timeout:g}s" if self.timeout else ""
        return (
            f"{self.state_path} is locked by {who}{waited}. Wait for it to finish "
            f"(or pass --lock-timeout SECONDS); if that process is gone, run "
            f"`exoplan force-unlock --state {self.state_path}`"
        )

    def release(self) -> None:
        holder = read_lock(self.path)
        if holder is not None and holder.get("id") == self.token:
            remove_quietly(self.path)


def read_lock(path: str) -> dict[str, Any] | None:
    """The holder details in a lock file, or None when there is no readable lock."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _holder_is_dead(holder: dict[str, Any]) -> bool:
    """True only when the holder ran on this host and its process is gone."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, but not ours to signal
    return False


def describe_holder(holder: dict[str, Any]) -> str:
    return (
        f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since "
        f"{holder.get('time', '?')} running '{holder.get('command', '?')}'"
    )
