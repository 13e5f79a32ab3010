"""The state file: load with clear errors, atomic save with a backup, exclusive lock.

Only this module (and the journal beside it) touches the state file. A state that is
not valid is never overwritten or repaired; a crash at any instant of a save leaves
the old file or the new one, never a torn one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from .errors import StateError
from .gcpause import collector_paused
from .model import State

_log = logging.getLogger("exoplan")

FORMAT = "exoplan-state"
VERSION = 1
_RESTORE = "restore it from its .backup or from version control; exoplan never repairs it"


def default_state_path(manifest_path: str) -> str:
    """examples/numbers.yaml -> examples/numbers.state.json."""
    return str(Path(manifest_path).with_suffix(".state.json"))


def load_state(path: str) -> State:
    """Read the state at ``path``; a missing file is an empty state."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return State(path=path)
    except OSError as exc:
        raise StateError(f"{path}: cannot read the state file ({exc.strerror})") from None
    return parse_state(raw, path)


def parse_state(raw: bytes, path: str) -> State:
    """Turn the bytes of a state file into a State, or raise StateError naming ``path``."""
    try:
        with collector_paused():
            data = json.loads(raw)
    except UnicodeDecodeError:
        raise StateError(f"{path}: the state file is not UTF-8 text; {_RESTORE}") from None
    except json.JSONDecodeError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}"
        raise StateError(
            f"{where}: the state file is not valid JSON ({exc.msg}); {_RESTORE}"
        ) from None
    _check_format(data, path)
    return State(
        path=path,
        lineage=data["lineage"],
        serial=data["serial"],
        account_sid=data.get("account_sid"),
        numbers=data["numbers"],
    )


def _check_format(data: Any, path: str) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f'{path}: not an exoplan state file (no "format": "{FORMAT}"); {_RESTORE}')
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):  # JSON true == 1 in Python
        raise StateError(
            f"{path}: state format version {version!r} is not supported "
            f"(this exoplan reads version {VERSION}); upgrade exoplan or restore the file"
        )
    problems = _shape_problems(data)
    if problems:
        raise StateError(f"{path}: the state file is damaged ({'; '.join(problems)}); {_RESTORE}")


def _shape_problems(data: dict[str, Any]) -> list[str]:
    problems = []
    if not isinstance(data.get("lineage"), str) or not data["lineage"]:
        problems.append("lineage must be a non-empty string")
    serial = data.get("serial")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        problems.append("serial must be a whole number >= 0")
    numbers = data.get("numbers")
    if not isinstance(numbers, dict):
        problems.append("numbers must be an object keyed by E.164 number")
    else:
        problems += _entry_problems(numbers)
    if not isinstance(data.get("account_sid"), (str, type(None))):
        problems.append("account_sid must be a string")
    return problems


_E164 = re.compile(r"\+[1-9][0-9]{4,15}")
_TEXT_FIELDS = ("sid", "phone_number", "friendly_name", "voice_url", "sms_url")


def _entry_problems(numbers: dict[str, Any]) -> list[str]:
    """The first entry that planning could not read, if any (keys, field types)."""
    for key, entry in numbers.items():
        if not _E164.fullmatch(key):
            return [f"key {key!r} is not a number in E.164 form"]
        if not isinstance(entry, dict):
            return [f"the entry of {key} must be an object"]
        for field in _TEXT_FIELDS:
            if not isinstance(entry.get(field), (str, type(None))):
                return [f"{key}: {field} must be a string or null"]
        if not isinstance(entry.get("protect", False), bool):
            return [f"{key}: protect must be true or false"]
    return []


def new_state(path: str, account_sid: str) -> State:
    """A state that has never been written: a fresh lineage, serial 0."""
    return State(path=path, lineage=str(uuid.uuid4()), serial=0, account_sid=account_sid)


def to_data(state: State) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "account_sid": state.account_sid,
        "numbers": state.numbers,
    }


def save_state(state: State) -> None:
    """Write ``state`` with serial + 1: temp file, fsync, backup of the old, os.replace."""
    if state.lineage is None:
        state.lineage = str(uuid.uuid4())
    state.serial += 1
    payload = json.dumps(to_data(state), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        _keep_backup(state.path)
        atomic_write(state.path, payload.encode("utf-8"))
    except OSError as exc:
        state.serial -= 1
        raise StateError(
            f"{state.path}: could not write the state ({exc}); the previous file is intact"
        ) from None


def _keep_backup(path: str) -> None:
    try:
        with open(path, "rb") as handle:
            previous = handle.read()
    except FileNotFoundError:
        return
    atomic_write(path + ".backup", previous)


def atomic_write(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new bytes only."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        os.chmod(temp, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        _remove_quietly(temp)
        raise
    _fsync_dir(folder)


def _mode_for(path: str) -> int:
    """Keep the file's permissions; a new file gets the usual 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class StateLock:
    """``<state>.lock``, created exclusively and holding who took it.

    A second writer fails at once naming the holder, or waits up to ``timeout``
    seconds. Only the holder's own lock is removed on release.
    """

    def __init__(self, state_path: str, command: str, timeout: float = 0.0) -> None:
        self.path = state_path + ".lock"
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
        _remove_quietly(aside)
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
            _remove_quietly(draft)
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
            _remove_quietly(self.path)


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
