"""Exotel's records of owned numbers, and the project the drift tests start from.

The live account is either the sandbox (seeded with :func:`seed`) or pages of records
served by ``responses`` (:func:`listing_page`); both are built from :func:`record`.
The project (:func:`make_project`) manages ONE and TWO, exactly as the account has them;
``DRIFT_KINDS`` are changes made to them in the dashboard, with what exoplan says of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.support.project import ACCOUNT, STATE, write_manifest, write_state

ONE, TWO, SPARE = "+918030240001", "+918030240002", "+918030240009"

#: The manifest of :func:`make_project`: ONE and TWO, as :func:`described` has them.
PROJECT_MANIFEST = """\
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
    """The live records of the two numbers PROJECT_MANIFEST describes, exactly as described."""
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


def make_project(folder: Path, state: Mapping[str, Any] | None = None) -> bytes:
    """PROJECT_MANIFEST as numbers.yaml and a state (default: the described numbers,
    adopted). Returns the state's bytes."""
    write_manifest(folder, PROJECT_MANIFEST)
    entries = adopted(described().values()) if state is None else state
    return write_state(folder / STATE, entries)


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


# -- drift made in the dashboard, and what exoplan says about it ------------------------

SUPPORT, SALES = "support-ivr (app 123456)", "sales-queue (app 234567)"
NO_UNMANAGED = "Note: exoplan manages every number the account owns.\n"
ONE_UNMANAGED = (
    "Note: the account owns 1 number that exoplan does not manage "
    "(`exoplan import NUMBER` adopts one).\n"
)

Changes = dict[str, dict[str, Any]]
#: A change made in the dashboard -> (the drift lines, the update lines that undo it).
DRIFT_KINDS: dict[str, tuple[Changes, str, str]] = {
    "changed-name": (
        {TWO: {"friendly_name": "Renamed in the dashboard"}},
        f'  ~ {TWO}\n        friendly_name: "Support overflow" -> "Renamed in the dashboard"\n',
        f'  ~ update   {TWO}  "Support overflow"\n'
        '        friendly_name: "Renamed in the dashboard" -> "Support overflow"\n',
    ),
    "changed-voice-flow": (
        {TWO: {"voice_url": live_url(234567)}},
        f"  ~ {TWO}\n        voice_flow: {SUPPORT} -> {SALES}\n",
        f'  ~ update   {TWO}  "Support overflow"\n        voice_flow: {SALES} -> {SUPPORT}\n',
    ),
    "changed-sms-flow": (
        {ONE: {"sms_url": None}},
        f"  ~ {ONE}\n        sms_flow: order-sms (app 223344) -> (none)\n",
        f'  ~ update   {ONE}  "Support line"\n        sms_flow: (none) -> order-sms (app 223344)\n',
    ),
}
