"""Shared helpers of the drift tests: live records, a project on disk, locks, snapshots.

The live account is either the sandbox (CLI tests) or pages of records served by
``responses`` (client tests); both are built from :func:`record`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conftest import Result, run_command, write_state

from reconciler.sandbox.server import Sandbox

ACCOUNT = "acme1"
STATE = "numbers.state.json"
#: No client-side pacing: the sandbox and `responses` answer at once.
API = ("--rate-limit", "0")

ONE, TWO, SPARE = "+918030240001", "+918030240002", "+918030240009"

MANIFEST = """\
version: 1
account:
  sid: acme1
  region: mumbai
flows:
  support-ivr:
    app_id: 123456
  order-sms:
    app_id: 223344
  sales-queue:
    app_id: 234567
numbers:
  - number: "+918030240001"
    friendly_name: Support line
    voice_flow: support-ivr
    sms_flow: order-sms
    protect: true
  - number: "08030240002"
    friendly_name: Support overflow
    voice_flow: support-ivr
"""


def live_url(app_id: str | int, kind: str = "start_voice", sid: str = ACCOUNT) -> str:
    """A flow URL as Exotel gives it back (not the spelling exoplan sends)."""
    return f"https://my.exotel.in/{sid}/exoml/{kind}/{app_id}"


def record(number: str, sid: str | None = None, **fields: Any) -> dict[str, Any]:
    """One owned number as Exotel lists it; ``fields`` override the defaults."""
    found: dict[str, Any] = {
        "sid": sid or "sid" + number.lstrip("+")[-4:],
        "phone_number": number,
        "friendly_name": None,
        "voice_url": None,
        "sms_url": None,
        "capabilities": {"voice": True, "sms": True},
        "country": "IN",
        "region": "IN",
        "number_type": "Landline",
        "rental_price": "499.000000",
        "currency": "INR",
    }
    found.update(fields)
    return found


def described() -> dict[str, dict[str, Any]]:
    """The live records of the two numbers MANIFEST describes, exactly as described."""
    return {
        ONE: record(
            ONE,
            friendly_name="Support line",
            voice_url=live_url(123456),
            sms_url=live_url(223344, "start_sms"),
        ),
        TWO: record(TWO, friendly_name="Support overflow", voice_url=live_url(123456)),
    }


def seed(
    changes: Mapping[str, Mapping[str, Any] | None] | None = None,
    extra: Iterable[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The described records with ``changes`` made outside exoplan (None: released)."""
    records = described()
    for number, fields in (changes or {}).items():
        if fields is None:
            del records[number]
        else:
            records[number] = {**records[number], **fields}
    return [*records.values(), *extra]


def adopted(
    records: Iterable[Mapping[str, Any]], protect: Iterable[str] = (ONE,)
) -> dict[str, Any]:
    """State entries as `exoplan import` writes them for ``records``."""
    guarded = set(protect)
    return {r["phone_number"]: {**r, "protect": r["phone_number"] in guarded} for r in records}


def sandbox(records: Iterable[dict[str, Any]]) -> Sandbox:
    """A sandbox (not started: use ``with``) owning ``records``."""
    return Sandbox(account_sid=ACCOUNT, seed=list(records))


def make_project(folder: Path, state: Mapping[str, Any] | None = None) -> bytes:
    """MANIFEST as numbers.yaml and a state (default: the described numbers, adopted).

    Returns the state's bytes.
    """
    (folder / "numbers.yaml").write_text(MANIFEST, encoding="utf-8")
    entries = adopted(described().values()) if state is None else state
    return write_state(folder / STATE, entries)


def run_live(sandbox: Sandbox | None, folder: Path, *args: str, **env: str) -> Result:
    """``python -m reconciler ARGS`` in ``folder``, pointed at ``sandbox`` (None: no API).

    ``env`` overrides variables, e.g. ``EXOTEL_API_KEY=""``.
    """
    variables = {**(sandbox.env() if sandbox is not None else {}), **env}
    return run_command([sys.executable, "-m", "reconciler", *args], folder, variables)


def read_state(folder: Path, name: str = STATE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    return data


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and mtime: proof that nothing was written."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


HOLDER = {
    "id": "0123456789abcdef",
    "pid": 4242,
    "host": "ci-runner-7",
    "time": "2024-05-01T10:00:00Z",
    "command": "exoplan apply",
}
HOLDER_TEXT = "pid 4242 on ci-runner-7 since 2024-05-01T10:00:00Z running 'exoplan apply'"


def hold_lock(folder: Path, name: str = STATE) -> Path:
    """Leave a lock as another exoplan process would; returns its path."""
    lock = folder / (name + ".lock")
    lock.write_text(json.dumps(HOLDER), encoding="utf-8")
    return lock


def listing_page(records: list[dict[str, Any]], page: int, size: int, base: str) -> dict[str, Any]:
    """One page of the IncomingPhoneNumbers list as Exotel answers it (legacy-host links)."""
    items = records[page * size : (page + 1) * size]
    more = len(records) > (page + 1) * size
    return {
        "page": page,
        "page_size": size,
        "uri": f"{base}?Page={page}&PageSize={size}",
        "first_page_uri": f"{base}?Page=0&PageSize={size}",
        "next_page_uri": f"{base}?Page={page + 1}&PageSize={size}" if more else None,
        "previous_page_uri": f"{base}?Page={page - 1}&PageSize={size}" if page else None,
        "incoming_phone_numbers": items,
    }
