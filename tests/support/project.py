"""A project folder as exoplan sees it: the manifest, the state, its journal and its lock.

Every test writes these through the helpers here, for the one test account ``ACCOUNT``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "acme1"
LINEAGE = "0b7a3f1e-5c2d-4e8f-9a6b-1c2d3e4f5a6b"
MANIFEST = "numbers.yaml"
STATE = "numbers.state.json"
JOURNAL = STATE + ".journal"
LOCK = STATE + ".lock"
#: The flows of every manifest :func:`write_manifest` builds, unless told otherwise.
FLOWS = {"support-ivr": 123456, "sales-queue": 234567, "order-sms": 223344}


def number(index: int) -> str:
    """The ``index``-th test number: +918030240001 and on (valid Indian landlines)."""
    return f"+9180302400{index:02d}"


def numbers(count: int, first: int = 1) -> list[str]:
    """``count`` distinct test numbers in E.164, from :func:`number` ``(first)`` on."""
    return [number(i) for i in range(first, first + count)]


# -- the manifest -----------------------------------------------------------------------


def write_manifest(
    folder: Path,
    body: str | Iterable[str | Mapping[str, Any]],
    name: str = MANIFEST,
    *,
    flows: Mapping[str, int] = FLOWS,
) -> Path:
    """Write a manifest in ``folder`` and return its path.

    ``body`` is either the text to write as it is, or the entries of a version 1 manifest
    for ``ACCOUNT`` (region mumbai) with ``flows``: each an E.164 string or a mapping
    such as ``{"number": ..., "friendly_name": ..., "voice_flow": ..., "protect": ...}``.
    """
    if isinstance(body, str):
        text = body
    else:
        data = {
            "version": 1,
            "account": {"sid": ACCOUNT, "region": "mumbai"},
            "flows": {flow: {"app_id": app_id} for flow, app_id in flows.items()},
            "numbers": [{"number": e} if isinstance(e, str) else dict(e) for e in body],
        }
        text = yaml.safe_dump(data, sort_keys=False)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the state --------------------------------------------------------------------------


def voice_url(app_id: str | int, sid: str = ACCOUNT) -> str:
    """A voice flow URL as exoplan sends it."""
    return f"http://my.exotel.com/{sid}/exoml/start_voice/{app_id}"


def sms_url(app_id: str | int, sid: str = ACCOUNT) -> str:
    """An SMS flow URL as exoplan sends it."""
    return f"http://my.exotel.com/{sid}/exoml/start_sms/{app_id}"


def state_entry(number: str, **fields: Any) -> dict[str, Any]:
    """A state entry as apply would record it; ``fields`` override the defaults."""
    entry: dict[str, Any] = {
        "sid": "sid" + number.lstrip("+"),
        "phone_number": number,
        "friendly_name": None,
        "voice_url": None,
        "sms_url": None,
        "capabilities": {"voice": True, "sms": True},
        "number_type": "Landline",
        "rental_price": "499.000000",
        "currency": "INR",
        "protect": False,
    }
    entry.update(fields)
    return entry


def write_state(
    path: Path,
    numbers: Mapping[str, Mapping[str, Any]] | Iterable[str] = (),
    *,
    lineage: str = LINEAGE,
    serial: int = 7,
    account_sid: str | None = ACCOUNT,
) -> bytes:
    """Write a version 1 state file at ``path``; returns its bytes.

    ``numbers`` maps E.164 to entry fields (merged over :func:`state_entry`), or is an
    iterable of E.164 numbers with default entries.
    """
    if isinstance(numbers, Mapping):
        entries = {n: state_entry(n, **dict(fields)) for n, fields in numbers.items()}
    else:
        entries = {n: state_entry(n) for n in numbers}
    data = {
        "format": "exoplan-state",
        "version": 1,
        "lineage": lineage,
        "serial": serial,
        "account_sid": account_sid,
        "numbers": entries,
    }
    raw = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")
    path.write_bytes(raw)
    return raw


def read_state(folder: Path, name: str = STATE) -> dict[str, Any]:
    """The state file ``name`` in ``folder``, parsed."""
    data: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    return data


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and mtime: proof that nothing was written."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


# -- the journal and the lock -----------------------------------------------------------


def journal_record(
    op: str, number: str = "+918030240001", kind: str = "purchase", **extra: Any
) -> dict[str, Any]:
    """One journal record (``op`` intent, done or failed) of a ``kind`` action on ``number``."""
    return {
        "op": op,
        "action": kind,
        "number": number,
        "sid": None,
        "params": {},
        "protect": False,
        **extra,
    }


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """The records of the journal at ``path``."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_journal(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """A journal at ``path`` holding ``records``, one JSON line each."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


HOLDER = {
    "id": "0123456789abcdef",
    "pid": 4242,
    "host": "ci-runner-7",
    "time": "2024-05-01T10:00:00Z",
    "command": "exoplan apply",
}
HOLDER_TEXT = "pid 4242 on ci-runner-7 since 2024-05-01T10:00:00Z running 'exoplan apply'"


LOCKED_ERROR = (
    f"error: {STATE} is locked by {HOLDER_TEXT}. Wait for it to finish (or pass "
    "--lock-timeout SECONDS); the lock is released when that process ends, however it ends\n"
)
#: Lock files this test process holds (see ``hold_lock``); released after each test.
HELD_LOCKS: list[int] = []


def hold_lock(folder: Path, name: str = STATE, content: bytes | None = None) -> Path:
    """Hold the state's OS lock as another exoplan process would, its file naming
    ``HOLDER`` (or holding ``content``); returns its path. Held until the test ends."""
    lock = folder / (name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, json.dumps(HOLDER).encode("utf-8") if content is None else content)
    HELD_LOCKS.append(fd)
    return lock


def release_held_locks() -> None:
    while HELD_LOCKS:
        os.close(HELD_LOCKS.pop())
