"""The state lock: an OS lock (``flock``) on ``<state>.lock``, which the OS releases when
its process dies, however it dies. The file also holds who took it and since when, for
the message a second writer gets; nothing is ever guessed from pids.

A second writer fails at once naming the holder, or waits up to ``--lock-timeout``.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from typing import Any

from reconciler.errors import StateError, shorten
from reconciler.manifest.bounded import RefusedFile, read_bounded
from reconciler.state.file import refuse_link, remove_quietly

#: Filesystems that cannot lock answer with one of these.
_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)
_MAX_HOLDER_BYTES = 4096


def lock_path(state_path: str) -> str:
    return state_path + ".lock"


def remove_lock(state_path: str) -> None:
    """Remove the lock file whatever holds it (``force-unlock``, after the user said yes)."""
    remove_quietly(lock_path(state_path))


def is_locked(state_path: str) -> bool:
    """True while some process holds the OS lock on the state's lock file."""
    try:
        fd = os.open(lock_path(state_path), os.O_RDWR | os.O_NOFOLLOW)
    except (FileNotFoundError, IsADirectoryError):
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return False  # a link is no lock exoplan took
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


class StateLock:
    """Held from the first read of the state to its last write, by one process."""

    def __init__(self, state_path: str, command: str, timeout: float = 0.0) -> None:
        self.path = lock_path(state_path)
        self.state_path = state_path
        self.command = command
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            fd = self._open()
            if self._try_lock(fd):
                self._fd = fd
                self._write_holder(fd)
                return
            if time.monotonic() >= deadline:
                raise StateError(self._held_message())
            time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                refuse_link(self.path, "lock")
            raise StateError(f"{self.path}: cannot create the lock ({exc.strerror})") from None

    def _try_lock(self, fd: int) -> bool:
        """Lock ``fd``; True only if it is still the file at our path (a releasing holder
        or force-unlock may have removed it while we waited)."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            if exc.errno in _NO_LOCKS:
                raise StateError(
                    f"{self.path}: this filesystem cannot lock files ({exc.strerror}); keep "
                    "the state on a local disk"
                ) from None
            raise
        try:
            same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
        return same

    def _write_holder(self, fd: int) -> None:
        import socket  # only a writer takes the lock: plan need not import it

        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": self.command,
        }
        data = json.dumps(holder).encode("utf-8")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        except OSError as exc:
            self.release()
            raise StateError(
                f"{self.path}: could not write the lock ({exc.strerror or exc}); nothing was "
                "changed. Free some space and run the command again"
            ) from None

    def _held_message(self) -> str:
        # A holder that has just taken the lock writes its details a moment later; until
        # then the file may still name the previous (gone) holder or nobody.
        time.sleep(0.1)
        holder = read_lock(self.path)
        for _ in range(10):  # a holder that has just locked writes its details next
            if holder is not None:
                break
            time.sleep(0.02)
            holder = read_lock(self.path)
        who = describe_holder(holder) if holder else "another exoplan process"
        return (
            f"{self.state_path} is locked by {who}{waited(self.timeout)}; the lock is "
            "released when that process ends, however it ends"
        )

    def release(self) -> None:
        """Remove the file while still holding the lock (only if it is still ours: a
        force-unlock may have let another process create a new one), then let go."""
        if self._fd is None:
            return
        try:
            ours = os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            ours = False
        if ours:
            remove_quietly(self.path)
        os.close(self._fd)
        self._fd = None


def read_lock(path: str) -> dict[str, Any] | None:
    """The holder details in a lock file, or None when there is no readable lock (a
    damaged one of any size, shape or encoding included)."""
    try:
        data = json.loads(read_bounded(path, _MAX_HOLDER_BYTES))
    except (OSError, ValueError, RecursionError, RefusedFile):
        return None
    return data if isinstance(data, dict) else None


def waited(timeout: float) -> str:
    """How long a writer waited for a held lock, and what it can do next (the advice
    differs once --lock-timeout was given)."""
    if timeout:
        return (
            f" after waiting {timeout:g}s. Wait for it to finish (or pass a longer --lock-timeout)"
        )
    return ". Wait for it to finish (or pass --lock-timeout SECONDS)"


def describe_holder(holder: dict[str, Any]) -> str:
    """Who holds the lock, from what its file says: each detail shortened (the file is
    only a message, written by another process)."""

    def field(name: str) -> str:
        value = holder.get(name, "?")
        return shorten(value if isinstance(value, str) else repr(value), 60)

    return (
        f"pid {field('pid')} on {field('host')} since {field('time')} running '{field('command')}'"
    )
