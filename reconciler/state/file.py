"""The state file: load with clear errors, atomic save with a backup (the document's
format and text are :mod:`reconciler.state.serialise`'s, shared by every store).

Only this package touches the state file (the lock and the journal live beside it). A state that is
not valid is never overwritten or repaired; a crash at any instant of a save leaves
the old file or the new one, never a torn one.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.errors import StateError
from reconciler.manifest.bounded import RefusedFile, read_bounded
from reconciler.model import State
from reconciler.state.serialise import MAX_STATE_BYTES, parse_state, state_json, to_data


def default_state_path(manifest_path: str) -> str:
    """examples/numbers.yaml -> examples/numbers.state.json."""
    return str(Path(manifest_path).with_suffix(".state.json"))


def load_state(path: str) -> State:
    """Read the state at ``path``; a missing file is an empty state, a symlink is read
    through and a dangling one is an error (it would look like "nothing managed")."""
    try:
        raw = read_bounded(path, MAX_STATE_BYTES)
    except FileNotFoundError:
        _refuse_dangling(path)
        return State(path=path)
    except RefusedFile as exc:
        raise StateError(f"{path}: the state file {exc}: point --state at the state file") from None
    except OSError as exc:
        raise StateError(f"{path}: cannot read the state file ({exc.strerror})") from None
    return parse_state(raw, path)


def _refuse_dangling(path: str) -> None:
    if os.path.islink(path):
        target = os.readlink(path)
        raise StateError(
            f"{path} is a symbolic link to {target}, which does not exist: restore the state "
            f"there or point --state at the real file (exoplan will not start a new state)"
        )


def new_state(path: str, account_sid: str) -> State:
    """A state that has never been written: a fresh lineage, serial 0."""
    import uuid  # imported by the writers only (it costs plan's start-up)

    return State(path=path, lineage=str(uuid.uuid4()), serial=0, account_sid=account_sid)


def save_state(state: State) -> None:
    """Write ``state`` with serial + 1: temp file, fsync, backup of the old, os.replace."""
    if state.lineage is None:
        import uuid

        state.lineage = str(uuid.uuid4())
    state.serial += 1
    try:
        write_state(state)
    except StateError:
        state.serial -= 1
        raise


def write_state(state: State) -> None:
    """Write ``state`` as it is (serial unchanged), keeping the old file as ``.backup``."""
    payload = state_json(to_data(state))
    try:
        _keep_backup(state.path)
        atomic_write(state.path, payload)
    except OSError as exc:
        raise StateError(
            f"{state.path}: could not write the state ({exc}); the previous file is intact"
        ) from None


def backup_path(path: str) -> str:
    return path + ".backup"


def refuse_link(path: str, what: str) -> None:
    """A side file exoplan writes (lock, backup, journal) must be a file of its own: a link
    (which a pull request can commit beside the state) would have it written elsewhere."""
    if os.path.islink(path):
        raise StateError(
            f"{path} is a symbolic link, and exoplan writes the state's {what} only as a file "
            "of its own (through a link it could overwrite a file elsewhere): remove it and "
            "run the command again"
        )


def _keep_backup(path: str) -> None:
    try:
        with open(path, "rb") as handle:
            previous = handle.read()
    except FileNotFoundError:
        return
    refuse_link(backup_path(path), "backup")
    atomic_write(backup_path(path), previous, through_link=False)


def atomic_write(path: str, data: bytes, *, through_link: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new bytes only.

    A symbolic link is written through (the link stays, its target is replaced) unless
    ``through_link`` is False: then the link itself is replaced."""
    if through_link and os.path.islink(path):
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    import tempfile  # only writes need it

    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        os.chmod(temp, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        remove_quietly(temp)
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


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
