"""The numbers the sandbox has for sale: ``AvailablePhoneNumbers/{country}/{type}``.

A deterministic inventory of Indian numbers (several circles, all three types, Exotel's
usual prices: Landline 499, Mobile 999, TollFree 1999 INR; toll-free numbers cannot
receive SMS), filtered as Exotel filters (``InRegion``, ``Contains``, ``IncomingSMS``)
and answered as a bare JSON array without a currency. A bought number leaves the
inventory; a number marked sold is refused at purchase. ``--inventory FILE`` replaces
the whole inventory with a list of records (read by ``seed.read_data``).
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from reconciler.sandbox.seed import read_data

Record = dict[str, Any]

TYPES = ("Landline", "Mobile", "TollFree")
#: (circle, landline STD code, mobile prefix): where the default inventory has numbers.
_CIRCLES = (
    ("KA", "80", "98450"),
    ("DL", "11", "98110"),
    ("MU", "22", "98200"),
    ("TN", "44", "98400"),
    ("KO", "33", "98300"),
)
_PRICES = {"Landline": "499.000000", "Mobile": "999.000000", "TollFree": "1999.000000"}
PER_CIRCLE = 8


def default_inventory() -> list[Record]:
    """The sandbox's stock when no ``--inventory`` file is given, in a fixed order."""
    records: list[Record] = []
    for circle, std, mobile in _CIRCLES:
        for n in range(1, PER_CIRCLE + 1):
            landline = f"+91{std}{'4710' if len(std) == 2 else '471'}{n:04d}"
            records.append(_record(landline, circle, "Landline", sms=n % 2 == 0))
            records.append(_record(f"+91{mobile}{n:05d}", circle, "Mobile", sms=True))
    for n in range(1, PER_CIRCLE + 1):
        records.append(_record(f"+911800210{n:04d}", "IN", "TollFree", sms=False))
    return records


def _record(number: str, region: str, kind: str, sms: bool) -> Record:
    return {
        "friendly_name": number,
        "phone_number": number,
        "capabilities": {"voice": True, "sms": sms},
        "country": "IN",
        "region": region,
        "number_type": kind,
        "rental_price": _PRICES[kind],
    }


class Inventory:
    """What is for sale; thread-safe."""

    def __init__(self, records: Iterable[Mapping[str, Any]] | None = None) -> None:
        self._lock = threading.Lock()
        stock = default_inventory() if records is None else [dict(r) for r in records]
        self._records: dict[str, Record] = {str(r["phone_number"]): r for r in stock}
        self._sold: set[str] = set()

    def search(self, country: str, kind: str, query: str) -> list[Record]:
        """The records of ``country`` and ``kind`` matching the query's filters."""
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        region = params.get("InRegion", "").upper()
        contains = params.get("Contains", "")
        sms = params.get("IncomingSMS", "").lower() == "true"
        with self._lock:
            records = list(self._records.values())
        return [
            copy.deepcopy(r)
            for r in records
            if str(r.get("country", "")).upper() == unquote(country).upper()
            and str(r.get("number_type", "")).lower() == unquote(kind).lower()
            and (not region or str(r.get("region", "")).upper() == region)
            and contains in str(r.get("phone_number", ""))
            and (not sms or bool((r.get("capabilities") or {}).get("sms")))
        ]

    def listing(self, e164: str) -> Record | None:
        """A copy of the record of ``e164`` while it is for sale, else None."""
        with self._lock:
            record = self._records.get(e164)
            return None if record is None else copy.deepcopy(record)

    def take(self, e164: str) -> Record | None:
        """Remove a number being bought; None when it is not in the inventory."""
        with self._lock:
            return self._records.pop(e164, None)

    def sell(self, e164: str) -> None:
        """Mark a number bought by another customer: gone from sale, refused at purchase."""
        with self._lock:
            self._records.pop(e164, None)
            self._sold.add(e164)

    def is_sold(self, e164: str) -> bool:
        with self._lock:
            return e164 in self._sold


def available_route(path: str) -> tuple[str, str, str] | None:
    """(account, country, type) of an ``AvailablePhoneNumbers/{country}/{type}`` path."""
    parts = path.split("/")
    if len(parts) == 7 and parts[:3] == ["", "v2_beta", "Accounts"]:
        if parts[4] == "AvailablePhoneNumbers" and parts[5] and parts[6]:
            return unquote(parts[3]), unquote(parts[5]), unquote(parts[6])
    return None


def load_inventory(path: str | os.PathLike[str]) -> list[Record]:
    """``--inventory FILE``: a list of available-number records (JSON, or YAML by name)."""
    data = read_data(path)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of available numbers")
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("phone_number"), str):
            raise ValueError(f"{path}: record {index} needs a phone_number string")
    return data
