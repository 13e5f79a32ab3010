"""Reading an input file whole, bounded: the one reader for manifests, states, journals,
locks and saved plans.

Only regular files are read (a FIFO or ``/dev/zero`` named as a manifest would block or
never end), and never more than a limit the caller gives. Opening does not block: a FIFO
is refused without waiting for a writer. Lives at the manifest floor so that every stage
that reads files (plan, state) can use it.
"""

from __future__ import annotations

import os
import stat

_CHUNK = 1 << 20


class RefusedFile(Exception):
    """The file is not one exoplan reads: not a regular file, or too large."""


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises FileNotFoundError and other OSErrors as ``open`` does, and RefusedFile (its
    message says why, without the path) for a file that is not regular or is too large.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(f"is not a regular file ({_kind(info.st_mode)})")
        if info.st_size > limit:
            raise RefusedFile(f"is larger than {size_text(limit)} ({size_text(info.st_size)})")
        return _read_up_to(fd, limit)
    finally:
        os.close(fd)


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:  # it grew while being read
            raise RefusedFile(f"is larger than {size_text(limit)}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def size_text(size: int) -> str:
    """A size in the unit a person would use: 64 MiB, 4 KiB, 12 bytes."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"
