"""What the sandbox's answers look like: exactly the fields Exotel's docs show, no more.

The store keeps a full record per number; each answer shows only its documented part:
a purchase answer has sid, number, name, capabilities, country, rental and currency but
no flow URLs; a list or detail answer has the flow URLs and the region but no price; an
update answer has the name and flow URLs. Regions are telecom circles (KA, MU, DL...).
Error bodies come in the shapes Exotel uses: ``RestException`` with or without ``Code``,
and a gateway's top-level ``message``. Tests thus meet what Exotel really sends.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]

PURCHASE_FIELDS = (
    "sid",
    "phone_number",
    "friendly_name",
    "capabilities",
    "country",
    "rental_price",
    "currency",
)
LISTED_FIELDS = (
    "sid",
    "phone_number",
    "friendly_name",
    "capabilities",
    "country",
    "region",
    "voice_url",
    "sms_url",
)
UPDATE_FIELDS = ("sid", "phone_number", "friendly_name", "voice_url", "sms_url", "capabilities")

# India's telecom circles by the leading digits of the national number (STD code or
# mobile series); the docs' examples use these as ``region``.
_CIRCLES = (
    ("11", "DL"),
    ("22", "MU"),
    ("33", "KO"),
    ("44", "TN"),
    ("40", "AP"),
    ("20", "MH"),
    ("79", "GJ"),
    ("80", "KA"),
    ("484", "KL"),
    ("141", "RJ"),
    ("172", "PB"),
    ("522", "UE"),
    ("120", "UW"),
)


def only(record: Record, fields: tuple[str, ...]) -> Record:
    """The documented part of ``record`` (fields it does not have are left out)."""
    return {key: record[key] for key in fields if key in record}


def purchase_answer(record: Record) -> Record:
    return only(record, PURCHASE_FIELDS)


def listed(record: Record) -> Record:
    return only(record, LISTED_FIELDS)


def update_answer(record: Record) -> Record:
    return only(record, UPDATE_FIELDS)


def region_of(e164: str, country: str) -> str:
    """The telecom circle of an Indian number (KA when unknown); elsewhere the country."""
    if country != "IN" or not e164.startswith("+91"):
        return country
    rest = e164[3:]
    found = [circle for prefix, circle in _CIRCLES if rest.startswith(prefix)]
    return found[0] if found else "KA"


def error_body(status: int, message: str, code: str) -> dict[str, Any]:
    """Exotel's error body for ``status``: a 5xx as a gateway gives it (a top-level
    message), a 404 as the docs' examples without a Code, the rest with one."""
    if status >= 500:
        return {"message": message}
    rest: dict[str, Any] = {"Status": status, "Message": message}
    if status != 404:
        rest["Code"] = code
    return {"RestException": rest}
